package rules

import "time"

// A run ingests a consistent view of its source: the objects written
// before it started. S3 keeps LastModified to the second, so an object is
// the run's only if it was written strictly before the second the run
// started in; one written in that second or later waits for the next run
// (Deferred), whether the planner lists it or a worker finds the listed
// object overwritten since. Neither is ever half-copied: a copy is
// conditional on the listed ETag. Every version applies the same rule.

// Deferred says whether an object last modified at lastModified is left
// for the next run of a run started at runStart. An unknown time (zero)
// is not deferred: the object is older than anything that says otherwise.
func Deferred(lastModified, runStart time.Time) bool {
	if lastModified.IsZero() || runStart.IsZero() {
		return false
	}
	return !lastModified.Before(runStart.Truncate(time.Second))
}

// Reasons of the files a run does not copy though they matched: they are
// listed among its skipped files and do not fail it.
const (
	DeferredReason = "written after the run started: the next run ingests it"
	VanishedReason = "deleted from the source after the listing"
)
