// Package runevents announces the end of every run on the platform's own
// outbound EventBridge bus: it builds the events (Ingestion Run Succeeded
// or Failed, described by run-event.schema.json) and publishes the run
// ends that the metadata store's outbox holds, so that a run end written
// by an ender that crashed right after is announced all the same.
package runevents

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// Source is the source of every event the platform puts on its bus.
const Source = "s3connections"

// The detail-types of run events.
const (
	DetailTypeSucceeded = "Ingestion Run Succeeded"
	DetailTypeFailed    = "Ingestion Run Failed"
)

// KindEnded is the kind of event a run's end is, in its EventId.
const KindEnded = "ended"

// EventId is the stable id of a run's event of kind kind: the same however
// often the event is published, so consumers drop duplicates with it
// (EventBridge's own "id" differs on every PutEvents).
func EventId(runID, kind string) string { return runID + ":" + kind }

// Detail is the detail of a run event: the run's ids, its final counts
// under the run record's names, how long it took and why it ended.
type Detail struct {
	EventId    string
	RunId      string
	ScheduleId string
	DatasetId  string
	State      run.State // succeeded or failed
	Reason     string    // "" for a run that succeeded with nothing to report
	Trigger    run.Trigger
	CreatedAt  time.Time
	StartedAt  *time.Time `json:",omitempty"` // absent when the run ended before planning began
	FinishedAt time.Time
	// DurationSeconds is from StartedAt (CreatedAt when absent) to
	// FinishedAt, to the millisecond.
	DurationSeconds float64
	run.Counts
	TasksPlanned int64
	TasksDone    int64
	// Report is where the run's report is (its CSV and JSON objects in
	// the platform's reports bucket, and how many files it lists); null
	// for a run whose record names none (ended before reports existed).
	Report *run.Report
	// Notify is the run's schedule's notification setting when the run
	// started ("failure" or "always"; absent for none): the notification
	// rules on the bus match it (NotificationRules).
	Notify string `json:",omitempty"`
}

// Entry is one event to put on the bus.
type Entry struct {
	DetailType string
	Detail     string // JSON
	Time       time.Time
}

// Build makes the event that announces r's end. r must have ended, as
// succeeded or failed (a skipped firing is not a run that ends).
func Build(r run.Run) (Entry, error) {
	var dt string
	switch r.State {
	case run.Succeeded:
		dt = DetailTypeSucceeded
	case run.Failed:
		dt = DetailTypeFailed
	default:
		return Entry{}, fmt.Errorf("run %s is %s: only a run that succeeded or failed has an end event", r.RunId, r.State)
	}
	if r.FinishedAt == nil {
		return Entry{}, fmt.Errorf("run %s is %s but has no FinishedAt", r.RunId, r.State)
	}
	d := Detail{
		EventId: EventId(r.RunId, KindEnded), RunId: r.RunId, ScheduleId: r.ScheduleId, DatasetId: r.DatasetId,
		State: r.State, Reason: r.Reason, Trigger: r.Trigger, CreatedAt: r.CreatedAt.UTC(), StartedAt: utc(r.StartedAt),
		FinishedAt: r.FinishedAt.UTC(), DurationSeconds: duration(r), Counts: r.Counts,
		TasksPlanned: r.TasksPlanned, TasksDone: r.TasksDone, Notify: r.Notify, Report: r.Report,
	}
	b, err := json.Marshal(d)
	if err != nil {
		return Entry{}, fmt.Errorf("encode the event of run %s: %w", r.RunId, err)
	}
	return Entry{DetailType: dt, Detail: string(b), Time: d.FinishedAt}, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// duration is how long r ran, in seconds to the millisecond; never negative
// (CreatedAt is truncated to the second).
func duration(r run.Run) float64 {
	from := r.CreatedAt
	if r.StartedAt != nil {
		from = *r.StartedAt
	}
	d := r.FinishedAt.Sub(from).Seconds()
	return math.Max(0, math.Round(d*1000)/1000)
}
