// Package run holds the Run of a schedule: its record (state, counts,
// bytes, times, skipped and failed files) and the use cases that start runs
// and read them. Two runs of one dataset never overlap: a run holds a lease
// on its dataset that expires, so a crashed run cannot block it forever.
package run

import (
	"time"

	"github.com/datalake-platform/s3connections/shared/dataset"
)

// State is where a run is.
type State string

// Run states. A run ends in succeeded, failed or skipped.
const (
	Queued    State = "queued"
	Planning  State = "planning"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	// Skipped records a scheduled trigger that found a run in progress.
	Skipped State = "skipped"
)

// Ended says whether s is final.
func (s State) Ended() bool { return s == Succeeded || s == Failed || s == Skipped }

// Trigger says what started a run.
type Trigger string

// Triggers.
const (
	OnDemand  Trigger = "on_demand"
	Scheduled Trigger = "schedule"
	// RestoreFollowUp: the platform started the run to ingest files whose
	// restores were due; it acts for the schedule's owner, as a scheduled
	// run does.
	RestoreFollowUp Trigger = "restore_follow_up"
	// Events: a rolling run of an event-driven dataset, started by its
	// first event and closed after a quiet period or a size cap.
	Events Trigger = "events"
)

// Run is one ingestion run of a schedule's dataset.
type Run struct {
	RunId       string
	ScheduleId  string
	DatasetId   string
	Trigger     Trigger
	TriggeredBy string
	State       State
	Reason      string `json:",omitempty"`
	Counts
	TasksPlanned int64 // copy tasks sent to the queue
	TasksDone    int64 // tasks finished, whatever their outcome
	PlanningDone bool
	// Phase and Continuation are the planner's position in the source
	// listing, so a run of millions of objects is planned by a chain of
	// invocations. Phase is "check" (1.6's storage-class check) or "plan".
	Phase        string `json:"-"`
	Continuation string `json:"-"`
	Pages        int64  `json:"-"` // listing pages planned so far: the position's version
	// Rejected counts the matched files that 1.6's check pass found in
	// other storage classes on the pages planned so far.
	Rejected int64 `json:"-"`
	// RestoreEstimateMicroUSD is what a dataset that caps its restores
	// estimated they would cost before it requested any, in millionths of
	// a dollar; RestoresWithheld says why it requested none (over the cap).
	RestoreEstimateMicroUSD int64  `json:",omitempty"`
	RestoresWithheld        string `json:",omitempty"`
	// CreatedBy and AuthorizedUsers are the schedule's at the run's start:
	// who may read the run, even after the schedule is gone.
	CreatedBy       string   `json:"-"`
	AuthorizedUsers []string `json:"-"`
	CreatedAt       time.Time
	StartedAt       *time.Time `json:",omitempty"`
	FinishedAt      *time.Time `json:",omitempty"`

	// Notify is the schedule's notification setting at the run's start
	// (schedule.Notify's On: "failure", "always", or "" for none); the
	// run's end event carries it, for the notification rules.
	Notify string `json:"-" dynamodbav:",omitempty"`

	// Firing is the scheduled firing that started the run (EventBridge
	// Scheduler's execution id, in the planner's payload), so that
	// Lambda's retries of the firing resume it and its failure ends it.
	Firing string `json:"-"`

	// Report is where the run's report of every file is, once it is
	// assembled after the run's end (shared/report); absent until then.
	Report *Report `json:",omitempty" dynamodbav:",omitempty"`
	// EventTasks counts the tasks that source events added to the run
	// (all of a rolling run's; those that joined a reconciling run), and
	// LastEventAt is when the last one joined: a rolling run closes after
	// a quiet period without one.
	EventTasks  int64      `json:",omitempty"`
	LastEventAt *time.Time `json:",omitempty"`
}

// UploadDate is the run's upload_date partition in both zones: when it was
// created (StartedAt, when planning began, orders the catalog's gates).
func (r Run) UploadDate() time.Time { return r.CreatedAt }

