package ingest

import (
	"time"

	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// Task is one object to copy, as the planner sends it to the workers'
// queue. It carries what the worker needs from the dataset, so a worker
// reads no dataset per file.
type Task struct {
	RunId        string
	DatasetId    string
	ConnectionId string
	Bucket       string
	Key          string // source key
	Name         string // the file's name in the dataset
	Size         int64
	ETag         string
	StorageClass string
	Version      rules.Version
	FileType     dataset.FileType
	SkipLZ       bool
	TargetKey    string
	// RunStarted is the run's StartedAt: the catalog's exactly-once gate
	// orders the runs of a dataset by it. (Tasks sent before it existed
	// have none: the worker reads the run's.)
	RunStarted time.Time
	// ScheduleId is the run's schedule: a restore's follow-up run is one
	// of it.
	ScheduleId string `json:",omitempty"`
	// Restore is the dataset's RestoreArchived option, unless this run
	// requests no restores (nil).
	Restore *rules.RestoreArchived `json:",omitempty"`
	// Reconcile marks a task of a listing of an event-driven dataset: a
	// file the events missed, counted Reconciled once copied. Event-made
	// tasks carry the event's own gate in RunStarted (shared/eventingest).
	Reconcile bool `json:",omitempty"`
	// Event marks a task made from a source event.
	Event bool `json:",omitempty"`
	// NoEntry says the planner found no catalog entry for Name: its
	// commit tries a batched insert first (run.FileResult.NoEntry). A hint
	// only: a stale one costs a refused insert, never a wrong count.
	NoEntry bool `json:",omitempty"`
}

// Complete says whether t names everything a worker needs to act on it: a
// task without one of these cannot succeed on any delivery, so the worker
// drops it rather than retrying it into the dead-letter queue.
func (t Task) Complete() bool {
	for _, v := range []string{t.RunId, t.DatasetId, t.ConnectionId, t.Bucket, t.Key, t.Name, t.TargetKey} {
		if v == "" {
			return false
		}
	}
	return true
}

// object is what the listing said of t's source object.
func (t Task) object() rules.Object {
	return rules.Object{Name: t.Name, Class: rules.Class(t.StorageClass), Size: t.Size, ETag: t.ETag}
}
