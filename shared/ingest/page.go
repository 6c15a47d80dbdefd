package ingest

import "errors"

// PlanPage is what the planner did with one page of the listing: what the
// store records, with the run's new position, in one conditional write.
type PlanPage struct {
	Listed, Matched, SkippedUnchanged, Tasks int64
	// SkippedUnsafeKey counts the matched files not sent as their names
	// are unsafe in a zone key (listed apart, by PlanningLog.ListSkipped).
	SkippedUnsafeKey int64
	// Deferred counts the matched files written after the run started
	// (rules.Deferred), not sent: the next run ingests them.
	Deferred int64
	// Rejected counts the matched files of a check pass's page in other
	// storage classes (listed apart, by PlanningLog.ListRejected).
	Rejected int64
	// RestoreEstimate is the estimated cost of the page's restores in an
	// estimate pass, in millionths of a dollar; RestoresWithheld, set on
	// the pass's last page, says why the run requests none.
	RestoreEstimate  int64
	RestoresWithheld string
	Phase, Next      string // the position after this page
	// Writer identifies the planner invocation, so that a save whose
	// answer was lost is recognised as its own when retried.
	Writer string
}

// Errors of the planning store: either stops an invocation quietly, as
// another one (or another run) has taken over.
var (
	// ErrLeaseLost: another run holds the dataset now (this run's lease expired).
	ErrLeaseLost = errors.New("run lost its lease on the dataset")
	// ErrStalePosition: the run's planning position moved since it was read.
	ErrStalePosition = errors.New("planning position moved")
)
