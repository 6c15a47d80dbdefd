package ingest

import (
	"context"
	"time"
)

// Announcer announces the ends of runs on the platform's outbound bus
// (runevents.Publisher): an ender calls it right after the transaction
// that ended the run, which also wrote the run's outbox item. It logs its
// failures: the outbox keeps the end for the sweep.
type Announcer interface {
	Announce(ctx context.Context, runIDs ...string)
}

// RunEvents is the planner's Announcer, which also publishes, on each
// lease sweep, the run ends whose enders crashed before they announced
// them.
type RunEvents interface {
	Announcer
	PublishPending(ctx context.Context, now time.Time) (int, error)
}

// announce announces runIDs' ends, if a is set (tests of other concerns
// leave it out).
func announce(ctx context.Context, a Announcer, runIDs ...string) {
	if a != nil && len(runIDs) > 0 {
		a.Announce(ctx, runIDs...)
	}
}
