// Package ingest is the ingestion side of the platform: the planner (which
// also answers connection tests, as only the ingestion functions may read
// source buckets and decrypt secrets) and, later, the workers.
package ingest

import (
	"context"
	"fmt"

	"github.com/datalake-platform/s3connections/shared/connection"
)

// Planner actions, named in PlannerEvent.Action.
const (
	// ActionTestConnection asks whether a connection can list its bucket.
	ActionTestConnection = "TestConnection"
)

// PlannerEvent is what invokes the planner: the API's connection tests now,
// the scheduler's runs later.
type PlannerEvent struct {
	Action       string `json:",omitempty"`
	ConnectionId string `json:",omitempty"`
}

// ConnectionGetter reads connections.
type ConnectionGetter interface {
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
}

// ConnectionTester lists a connection's bucket with its access.
type ConnectionTester interface {
	Test(ctx context.Context, c connection.Connection) (connection.TestResult, error)
}

// Planner handles the planner function's events.
type Planner struct {
	Connections ConnectionGetter
	Source      ConnectionTester
}

// Handle runs one planner event.
func (p *Planner) Handle(ctx context.Context, ev PlannerEvent) (connection.TestResult, error) {
	switch ev.Action {
	case ActionTestConnection:
		c, err := p.Connections.GetConnection(ctx, ev.ConnectionId)
		if err != nil {
			return connection.TestResult{}, fmt.Errorf("test connection %s: %w", ev.ConnectionId, err)
		}
		return p.Source.Test(ctx, c)
	default:
		return connection.TestResult{}, fmt.Errorf("unknown planner action %q", ev.Action)
	}
}
