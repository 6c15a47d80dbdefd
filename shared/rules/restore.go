package rules

import (
	"fmt"
	"strings"
	"time"
)

// Tier is a restore's retrieval tier, as S3 spells it.
type Tier string

// The retrieval tiers of RestoreObject.
const (
	Expedited    Tier = "Expedited"
	StandardTier Tier = "Standard"
	Bulk         Tier = "Bulk"
)

// Tiers lists the tiers a dataset may ask for.
var Tiers = []Tier{Bulk, StandardTier, Expedited}

// Limits of RestoreArchived.Days: how long S3 keeps the restored copy.
const (
	MinRestoreDays = 1
	MaxRestoreDays = 30
)

// RestoreArchived is a dataset's opt-in to restoring its archived files
// before ingesting them (1.7 and later): nil keeps the versions' rule,
// skip and report.
type RestoreArchived struct {
	Tier Tier
	Days int32
	// MaxEstimatedCostUSD caps a run's estimated restore cost: a run whose
	// estimate is above it requests no restore at all (nil: no cap).
	MaxEstimatedCostUSD *float64 `json:",omitempty" dynamodbav:",omitempty"`
}

// AllowsRestore says whether datasets on this version may restore archived
// files: only versions that skip them rather than fail.
func (v Version) AllowsRestore() bool { return v.SkipsArchived() }

// RestoreInProgress says whether a restore of o was requested and has not
// completed (x-amz-restore: ongoing-request="true"): it must not be
// requested again.
func (o Object) RestoreInProgress() bool {
	return strings.Contains(o.Restore, `ongoing-request="true"`)
}

// Restored says whether o is a readable restored copy of an archived
// object, whose catalog entry ends its pending restore.
func (o Object) Restored() bool {
	return strings.Contains(o.Restore, `ongoing-request="false"`)
}

// archiveOf is the archive o is in, for the restore's rules and its
// price: GLACIER or DEEP_ARCHIVE, or, for Intelligent-Tiering, its
// archive access tier.
func (o Object) archiveOf() StorageClass {
	if o.Class == IntelligentTiering {
		if o.ArchiveStatus == "DEEP_ARCHIVE_ACCESS" {
			return DeepArchive
		}
		return Glacier
	}
	return o.Class
}

// RestoreRequest is what RestoreObject sends for one object.
type RestoreRequest struct {
	Tier Tier
	// Days is how long the copy stays; 0 for Intelligent-Tiering, whose
	// restored objects move back to an access tier (S3 refuses Days).
	Days int32
	// Note says why the tier differs from the dataset's, if it does.
	Note string
}

// RestoreFor is the request that restores o as opt asks, within what S3
// allows for its class: Deep Archive (and Intelligent-Tiering's Deep
// Archive Access) has no Expedited tier, so Standard is used instead.
func RestoreFor(o Object, opt RestoreArchived) RestoreRequest {
	req := RestoreRequest{Tier: opt.Tier, Days: opt.Days}
	if o.Class == IntelligentTiering {
		req.Days = 0
	}
	if req.Tier == Expedited && o.archiveOf() == DeepArchive {
		req.Tier = StandardTier
		req.Note = "Deep Archive has no Expedited retrieval: restored with the Standard tier"
	}
	return req
}

// RestoringReason is the reason listed with a file whose restore is
// pending: requested by this run or found in progress.
func RestoringReason(o Object, req RestoreRequest, requested bool) string {
	what := "restore in progress (requested earlier)"
	if requested {
		what = "restore requested"
	}
	s := fmt.Sprintf("in %s: %s with the %s tier; the file is ingested when the restore completes", o.Class, what, req.Tier)
	if req.Note != "" {
		s += " (" + req.Note + ")"
	}
	return s
}

// RestoreRefusedReason is the reason listed with an archived file whose
// restore the source refused: it is skipped, and the run goes on.
func RestoreRefusedReason(o Object, why string) string {
	return "in " + string(o.Class) + " and not restored: the source refused RestoreObject: " + why
}

// RestoreWaits are how long restores take, by archive and tier: when the
// platform looks for the restored copy. They are settings (the local
// platform's restores take seconds), read by ParseRestoreWaits.
type RestoreWaits map[string]time.Duration

// DefaultRestoreWaits are S3's documented upper restore times (see
// ../shared/AWS-FACTS.md 3.5): Glacier Flexible Retrieval Expedited 1–5
// minutes, Standard 3–5 hours, Bulk 5–12 hours; Deep Archive Standard
// within 12 hours, Bulk within 48.
var DefaultRestoreWaits = RestoreWaits{
	waitKey(Glacier, Expedited): 5 * time.Minute, waitKey(Glacier, StandardTier): 5 * time.Hour, waitKey(Glacier, Bulk): 12 * time.Hour,
	waitKey(DeepArchive, StandardTier): 12 * time.Hour, waitKey(DeepArchive, Bulk): 48 * time.Hour,
}

func waitKey(c StorageClass, t Tier) string { return string(c) + "/" + string(t) }

// ParseRestoreWaits reads a setting of the form "GLACIER/Bulk=12h,…" over
// the defaults; "*=5s" sets every wait.
func ParseRestoreWaits(s string) (RestoreWaits, error) {
	w := RestoreWaits{}
	for k, v := range DefaultRestoreWaits {
		w[k] = v
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		d, err := time.ParseDuration(v)
		if !ok || err != nil || d <= 0 {
			return nil, fmt.Errorf("restore wait %q: want CLASS/Tier=duration, such as GLACIER/Bulk=12h, or *=duration", part)
		}
		if k == "*" {
			for key := range w {
				w[key] = d
			}
			continue
		}
		if _, known := w[k]; !known {
			return nil, fmt.Errorf("restore wait %q: no such archive and tier", part)
		}
		w[k] = d
	}
	return w, nil
}

// ReadyAt is when a restore of o requested at with req is expected done.
func (w RestoreWaits) ReadyAt(o Object, req RestoreRequest, at time.Time) time.Time {
	d, ok := w[waitKey(o.archiveOf(), req.Tier)]
	if !ok {
		d = DefaultRestoreWaits[waitKey(DeepArchive, Bulk)] // the longest
	}
	return at.Add(d)
}

// Recheck is when to look again at a restore of o found in progress,
// whose request time the platform does not know: a quarter of its
// expected wait from now.
func (w RestoreWaits) Recheck(o Object, req RestoreRequest, now time.Time) time.Time {
	return now.Add(w.ReadyAt(o, req, now).Sub(now) / 4)
}
