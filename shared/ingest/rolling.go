package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// Rolling runs of event-driven datasets (shared/eventingest starts them
// and adds the events' tasks): the lease sweep closes each after a quiet
// period without an event, or once it holds a size cap of tasks, and a
// closed run ends, as any run does, when its last task is done. A
// scheduled (reconciling) run that finds one open closes it and is tried
// again later, so that it starts only after the rolling run ended.

// RollingStore finds and closes rolling runs.
type RollingStore interface {
	// RollingRuns are the open rolling runs.
	RollingRuns(ctx context.Context) ([]run.Run, error)
	// CloseRollingRun closes r unless an event joined it since it was
	// read (false).
	CloseRollingRun(ctx context.Context, r run.Run) (bool, error)
}

// Defaults of the rolling runs' settings (ROLLING_RUN_QUIET, ROLLING_RUN_CAP).
const (
	DefaultRollingQuiet       = 5 * time.Minute
	DefaultRollingCap   int64 = 10000
)

// RollingDue says whether the open rolling run r closes at now: no event
// joined it for quiet, or it holds cap tasks.
func RollingDue(r run.Run, now time.Time, quiet time.Duration, cap int64) bool {
	last := r.CreatedAt
	if r.LastEventAt != nil {
		last = *r.LastEventAt
	}
	return r.TasksPlanned >= cap || !now.Before(last.Add(quiet))
}

// closeRollingRuns closes the rolling runs that are due and ends those
// whose tasks are all done.
func (p *Planner) closeRollingRuns(ctx context.Context) error {
	if p.Rolling == nil {
		return nil
	}
	open, err := p.Rolling.RollingRuns(ctx)
	if err != nil {
		return fmt.Errorf("read the rolling runs: %w", err)
	}
	quiet, limit := p.RollingQuiet, p.RollingCap
	if quiet <= 0 {
		quiet = DefaultRollingQuiet
	}
	if limit <= 0 {
		limit = DefaultRollingCap
	}
	for _, r := range open {
		if r.PlanningDone || !RollingDue(r, p.now(), quiet, limit) {
			continue
		}
		if err := p.closeRolling(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// closeRolling closes r and ends it if its tasks are done.
func (p *Planner) closeRolling(ctx context.Context, r run.Run) error {
	closed, err := p.Rolling.CloseRollingRun(ctx, r)
	if err != nil || !closed {
		return err
	}
	p.Log.InfoContext(ctx, "rolling run closed", "runId", r.RunId, "datasetId", r.DatasetId, "tasks", r.TasksPlanned)
	return p.completeIfDone(ctx, r.RunId)
}

// yieldToRolling closes the rolling run busy, if it is one, when a
// scheduled run of its dataset is due: the firing fails, and Lambda's
// retries of it start the reconciling run once the rolling run ended.
func (p *Planner) yieldToRolling(ctx context.Context, busy string) error {
	if p.Rolling == nil {
		return nil
	}
	r, err := p.Store.GetRunRecord(ctx, busy)
	if err != nil || r.Trigger != run.Events || r.State.Ended() {
		return err
	}
	if !r.PlanningDone {
		if err := p.closeRolling(ctx, r); err != nil {
			return err
		}
	}
	return fmt.Errorf("rolling run %s of dataset %s is closing: the reconciling run starts after it (this firing is retried)", busy, r.DatasetId)
}
