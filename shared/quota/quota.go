// Package quota is the rule that bounds what one user owns: at most so many
// connections, datasets and schedules created by them (CreatedBy), so that
// one user cannot fill the table or EventBridge Scheduler with thousands.
//
// The store enforces it (shared/metadata): a per-user counter item is
// updated in the same transaction as the resource, on the condition that
// it is below the limit, and decremented when the resource is deleted, so
// concurrent creates cannot overshoot. A user's counter is created at their
// first create or delete after the feature shipped, from a count of what
// they own then (a lazy backfill).
package quota

import (
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// The limits when their setting is unset.
const (
	DefaultConnections = 100
	DefaultDatasets    = 500
	DefaultSchedules   = 500
)

// Kind is one kind of owned resource.
type Kind struct {
	Name    string // plural, for messages: "connections"
	Counter string // the counter attribute of the user's item
	Setting string // the setting of its limit
}

// The kinds a quota bounds.
var (
	Connections = Kind{Name: "connections", Counter: "Connections", Setting: platform.EnvMaxConnectionsPerUser}
	Datasets    = Kind{Name: "datasets", Counter: "Datasets", Setting: platform.EnvMaxDatasetsPerUser}
	Schedules   = Kind{Name: "schedules", Counter: "Schedules", Setting: platform.EnvMaxSchedulesPerUser}
)

// Limits are the most of each kind one user may own; 0 (or less) means the
// default.
type Limits struct {
	Connections, Datasets, Schedules int
}

// FromConfig reads the limits of the API's settings.
func FromConfig(c platform.Config) Limits {
	return Limits{Connections: c.MaxConnectionsPerUser, Datasets: c.MaxDatasetsPerUser, Schedules: c.MaxSchedulesPerUser}
}

// Of is the limit of kind k.
func (l Limits) Of(k Kind) int {
	switch k {
	case Connections:
		return orDefault(l.Connections, DefaultConnections)
	case Datasets:
		return orDefault(l.Datasets, DefaultDatasets)
	case Schedules:
		return orDefault(l.Schedules, DefaultSchedules)
	}
	panic("quota: unknown kind " + k.Name)
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Allows says whether a user who owns owned of kind k may create one more.
func (l Limits) Allows(k Kind, owned int64) bool { return owned < int64(l.Of(k)) }

// Exceeded is the answer (409) to a create over the limit of kind k.
func (l Limits) Exceeded(k Kind) error {
	return apperr.Conflict("", "you already own %d %s, the most one user may own (the platform's %s setting): delete one first",
		l.Of(k), k.Name, k.Setting)
}
