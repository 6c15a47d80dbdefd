package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/google/uuid"
)

// Store keeps datasets and their catalogs. Safe for concurrent use.
type Store interface {
	// CreateDataset writes d, claims its name in its domain and counts it on
	// conn, all or nothing: ErrNameTaken, ErrNameRetired (the name of a
	// deleted dataset of another owner), ErrDomainNotShared (d.CreatedBy may
	// not create in the domain; its first create makes d.CreatedBy its
	// owner), or ErrConnectionChanged when conn was deleted or (for a SkipLZ
	// dataset) left the versions that allow it.
	CreateDataset(ctx context.Context, d Dataset) error
	// GetDataset returns a *apperr.Error of KindNotFound when absent.
	GetDataset(ctx context.Context, id string) (Dataset, error)
	ListDatasets(ctx context.Context, user string, limit int, next string) ([]Dataset, string, error)
	// UpdateDataset replaces old with updated if unchanged since read
	// (ErrConcurrentChange), keeping access entries and the connection's
	// SkipLZ count in step (ErrConnectionChanged if SkipLZ is no longer allowed).
	UpdateDataset(ctx context.Context, old, updated Dataset) error
	// DeleteDataset removes d, keeping its name claimed (retired, with its
	// former owner): ErrHasSchedules, ErrRunInProgress or ErrConcurrentChange.
	DeleteDataset(ctx context.Context, d Dataset) error
	SchedulesOfDataset(ctx context.Context, id string) ([]ScheduleRef, error)
	// DatasetsOfConnection lists the datasets built on a connection.
	DatasetsOfConnection(ctx context.Context, id string) ([]connection.DatasetRef, error)
	// ListFiles pages through the dataset's catalog by name.
	ListFiles(ctx context.Context, datasetID string, limit int, next string) ([]File, string, error)
	// ListRestores pages through the dataset's pending restores by name.
	ListRestores(ctx context.Context, datasetID string, limit int, next string) ([]PendingRestore, string, error)
}

// ConnectionGetter reads the connection a dataset ingests from.
type ConnectionGetter interface {
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
}

// Errors that stores return for the service to explain.
var (
	ErrNameTaken         = errors.New("dataset name taken in domain")
	ErrConnectionChanged = errors.New("connection deleted or downgraded")
	ErrHasSchedules      = errors.New("dataset has schedules")
	ErrRunInProgress     = errors.New("dataset has a run in progress")
	ErrConcurrentChange  = errors.New("dataset changed concurrently")
)

