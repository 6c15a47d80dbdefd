package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/schedule"
	"github.com/google/uuid"
)

// Store keeps runs and the dataset leases. Safe for concurrent use.
type Store interface {
	// StartRun takes the dataset's lease until leaseUntil and writes r, or
	// returns *InProgressError while another run holds a live lease. A run
	// whose lease expired is marked failed on the way.
	StartRun(ctx context.Context, r Run, leaseUntil time.Time) error
	// RecordRun writes a run that holds no lease (a skipped trigger).
	RecordRun(ctx context.Context, r Run) error
	// GetRun returns a *apperr.Error of KindNotFound when absent.
	GetRun(ctx context.Context, id string) (Run, error)
	// ListRuns pages through a schedule's runs, newest first.
	ListRuns(ctx context.Context, scheduleID string, limit int, next string) ([]Run, string, error)
	// FinishRun ends a run that has not ended yet, releasing its lease.
	FinishRun(ctx context.Context, r Run, state State, reason string) error
	// RunFiles lists up to max skipped and failed files of a run.
	RunFiles(ctx context.Context, runID string, max int) (skipped, failed []FileOutcome, more bool, err error)
}

// InProgressError says which run holds the dataset.
type InProgressError struct{ RunId string }

func (e *InProgressError) Error() string { return "run " + e.RunId + " is in progress" }

// PlannerStarter starts the planner on a run, asynchronously.
type PlannerStarter interface {
	StartRun(ctx context.Context, scheduleID, runID string) error
}

// ScheduleReader finds the schedules a caller may use.
type ScheduleReader interface {
	Visible(ctx context.Context, caller, id string) (schedule.Schedule, error)
}

// Lease is how long a run holds its dataset without renewing: the planner
// and the workers renew it as they make progress.
const Lease = 15 * time.Minute

// Service runs the run use cases.
type Service struct {
	Store     Store
	Schedules ScheduleReader
	// Upstream reads the schedule's dataset and connection for the chain check.
	Upstream chain.Reader
	Planner  PlannerStarter
	// Reports links the reports of ended runs (GET /runs/{runId}/report).
	Reports ReportLinker
	Log     *slog.Logger
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// New returns a queued run of sch.
func New(sch schedule.Schedule, trigger Trigger, by string, now time.Time) (Run, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Run{}, fmt.Errorf("new run id: %w", err)
	}
	return Run{
		RunId: id.String(), ScheduleId: sch.ScheduleId, DatasetId: sch.DatasetId, Trigger: trigger, TriggeredBy: by,
		State: Queued, CreatedBy: sch.CreatedBy, AuthorizedUsers: sch.AuthorizedUsers, CreatedAt: now.Truncate(time.Second),
		Notify: sch.Notify.When(),
	}, nil
}

// RunNow starts a run of a schedule the caller may use: the record is
// written first (queued, holding the dataset's lease), then the planner is
// started asynchronously. A run in progress on the dataset is a conflict.
func (s *Service) RunNow(ctx context.Context, caller, scheduleID string) (Run, error) {
	sch, err := s.Schedules.Visible(ctx, caller, scheduleID)
	if err != nil {
		return Run{}, err
	}
	if err := s.checkChain(ctx, caller, sch); err != nil {
		return Run{}, err
	}
	now := s.now()
	r, err := New(sch, OnDemand, caller, now)
	if err != nil {
		return Run{}, err
	}
	var busy *InProgressError
	switch err := s.Store.StartRun(ctx, r, now.Add(Lease)); {
	case errors.As(err, &busy):
		return Run{}, apperr.Conflict("", "run %s of this dataset is in progress: wait for it to end", busy.RunId)
	case apperr.KindOf(err) == apperr.KindNotFound:
		return Run{}, apperr.Conflict("", "the schedule's dataset %s no longer exists", sch.DatasetId)
	case err != nil:
		return Run{}, err
	}
	if err := s.Planner.StartRun(ctx, scheduleID, r.RunId); err != nil {
		if ferr := s.Store.FinishRun(ctx, r, Failed, "the planner could not be started"); ferr != nil {
			s.Log.ErrorContext(ctx, "run left queued", "runId", r.RunId, "error", ferr)
		}
		return Run{}, fmt.Errorf("start planner for run %s: %w", r.RunId, err)
	}
	return r, nil
}

// Get returns a run the caller may see, with its skipped and failed files.
func (s *Service) Get(ctx context.Context, caller, runID string) (View, error) {
	r, err := s.visible(ctx, caller, runID)
	if err != nil {
		return View{}, err
	}
	v := View{Run: r}
	v.SkippedFiles, v.FailedFiles, v.MoreFiles, err = s.Store.RunFiles(ctx, runID, MaxListedFiles)
	return v, err
}

// List pages through the runs of a schedule the caller may see, newest first.
func (s *Service) List(ctx context.Context, caller, scheduleID string, limit int, next string) ([]Run, string, error) {
	if _, err := s.Schedules.Visible(ctx, caller, scheduleID); err != nil {
		return nil, "", err
	}
	return s.Store.ListRuns(ctx, scheduleID, limit, next)
}

// NotFound is the error for an absent run.
func NotFound(id string) error { return apperr.NotFound("run %s not found", id) }
