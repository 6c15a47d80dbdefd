package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/google/uuid"
)

// Store keeps schedules. Safe for concurrent use.
type Store interface {
	// CreateSchedule writes s and counts it on its dataset:
	// ErrDatasetGone when the dataset no longer exists, ErrNameTaken when
	// it has a schedule of the same name (ignoring case), even one being
	// created concurrently.
	CreateSchedule(ctx context.Context, s Schedule) error
	// GetSchedule returns a *apperr.Error of KindNotFound when absent.
	GetSchedule(ctx context.Context, id string) (Schedule, error)
	ListSchedules(ctx context.Context, user string, limit int, next string) ([]Schedule, string, error)
	// UpdateSchedule replaces old with updated if unchanged (ErrConcurrentChange).
	UpdateSchedule(ctx context.Context, old, updated Schedule) error
	// DeleteSchedule removes s if unchanged (ErrConcurrentChange).
	DeleteSchedule(ctx context.Context, s Schedule) error
}

// Scheduler holds the EventBridge Scheduler schedule that fires a schedule's
// runs. Put creates or replaces it; Delete removes it, absent or not.
type Scheduler interface {
	Put(ctx context.Context, s Schedule) error
	Delete(ctx context.Context, scheduleID string) error
}

// DatasetReader finds the datasets a caller may use.
type DatasetReader interface {
	Visible(ctx context.Context, caller, id string) (dataset.Dataset, error)
}

// Errors that stores return for the service to explain.
var (
	ErrDatasetGone      = errors.New("dataset deleted")
	ErrConcurrentChange = errors.New("schedule changed concurrently")
	// ErrNameTaken: the dataset has a schedule of that name (ignoring case).
	ErrNameTaken = errors.New("schedule name taken on this dataset")
)

