package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/run"
)

// FollowUps are the datasets with pending restores: the sweep starts a run
// of each whose restores are due (run.FollowUp), so that restored files are
// ingested with no one watching, on-demand schedules too.
type FollowUps interface {
	// DueFollowUps returns the follow-ups with a due time at or before now.
	DueFollowUps(ctx context.Context, now time.Time) ([]run.FollowUp, error)
	// FollowedUp clears f's due times that passed by now (a run started).
	FollowedUp(ctx context.Context, f run.FollowUp, now time.Time) error
	// DropFollowUp forgets a follow-up whose schedule or dataset is gone.
	DropFollowUp(ctx context.Context, datasetID string) error
}

// followUpRestores starts a run for every dataset whose pending restores
// are due. A dataset with a run in progress waits for the next sweep (that
// run may well ingest them); the run started goes through every check a
// scheduled run does (its chain, the source), acting for the schedule's
// owner, and plans in its own invocation.
func (p *Planner) followUpRestores(ctx context.Context) error {
	now := p.now().UTC()
	due, err := p.Store.DueFollowUps(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range due {
		if err := p.followUp(ctx, f, now); err != nil {
			errs = append(errs, fmt.Errorf("follow up the restores of dataset %s: %w", f.DatasetId, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Planner) followUp(ctx context.Context, f run.FollowUp, now time.Time) error {
	sch, err := p.Store.GetSchedule(ctx, f.ScheduleId)
	if apperr.KindOf(err) == apperr.KindNotFound || err == nil && sch.DatasetId != f.DatasetId {
		p.Log.WarnContext(ctx, "restores pending for a deleted schedule: the next run of the dataset ingests them", "datasetId", f.DatasetId, "scheduleId", f.ScheduleId)
		return p.Store.DropFollowUp(ctx, f.DatasetId)
	} else if err != nil {
		return err
	}
	r, err := run.New(sch, run.RestoreFollowUp, "platform", now)
	if err != nil {
		return err
	}
	var busy *run.InProgressError
	switch err := p.Store.StartRun(ctx, r, now.Add(run.Lease)); {
	case errors.As(err, &busy):
		return nil // the sweep after that run ends tries again
	case apperr.KindOf(err) == apperr.KindNotFound:
		return p.Store.DropFollowUp(ctx, f.DatasetId)
	case err != nil:
		return err
	}
	p.Log.InfoContext(ctx, "run started to ingest restored files", "runId", r.RunId, "datasetId", f.DatasetId, "scheduleId", f.ScheduleId)
	if err := p.Store.FollowedUp(ctx, f, now); err != nil {
		p.Log.WarnContext(ctx, "clear a restore follow-up", "datasetId", f.DatasetId, "error", err)
	}
	return p.Continue.ContinueRun(ctx, r.RunId)
}