// Service runs the dataset use cases.
type Service struct {
	Store       Store
	Connections ConnectionGetter
	Now         func() time.Time
	// PlatformBuckets are the platform's own buckets, which no dataset's
	// inventory may be in.
	PlatformBuckets []string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create validates in and stores a dataset owned by caller on a connection
// the caller may use.
func (s *Service) Create(ctx context.Context, caller string, in CreateInput) (View, error) {
	if err := in.normalize(); err != nil {
		return View{}, err
	}
	if _, err := uuid.Parse(in.ConnectionId); err != nil || len(in.ConnectionId) != 36 {
		// No connection has this id: not worth a lookup that the store may
		// refuse (DynamoDB keys are at most 2 KB).
		return View{}, apperr.Invalid("ConnectionId", "is not a connection id (a UUID)")
	}
	conn, err := s.Connections.GetConnection(ctx, in.ConnectionId)
	if apperr.KindOf(err) == apperr.KindNotFound || err == nil && !conn.CanSee(caller) {
		return View{}, apperr.Invalid("ConnectionId", "no connection %s that you may use", in.ConnectionId)
	}
	if err != nil {
		return View{}, err
	}
	if in.SkipLZ && !conn.Version.AllowsSkipLZ() {
		return View{}, skipLZNeeds(conn)
	}
	if err := normalizeInventory(in.Inventory, conn); err != nil {
		return View{}, err
	}
	if err := normalizeRestore(in.RestoreArchived, conn); err != nil {
		return View{}, err
	}
	if err := s.refusePlatformInventory(in.Inventory); err != nil {
		return View{}, err
	}
	trigger, err := normalizeTrigger(in.Trigger, conn)
	if err != nil {
		return View{}, err
	}
	if err := sharable(conn, []string{caller}, in.AuthorizedUsers); err != nil {
		return View{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return View{}, fmt.Errorf("new dataset id: %w", err)
	}
	now := s.now()
	d := Dataset{
		DatasetId: id.String(), DatasetName: in.DatasetName, Domain: in.Domain, Description: in.Description,
		ConnectionId: conn.ConnectionId, FileType: in.FileType, DirectoryPath: in.DirectoryPath, SkipLZ: in.SkipLZ,
		Inventory: in.Inventory, RestoreArchived: in.RestoreArchived, CreatedBy: caller, AuthorizedUsers: access.WithOwner(caller, in.AuthorizedUsers),
		CreatedAt: now, UpdatedAt: now, Revision: 1, Trigger: trigger,
	}
	if d.EventDriven() {
		d.EventBucket = conn.S3Bucket
	}
	switch err := s.Store.CreateDataset(ctx, d); {
	case claimError(err, d) != nil:
		return View{}, claimError(err, d)
	case errors.Is(err, ErrConnectionChanged):
		return View{}, apperr.Conflict("ConnectionId", "connection %s was deleted or downgraded meanwhile below the version this dataset's options need", conn.ConnectionName)
	case err != nil:
		return View{}, err
	}
	return d.View(), nil
}

// Get returns a dataset the caller may see.
func (s *Service) Get(ctx context.Context, caller, id string) (View, error) {
	d, err := s.Visible(ctx, caller, id)
	return d.View(), err
}

// List pages through the datasets the caller may see.
func (s *Service) List(ctx context.Context, caller string, limit int, next string) ([]View, string, error) {
	page, token, err := s.Store.ListDatasets(ctx, caller, limit, next)
	if err != nil {
		return nil, "", err
	}
	views := make([]View, len(page))
	for i, d := range page {
		views[i] = d.View()
	}
	return views, token, nil
}

// Update changes the description, the authorized users, SkipLZ, the
// inventory or the restore option.
func (s *Service) Update(ctx context.Context, caller, id string, in UpdateInput) (View, error) {
	old, err := s.owned(ctx, caller, id)
	if err != nil {
		return View{}, err
	}
	if err := in.validate(); err != nil {
		return View{}, err
	}
	d := old
	if in.Description != nil {
		d.Description = *in.Description
	}
	if in.AuthorizedUsers != nil {
		d.AuthorizedUsers = access.WithOwner(d.CreatedBy, *in.AuthorizedUsers)
		if err := s.checkSharing(ctx, old, d.AuthorizedUsers); err != nil {
			return View{}, err
		}
	}
	if in.SkipLZ != nil && *in.SkipLZ != old.SkipLZ {
		if *in.SkipLZ {
			conn, err := s.Connections.GetConnection(ctx, d.ConnectionId)
			if err != nil {
				return View{}, err
			}
			if !conn.Version.AllowsSkipLZ() {
				return View{}, skipLZNeeds(conn)
			}
		}
		d.SkipLZ = *in.SkipLZ
	}
	if in.Inventory != nil {
		if err := s.applyInventory(ctx, &d, in.Inventory); err != nil {
			return View{}, err
		}
	}
	if in.RestoreArchived != nil {
		if err := s.applyRestore(ctx, &d, in.RestoreArchived); err != nil {
			return View{}, err
		}
	}
	if in.Trigger != nil {
		if err := s.updateTrigger(ctx, &d, *in.Trigger); err != nil {
			return View{}, err
		}
	}
	d.UpdatedAt = s.now()
	d.Revision = old.Revision + 1
	switch err := s.Store.UpdateDataset(ctx, old, d); {
	case errors.Is(err, ErrConcurrentChange):
		return View{}, apperr.Conflict("", "dataset %s was changed by another request: read it again and retry", d.DatasetName)
	case errors.Is(err, ErrConnectionChanged):
		return View{}, apperr.Conflict("", "the connection was downgraded meanwhile below the version this dataset's options need")
	case err != nil:
		return View{}, err
	}
	return d.View(), nil
}

// Delete removes a dataset that has no schedules and no run in progress:
// its owner or its connection's owner may. Its files stay in the LZ and DLZ
// buckets.
func (s *Service) Delete(ctx context.Context, caller, id string) error {
	d, err := s.deletable(ctx, caller, id)
	if err != nil {
		return err
	}
	switch err := s.Store.DeleteDataset(ctx, d); {
	case errors.Is(err, ErrHasSchedules):
		refs, lerr := s.Store.SchedulesOfDataset(ctx, id)
		if lerr != nil {
			return lerr
		}
		names := make([]string, len(refs))
		for i, r := range refs {
			names[i] = fmt.Sprintf("%s (%s)", r.ScheduleName, r.ScheduleId)
		}
		return apperr.Conflict("", "dataset %s has schedules %s: delete them first", d.DatasetName, strings.Join(names, ", "))
	case errors.Is(err, ErrRunInProgress):
		return apperr.Conflict("", "dataset %s has a run in progress: delete it when the run ends", d.DatasetName)
	case errors.Is(err, ErrConcurrentChange):
		return apperr.Conflict("", "dataset %s changed while it was being deleted: try again", d.DatasetName)
	default:
		return err
	}
}

// Files pages through the catalog of a dataset the caller may see.
func (s *Service) Files(ctx context.Context, caller, id string, limit int, next string) ([]File, string, error) {
	d, err := s.Visible(ctx, caller, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.readable(ctx, caller, d); err != nil {
		return nil, "", err
	}
	return s.Store.ListFiles(ctx, id, limit, next)
}

// Restores pages through the pending restores of a dataset the caller may
// see and read (as Files: they name its source's keys).
func (s *Service) Restores(ctx context.Context, caller, id string, limit int, next string) ([]PendingRestore, string, error) {
	d, err := s.Visible(ctx, caller, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.readable(ctx, caller, d); err != nil {
		return nil, "", err
	}
	return s.Store.ListRestores(ctx, id, limit, next)
}

// Visible loads a dataset the caller may see; others get not-found.
func (s *Service) Visible(ctx context.Context, caller, id string) (Dataset, error) {
	d, err := s.Store.GetDataset(ctx, id)
	return access.Visible(d, err, caller, NotFound(id))
}

func (s *Service) owned(ctx context.Context, caller, id string) (Dataset, error) {
	d, err := s.Store.GetDataset(ctx, id)
	return access.Owned(d, err, caller, NotFound(id))
}

// NotFound is the error for an absent dataset.
func NotFound(id string) error { return apperr.NotFound("dataset %s not found", id) }

func skipLZNeeds(c connection.Connection) error {
	return apperr.Invalid("SkipLZ", "needs connection version %s or later; connection %s is at %s: upgrade it first", rules.V1_8, c.ConnectionName, c.Version)
}