// Service runs the schedule use cases.
type Service struct {
	Store     Store
	Scheduler Scheduler
	Datasets  DatasetReader
	// Upstream reads a schedule's dataset and its connection, whoever may
	// see them, for the chain's rules.
	Upstream chain.Reader
	Log      *slog.Logger
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create stores a schedule on a dataset the caller may use and, when it has
// an expression, its EventBridge schedule. If the latter fails, the former
// is taken back: nothing half-written stays.
func (s *Service) Create(ctx context.Context, caller string, in CreateInput) (View, error) {
	if err := in.normalize(s.now()); err != nil {
		return View{}, err
	}
	if _, err := uuid.Parse(in.DatasetId); err != nil || len(in.DatasetId) != 36 {
		// No dataset has this id: not worth a lookup that the store may
		// refuse (DynamoDB keys are at most 2 KB).
		return View{}, apperr.Invalid("DatasetId", "is not a dataset id (a UUID)")
	}
	d, err := s.Datasets.Visible(ctx, caller, in.DatasetId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return View{}, apperr.Invalid("DatasetId", "no dataset %s that you may use", in.DatasetId)
	} else if err != nil {
		return View{}, err
	}
	if err := s.checkCreate(ctx, caller, d, in.AuthorizedUsers); err != nil {
		return View{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return View{}, fmt.Errorf("new schedule id: %w", err)
	}
	now := s.now()
	sch := Schedule{
		ScheduleId: id.String(), ScheduleName: in.ScheduleName, ScheduleType: in.ScheduleType, DatasetId: in.DatasetId,
		Description: in.Description, ScheduleExpression: in.ScheduleExpression,
		ScheduleExpressionTimezone: in.ScheduleExpressionTimezone, IsEnabled: in.IsEnabled == nil || *in.IsEnabled,
		CreatedBy: caller, AuthorizedUsers: access.WithOwner(caller, in.AuthorizedUsers),
		CreatedAt: now, UpdatedAt: now, Revision: 1,
	}
	switch err := s.Store.CreateSchedule(ctx, sch); {
	case errors.Is(err, ErrDatasetGone):
		return View{}, apperr.Invalid("DatasetId", "dataset %s was deleted meanwhile", in.DatasetId)
	case errors.Is(err, ErrNameTaken):
		return View{}, apperr.Conflict("ScheduleName", "dataset %s already has a schedule named %s (names are unique per dataset, ignoring case)", in.DatasetId, in.ScheduleName)
	case err != nil:
		return View{}, err
	}
	if sch.Fires() {
		if err := s.Scheduler.Put(ctx, sch); err != nil {
			if derr := s.Store.DeleteSchedule(ctx, sch); derr != nil {
				s.Log.ErrorContext(ctx, "schedule left without its EventBridge schedule", "scheduleId", sch.ScheduleId, "error", derr)
			}
			return View{}, fmt.Errorf("create EventBridge schedule for %s: %w", sch.ScheduleId, err)
		}
	}
	return sch.View(), nil
}

// Get returns a schedule the caller may see.
func (s *Service) Get(ctx context.Context, caller, id string) (View, error) {
	sch, err := s.Visible(ctx, caller, id)
	return sch.View(), err
}

// List pages through the schedules the caller may see.
func (s *Service) List(ctx context.Context, caller string, limit int, next string) ([]View, string, error) {
	page, token, err := s.Store.ListSchedules(ctx, caller, limit, next)
	if err != nil {
		return nil, "", err
	}
	views := make([]View, len(page))
	for i, sch := range page {
		views[i] = sch.View()
	}
	return views, token, nil
}

// Update changes a schedule and then its EventBridge schedule; if the
// latter fails, the former is put back.
func (s *Service) Update(ctx context.Context, caller, id string, in UpdateInput) (View, error) {
	old, err := s.owned(ctx, caller, id)
	if err != nil {
		return View{}, err
	}
	if err := in.validate(old, s.now()); err != nil {
		return View{}, err
	}
	sch := old
	if in.Description != nil {
		sch.Description = *in.Description
	}
	if in.ScheduleExpression != nil {
		sch.ScheduleExpression = *in.ScheduleExpression
	}
	if in.ScheduleExpressionTimezone != nil {
		sch.ScheduleExpressionTimezone = *in.ScheduleExpressionTimezone
	}
	if sch.ScheduleExpression == "" {
		sch.ScheduleExpressionTimezone = ""
	}
	if in.IsEnabled != nil {
		sch.IsEnabled = *in.IsEnabled
	}
	if in.AuthorizedUsers != nil {
		sch.AuthorizedUsers = access.WithOwner(sch.CreatedBy, *in.AuthorizedUsers)
		if err := s.checkSharing(ctx, old, sch.AuthorizedUsers); err != nil {
			return View{}, err
		}
	}
	sch.UpdatedAt = s.now()
	sch.Revision = old.Revision + 1
	if err := s.Store.UpdateSchedule(ctx, old, sch); err != nil {
		if errors.Is(err, ErrConcurrentChange) {
			return View{}, apperr.Conflict("", "schedule %s was changed by another request: read it again and retry", old.ScheduleName)
		}
		return View{}, err
	}
	if err := s.sync(ctx, sch); err != nil {
		back := old
		back.Revision = sch.Revision + 1
		if rerr := s.Store.UpdateSchedule(ctx, sch, back); rerr != nil {
			s.Log.ErrorContext(ctx, "schedule and its EventBridge schedule disagree", "scheduleId", id, "error", rerr)
		}
		return View{}, fmt.Errorf("update EventBridge schedule for %s: %w", id, err)
	}
	return sch.View(), nil
}

// Delete removes the EventBridge schedule, then the schedule; if the latter
// fails, the former is put back. Its owner, its dataset's owner or the
// connection's owner may.
func (s *Service) Delete(ctx context.Context, caller, id string) error {
	sch, err := s.deletable(ctx, caller, id)
	if err != nil {
		return err
	}
	if err := s.Scheduler.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete EventBridge schedule %s: %w", id, err)
	}
	err = s.Store.DeleteSchedule(ctx, sch)
	if err == nil {
		return nil
	}
	if perr := s.sync(ctx, sch); perr != nil {
		s.Log.ErrorContext(ctx, "schedule left without its EventBridge schedule", "scheduleId", id, "error", perr)
	}
	if errors.Is(err, ErrConcurrentChange) {
		return apperr.Conflict("", "schedule %s changed while it was being deleted: try again", sch.ScheduleName)
	}
	return err
}

// sync makes EventBridge Scheduler hold what sch says.
func (s *Service) sync(ctx context.Context, sch Schedule) error {
	if sch.Fires() {
		return s.Scheduler.Put(ctx, sch)
	}
	return s.Scheduler.Delete(ctx, sch.ScheduleId)
}

// Visible loads a schedule the caller may see; others get not-found.
func (s *Service) Visible(ctx context.Context, caller, id string) (Schedule, error) {
	sch, err := s.Store.GetSchedule(ctx, id)
	return access.Visible(sch, err, caller, NotFound(id))
}

func (s *Service) owned(ctx context.Context, caller, id string) (Schedule, error) {
	sch, err := s.Store.GetSchedule(ctx, id)
	return access.Owned(sch, err, caller, NotFound(id))
}

// NotFound is the error for an absent schedule.
func NotFound(id string) error { return apperr.NotFound("schedule %s not found", id) }
