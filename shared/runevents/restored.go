package runevents

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// DetailTypeRestored announces that a run ingested archived files whose
// restores the platform had requested (RestoreArchived): a consumer
// waiting for archived data learns it landed, with no one asking.
const DetailTypeRestored = "Archived Files Restored"

// KindRestored is the kind of a run's Archived Files Restored event, in
// its EventId.
const KindRestored = "restored"

// RestoredDetail is the detail of Archived Files Restored.
type RestoredDetail struct {
	EventId    string
	RunId      string
	ScheduleId string
	DatasetId  string
	Trigger    run.Trigger
	// Restored counts the files the run copied from restored copies;
	// Restoring, those still restoring when it ended.
	Restored   int64
	Restoring  int64
	FinishedAt time.Time
	// Report lists them (their Outcome copied; null until reports exist).
	Report *run.Report
}

// BuildAll makes every event of r's end: its end (Build) and, when it
// copied restored files, Archived Files Restored.
func BuildAll(r run.Run) ([]Entry, error) {
	end, err := Build(r)
	if err != nil || r.Restored == 0 {
		return []Entry{end}, err
	}
	d := RestoredDetail{
		EventId: EventId(r.RunId, KindRestored), RunId: r.RunId, ScheduleId: r.ScheduleId, DatasetId: r.DatasetId, Trigger: r.Trigger,
		Restored: r.Restored, Restoring: r.Restoring, FinishedAt: end.Time, Report: r.Report,
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode the restored event of run %s: %w", r.RunId, err)
	}
	return []Entry{end, {DetailType: DetailTypeRestored, Detail: string(b), Time: end.Time}}, nil
}