// Outcome is what happened to one file that was not simply copied.
type Outcome string

// File outcomes that a run lists.
const (
	OutcomeSkippedStorageClass Outcome = "skipped_storage_class"
	// OutcomeSkippedUnsafeKey: the planner did not send the file, as its
	// name cannot be part of a zone key (rules.UnsafeName).
	OutcomeSkippedUnsafeKey Outcome = "skipped_unsafe_key"
	OutcomeFailedValidation Outcome = "failed_validation"
	OutcomeFailed           Outcome = "failed"
	// OutcomeRejectedStorageClass: a 1.6 run that fails before copying
	// lists the non-Standard files that made it fail.
	OutcomeRejectedStorageClass Outcome = "rejected_storage_class"
	// OutcomeDeferred: written after the run started; the next run
	// ingests it (rules.Deferred).
	OutcomeDeferred Outcome = "deferred"
	// OutcomeVanished: deleted from the source after the listing.
	OutcomeVanished Outcome = "vanished"
	// OutcomeRestoring: archived, in a dataset that restores archived
	// files: its restore is pending (requested by this run or earlier), and
	// the platform ingests it once readable.
	OutcomeRestoring Outcome = "restoring"
)

// Skipped says whether a file of outcome o is listed among the run's
// skipped files (SkippedFiles) rather than its failed ones.
func (o Outcome) Skipped() bool {
	switch o {
	case OutcomeSkippedStorageClass, OutcomeSkippedUnsafeKey, OutcomeDeferred, OutcomeVanished, OutcomeRestoring:
		return true
	}
	return false
}

// FileOutcome is a skipped or failed file of a run, with the reason.
type FileOutcome struct {
	Name         string
	SourceKey    string
	Outcome      Outcome
	StorageClass string `json:",omitempty"`
	Reason       string
	// RestoreTier and RestoreRequestedAt describe a restoring file's
	// restore (RequestedAt: when this run requested it; absent when it
	// found it in progress).
	RestoreTier        string     `json:",omitempty" dynamodbav:",omitempty"`
	RestoreRequestedAt *time.Time `json:",omitempty" dynamodbav:",omitempty"`
}

// FileResult is what a worker did with one file, committed exactly once.
type FileResult struct {
	Name         string
	SourceKey    string
	Outcome      Outcome // "" when copied
	StorageClass string
	Reason       string
	Bytes        int64 // the size copied; BytesCopied counts it only for a copied file
	// Reconciled: the file was planned by a listing of an event-driven
	// dataset (its events missed it), not sent by an event.
	Reconciled bool
	// FromEvent: the file's task was made from a source event, which
	// commits under the event's own gate (shared/eventingest).
	FromEvent bool
	File      *dataset.File // the catalog entry to write, when the file landed
	// Restore is a restoring file's pending restore.
	Restore *dataset.PendingRestore
	// Restored says a copied file was read from a restored copy.
	Restored bool
	// EndsRestore says the file's pending restore, if any, ends with its
	// commit: it was read, in a dataset that restores archived files.
	EndsRestore bool
	// NoEntry says the planner found no catalog entry for the file, so its
	// commit tries to insert File in a batch before a put of its own.
	NoEntry bool
}

// View is a run as the API shows it.
type View struct {
	Run
	SkippedFiles []FileOutcome
	FailedFiles  []FileOutcome
	// MoreFiles says the lists above were cut at MaxListedFiles each.
	MoreFiles bool `json:",omitempty"`
}

// MaxListedFiles caps each file list of a run's view.
const MaxListedFiles = 1000

// FollowUp is a dataset with pending restores: the schedule whose run
// requested them, and when each archive's (storage class) are expected
// done, so the platform starts a run of it then.
type FollowUp struct {
	DatasetId, ScheduleId string
	Due                   map[string]time.Time
}
