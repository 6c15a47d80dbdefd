package rules

import "fmt"

// Pass is one walk of the planner over a dataset's listing; a run records
// the pass it is in, so its planning can go on in another invocation.
type Pass string

const (
	// CheckPass reads every matched file's class before anything is sent (1.6).
	CheckPass Pass = "check"
	// PlanPass sends the copy tasks.
	PlanPass Pass = "plan"
	// EstimatePass sums what the restores of a run would cost before any
	// is requested, for a dataset that caps it (1.7+).
	EstimatePass Pass = "estimate"
)

// FirstPass is the pass a run of v starts planning in, for a dataset
// with restore option restore (nil: none).
func (v Version) FirstPass(restore *RestoreArchived) Pass {
	switch {
	case !v.SkipsArchived():
		return CheckPass
	case v.AllowsRestore() && restore != nil && restore.MaxEstimatedCostUSD != nil:
		return EstimatePass
	}
	return PlanPass
}

// Plan is what the planner does with a listed file of the dataset's type.
type Plan int

const (
	// Send: a copy task goes to the workers (in the check pass: nothing
	// against the file; its task is sent in the plan pass).
	Send Plan = iota
	// SkipUnchanged: the catalog holds the same name with the same size and ETag.
	SkipUnchanged
	// FailRun: 1.6 fails the run, before anything is copied, naming the file.
	FailRun
	// SkipUnsafeKey: the file's name cannot be part of a zone key (see
	// UnsafeName); the run lists it as skipped, and it does not fail the
	// run in any version or pass, archived or not.
	SkipUnsafeKey
)

// Catalogued is what the catalog holds of a name's latest ingested version.
type Catalogued struct {
	Size  int64
	ETag  string
	RunId string
}

// Listed decides a listed file in pass, given the catalog's latest version
// of its name (nil if none), and says why when the run fails or the file is
// skipped as unsafe (checked first, so an unsafe archived file does not
// fail a 1.6 run). A file that
// this very run catalogued is sent again: its planner died after sending
// part of a page, and the workers commit each file once.
func (v Version) Listed(pass Pass, o Object, latest *Catalogued, runID string) (Plan, string) {
	if reason := UnsafeName(o.Name); reason != "" {
		return SkipUnsafeKey, "its name is unsafe in a data lake key: " + reason
	}
	if pass == CheckPass {
		if o.Class != Standard {
			return FailRun, "version 1.6 ingests only the S3 Standard storage class"
		}
		return Send, ""
	}
	if latest != nil && latest.Size == o.Size && latest.ETag == o.ETag && latest.RunId != runID {
		return SkipUnchanged, ""
	}
	return Send, ""
}

// RejectedRun is the reason of a run that the check pass failed: total
// files were in other classes, of which the run lists the first listed.
func RejectedRun(total, listed int64) string {
	which := agree(total, "it", "them")
	if listed < total {
		which = fmt.Sprintf("the first %d", listed)
	}
	return fmt.Sprintf("version 1.6 ingests only the S3 Standard storage class: %s (FailedFiles lists %s); upgrade the connection to 1.7 to skip %s",
		Count(total, "matched file is in another class", "matched files are in other classes"), which, agree(total, "it", "them"))
}
