// Package report builds the report of every file of a run: the planner and
// the workers write its rows, as they decide them, in parts of the
// platform's reports bucket (parts.go); when the run ends, the run-event
// publisher merges the parts into one CSV and one JSON object (assemble.go)
// with bounded memory, listing each file once with its committed outcome.
package report

import (
	"strconv"
	"time"

	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Outcomes a report lists besides run.Outcome's: a file copied, and one
// the planner did not send as the catalog has it unchanged.
const (
	OutcomeCopied    = "copied"
	OutcomeUnchanged = "skipped_unchanged"
)

// Row is one file of a run's report. Outcome is any run.Outcome (a string,
// so that outcomes added later, such as restoring, need no change here),
// OutcomeCopied or OutcomeUnchanged. Zone, ZoneKey, IngestedAt and
// Checksum describe the version in the zones: the one this run wrote, or
// for an unchanged file the one the catalog holds.
type Row struct {
	Name         string
	SourceKey    string
	Outcome      string
	StorageClass string `json:",omitempty"`
	Reason       string `json:",omitempty"`
	Size         int64
	SourceETag   string     `json:",omitempty"`
	Checksum     string     `json:",omitempty"`
	Zone         string     `json:",omitempty"` // "lz" or "dlz"
	ZoneKey      string     `json:",omitempty"`
	IngestedAt   *time.Time `json:",omitempty"`

	// Tentative marks a row written before its commit, in a part not yet
	// confirmed: assembly prefers any confirmed row of the same name.
	// Reports never show it.
	Tentative bool `json:",omitempty"`
}

// Columns are the report's columns, in their order: the CSV header and
// the JSON objects' members. The order is stable; columns are only ever
// added at the end.
var Columns = []string{"Name", "SourceKey", "Outcome", "StorageClass", "Reason", "Size", "SourceETag", "Checksum", "Zone", "ZoneKey", "IngestedAt"}

// Record is r as CSV fields, in Columns' order.
func (r Row) Record() []string {
	at := ""
	if r.IngestedAt != nil {
		at = r.IngestedAt.UTC().Format(time.RFC3339Nano)
	}
	return []string{r.Name, r.SourceKey, r.Outcome, r.StorageClass, r.Reason, strconv.FormatInt(r.Size, 10),
		r.SourceETag, r.Checksum, r.Zone, r.ZoneKey, at}
}

// Listed is what the listing said of a file: the row's fallbacks when its
// outcome carries no catalog entry.
type Listed struct {
	Size         int64
	ETag         string
	StorageClass string
}

// OfResult is the row of a worker's committed outcome for a file the
// listing described as l.
func OfResult(res run.FileResult, l Listed) Row {
	row := Row{
		Name: res.Name, SourceKey: res.SourceKey, Outcome: string(res.Outcome), StorageClass: res.StorageClass,
		Reason: res.Reason, Size: l.Size, SourceETag: l.ETag,
	}
	if row.Outcome == "" {
		row.Outcome = OutcomeCopied
	}
	if row.StorageClass == "" {
		row.StorageClass = l.StorageClass
	}
	if res.File != nil {
		row.withVersion(*res.File)
	}
	return row
}

// OfOutcome is the row of a file the planner decided on (skipped unsafe,
// rejected storage class…), as the listing described it.
func OfOutcome(o run.FileOutcome, l Listed) Row {
	class := o.StorageClass
	if class == "" {
		class = l.StorageClass
	}
	return Row{Name: o.Name, SourceKey: o.SourceKey, Outcome: string(o.Outcome), StorageClass: class, Reason: o.Reason, Size: l.Size, SourceETag: l.ETag}
}

// OfUnchanged is the row of a file skipped as unchanged: the catalog's
// version of it, latest.
func OfUnchanged(name, sourceKey string, l Listed, latest dataset.File) Row {
	row := Row{Name: name, SourceKey: sourceKey, Outcome: OutcomeUnchanged, StorageClass: l.StorageClass, Size: l.Size, SourceETag: l.ETag}
	row.withVersion(latest)
	row.Size, row.SourceETag = l.Size, l.ETag
	return row
}

// withVersion fills the row's zone columns from a catalog entry.
func (r *Row) withVersion(f dataset.File) {
	r.Size, r.Checksum, r.ZoneKey = f.Size, f.Checksum, f.Key
	if f.SourceETag != "" {
		r.SourceETag = f.SourceETag
	}
	if !f.IngestedAt.IsZero() {
		at := f.IngestedAt.UTC()
		r.IngestedAt = &at
	}
	switch f.State {
	case dataset.InDLZ:
		r.Zone = "dlz"
	case dataset.InLZ, dataset.FailedValidation:
		r.Zone = "lz"
	}
}
