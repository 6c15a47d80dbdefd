package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Rolling runs: an event-driven dataset's events join the run that holds
// its lease (a rolling run they started, or a reconciling run), so runs
// stay one at a time. A join adds one task to the run's TasksPlanned and
// stamps LastEventAt, conditional on the run not having ended; a rolling
// run is open (Running, PlanningDone false) until the sweep closes it
// (CloseRollingRun: PlanningDone), after which it ends as any run does,
// when its last task is done (CompleteIfDone).

// JoinRun adds n tasks of events to the run that holds datasetID's lease,
// or starts fresh() (a rolling run) and adds them to it when no run holds
// it. It returns the run the tasks belong to. The lease is renewed when
// less than run.Lease less a minute is left of it, not at every event.
func (s *Store) JoinRun(ctx context.Context, datasetID string, fresh func() (run.Run, error), n int64, now time.Time) (run.Run, error) {
	for range startRunAttempts + 1 {
		st, err := s.datasetState(ctx, datasetID)
		if err != nil {
			return run.Run{}, err
		}
		holder, renew := st.ActiveRunId, st.LeaseExpiresAt < now.Add(run.Lease-time.Minute).Unix()
		if holder == "" || st.LeaseExpiresAt < now.Unix() {
			r, err := fresh()
			if err != nil {
				return run.Run{}, err
			}
			var busy *run.InProgressError
			switch err := s.StartRun(ctx, r, now.Add(run.Lease)); {
			case errors.As(err, &busy):
				holder = busy.RunId
			case err != nil:
				return run.Run{}, err
			default:
				holder, renew = r.RunId, false
			}
		}
		r, err := s.addEventTasks(ctx, holder, n, now)
		if errors.Is(err, errRunEnded) {
			continue // it ended meanwhile: start the next one
		}
		if err != nil {
			return run.Run{}, err
		}
		if !renew {
			return r, nil
		}
		if err := s.RenewLease(ctx, datasetID, r.RunId, now.Add(run.Lease)); err != nil && !errors.Is(err, ingest.ErrLeaseLost) {
			return run.Run{}, err
		}
		return r, nil
	}
	return run.Run{}, fmt.Errorf("join a run of dataset %s: its runs kept ending", datasetID)
}

var errRunEnded = errors.New("run ended")

// addEventTasks counts n more tasks on runID, unless it ended.
func (s *Store) addEventTasks(ctx context.Context, runID string, n int64, now time.Time) (run.Run, error) {
	add := expression.Add(expression.Name("TasksPlanned"), expression.Value(n)).
		Add(expression.Name("EventTasks"), expression.Value(n)).
		Set(expression.Name("LastEventAt"), expression.Value(now.UTC()))
	out, err := s.updateItemIf(ctx, runKey(runID), add, runIn(run.Planning, run.Running), types.ReturnValueAllNew)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return run.Run{}, errRunEnded
	}
	if err != nil {
		return run.Run{}, fmt.Errorf("add event tasks to run %s: %w", runID, err)
	}
	return decodeRun(runID, out.Attributes)
}

// UnjoinRun takes back n tasks that JoinRun counted but that could not be
// sent, so that the run can end.
func (s *Store) UnjoinRun(ctx context.Context, runID string, n int64) error {
	sub := expression.Add(expression.Name("TasksPlanned"), expression.Value(-n)).Add(expression.Name("EventTasks"), expression.Value(-n))
	_, err := s.updateItemIf(ctx, runKey(runID), sub, runIn(run.Planning, run.Running), types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("take back event tasks of run %s: %w", runID, err)
	}
	return nil
}

// RollingRuns returns the open rolling runs (event-triggered, planning not
// done) among the runs that hold leases.
func (s *Store) RollingRuns(ctx context.Context) ([]run.Run, error) {
	entries, err := queryAll[leaseEntry](ctx, s.client, s.query(leaseIndexQuery()))
	if err != nil {
		return nil, fmt.Errorf("read the lease index: %w", err)
	}
	var open []run.Run
	for _, e := range entries {
		r, err := s.GetRun(ctx, e.RunId)
		if apperr.KindOf(err) == apperr.KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Trigger == run.Events && !r.State.Ended() {
			open = append(open, r)
		}
	}
	return open, nil
}

// CloseRollingRun marks r's planning done if no event joined it since r
// was read, so that it ends when its last task does; false if one did.
func (s *Store) CloseRollingRun(ctx context.Context, r run.Run) (bool, error) {
	cond := runIn(run.Running).And(expression.Name("PlanningDone").Equal(expression.Value(false))).
		And(expression.Name("TasksPlanned").Equal(expression.Value(r.TasksPlanned)))
	_, err := s.updateItemIf(ctx, runKey(r.RunId), expression.Set(expression.Name("PlanningDone"), expression.Value(true)), cond, types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("close rolling run %s: %w", r.RunId, err)
	}
	return true, nil
}
