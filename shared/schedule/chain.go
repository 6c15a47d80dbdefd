package schedule

import (
	"context"
	"errors"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

// Access follows the chain a schedule is built on (README, "Access follows
// the whole chain"): its dataset and the dataset's connection.

// upstream reads the dataset a schedule is built on and its connection.
func (s *Service) upstream(ctx context.Context, datasetID string) (dataset.Dataset, connection.Connection, error) {
	d, err := s.Upstream.GetDataset(ctx, datasetID)
	if err != nil {
		return dataset.Dataset{}, connection.Connection{}, err
	}
	c, err := s.Upstream.GetConnection(ctx, d.ConnectionId)
	return d, c, err
}

// checkCreate refuses a schedule on d whose creator may not use d's
// connection, or shared with users who may not use d and its connection.
func (s *Service) checkCreate(ctx context.Context, caller string, d dataset.Dataset, users []string) error {
	c, err := s.Upstream.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return err
	}
	if err := chain.Uses(caller, chain.Connection(c)); err != nil {
		return apperr.Invalid("DatasetId", "you may not use connection %s, which dataset %s is built on", c.ConnectionId, d.DatasetId)
	}
	return sharable(d, c, []string{caller}, users)
}

// sharable refuses the users added to a schedule's AuthorizedUsers who may
// not use its dataset d and d's connection c.
func sharable(d dataset.Dataset, c connection.Connection, before, after []string) error {
	for _, u := range access.Added(before, after) {
		var ce *chain.Error
		if err := chain.Uses(u, chain.Dataset(d), chain.Connection(c)); errors.As(err, &ce) {
			return apperr.Invalid("AuthorizedUsers", "%s may not use %s, which the schedule is built on: share it with them first", u, ce.Link.Name())
		}
	}
	return nil
}

// checkSharing is sharable for an update of old's AuthorizedUsers to after.
func (s *Service) checkSharing(ctx context.Context, old Schedule, after []string) error {
	if len(access.Added(old.AuthorizedUsers, after)) == 0 {
		return nil // removing users is always allowed
	}
	d, c, err := s.upstream(ctx, old.DatasetId)
	if err != nil {
		return err
	}
	return sharable(d, c, old.AuthorizedUsers, after)
}

// deletable loads a schedule that caller may delete: its owner, or the
// owner of its dataset or of the dataset's connection. Users who may see it
// otherwise get 403, others 404.
func (s *Service) deletable(ctx context.Context, caller, id string) (Schedule, error) {
	sch, err := s.Store.GetSchedule(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return Schedule{}, NotFound(id)
	} else if err != nil {
		return Schedule{}, err
	}
	if sch.CreatedBy == caller {
		return sch, nil
	}
	d, c, err := s.upstream(ctx, sch.DatasetId)
	if err != nil && apperr.KindOf(err) != apperr.KindNotFound {
		return Schedule{}, err
	}
	if err == nil && (d.CreatedBy == caller || c.Owner() == caller) {
		return sch, nil
	}
	return access.Owned(sch, nil, caller, NotFound(id))
}
