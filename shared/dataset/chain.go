package dataset

import (
	"context"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// Access follows the chain a dataset is built on (README, "Access follows
// the whole chain"): a dataset is shared only with users who may use its
// connection, and the connection's owner sees and may delete every dataset
// built on it.

// sharable refuses the users added to a dataset's AuthorizedUsers (after,
// not in before) who may not use its connection c.
func sharable(c connection.Connection, before, after []string) error {
	for _, u := range access.Added(before, after) {
		if !c.CanSee(u) {
			return apperr.Invalid("AuthorizedUsers", "%s may not use connection %s, which the dataset is built on: its owner must share it with them first", u, c.ConnectionId)
		}
	}
	return nil
}

// checkSharing is sharable for an update of d's AuthorizedUsers to after.
func (s *Service) checkSharing(ctx context.Context, d Dataset, after []string) error {
	if len(access.Added(d.AuthorizedUsers, after)) == 0 {
		return nil // removing users is always allowed
	}
	c, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return err
	}
	return sharable(c, d.AuthorizedUsers, after)
}

// readable refuses (403) caller the files of d, which come from its
// connection's source, unless both caller and d's owner may still use the
// connection: a user the connection's owner removed, or one a dataset was
// shared with before sharing followed the chain, lists nothing of it.
func (s *Service) readable(ctx context.Context, caller string, d Dataset) error {
	c, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return apperr.Forbidden("the dataset's files cannot be listed: connection %s, which it is built on, is gone", d.ConnectionId)
	} else if err != nil {
		return err
	}
	for _, u := range []string{d.CreatedBy, caller} {
		if !c.CanSee(u) {
			return apperr.Forbidden("the dataset's files cannot be listed: %s may no longer use connection %s, which the dataset is built on", u, c.ConnectionId)
		}
	}
	return nil
}

// deletable loads a dataset that caller may delete: its owner or the owner
// of its connection. Users who may see it otherwise get 403, others 404.
func (s *Service) deletable(ctx context.Context, caller, id string) (Dataset, error) {
	d, err := s.Store.GetDataset(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return Dataset{}, NotFound(id)
	} else if err != nil {
		return Dataset{}, err
	}
	if d.CreatedBy == caller {
		return d, nil
	}
	c, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if err != nil && apperr.KindOf(err) != apperr.KindNotFound {
		return Dataset{}, err
	}
	if err == nil && c.Owner() == caller {
		return d, nil
	}
	return access.Owned(d, nil, caller, NotFound(id))
}

// Built is a dataset as the owner of its connection sees it.
type Built struct {
	DatasetId   string
	DatasetName string
	Domain      string
	CreatedBy   string
	Schedules   []ScheduleRef
}

// OnConnection lists every dataset built on a connection, whoever built it,
// with its schedules: for the connection's owner only (others who may see
// it get 403, anyone else 404).
func (s *Service) OnConnection(ctx context.Context, caller, connectionID string) ([]Built, error) {
	c, err := s.Connections.GetConnection(ctx, connectionID)
	if _, err := access.Owned(c, err, caller, connection.NotFound(connectionID)); err != nil {
		return nil, err
	}
	refs, err := s.Store.DatasetsOfConnection(ctx, connectionID)
	if err != nil {
		return nil, err
	}
	out := make([]Built, 0, len(refs))
	for _, ref := range refs {
		d, err := s.Store.GetDataset(ctx, ref.DatasetId)
		if apperr.KindOf(err) == apperr.KindNotFound {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		schedules, err := s.Store.SchedulesOfDataset(ctx, d.DatasetId)
		if err != nil {
			return nil, err
		}
		out = append(out, Built{DatasetId: d.DatasetId, DatasetName: d.DatasetName, Domain: d.Domain, CreatedBy: d.CreatedBy,
			Schedules: append([]ScheduleRef{}, schedules...)})
	}
	return out, nil
}
