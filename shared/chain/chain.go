// Package chain holds the rule that access follows the whole chain a run
// stands on: a schedule is built on a dataset, a dataset on a connection,
// and a user may use a resource only while they may use everything under
// it. Links are named by kind and id, never by name: a run's readers may
// include users who never could see the connection.
package chain

import (
	"context"

	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

// Reader reads what a chain is made of.
type Reader interface {
	GetDataset(ctx context.Context, id string) (dataset.Dataset, error)
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
}

// Link is one resource of a chain.
type Link struct {
	Kind, ID string
	canSee   func(user string) bool
}

// Name names the link in messages, e.g. "connection 0190…".
func (l Link) Name() string { return l.Kind + " " + l.ID }

// Connection is the link of c.
func Connection(c connection.Connection) Link {
	return Link{Kind: "connection", ID: c.ConnectionId, canSee: c.CanSee}
}

// Dataset is the link of d.
func Dataset(d dataset.Dataset) Link { return Link{Kind: "dataset", ID: d.DatasetId, canSee: d.CanSee} }

// Of is the link of any other resource (a schedule).
func Of(kind, id string, canSee func(user string) bool) Link {
	return Link{Kind: kind, ID: id, canSee: canSee}
}

// Error says which link a user may no longer use.
type Error struct {
	User string
	Link Link
}

func (e *Error) Error() string { return e.User + " may no longer use " + e.Link.Name() }

// Uses returns an *Error naming the first of links that user may not use.
func Uses(user string, links ...Link) error {
	for _, l := range links {
		if !l.canSee(user) {
			return &Error{User: user, Link: l}
		}
	}
	return nil
}

// Run checks the chain of a run of a schedule (owned by scheduleOwner,
// link sch) on d over c, started by user: d's owner may use c, the
// schedule's owner d and c, and user the schedule, d and c.
func Run(c connection.Connection, d dataset.Dataset, sch Link, scheduleOwner, user string) error {
	conn, ds := Connection(c), Dataset(d)
	if err := Uses(d.CreatedBy, conn); err != nil {
		return err
	}
	if err := Uses(scheduleOwner, ds, conn); err != nil {
		return err
	}
	return Uses(user, sch, ds, conn)
}
