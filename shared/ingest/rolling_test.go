package ingest

import (
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// A rolling run closes once no event joined it for the quiet period, or
// once it holds the cap of tasks, and not before.
func TestRollingDue(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	last := t0.Add(time.Minute)
	for _, c := range []struct {
		name string
		r    run.Run
		now  time.Time
		want bool
	}{
		{"events lately", run.Run{CreatedAt: t0, LastEventAt: &last, TasksPlanned: 3}, last.Add(4 * time.Minute), false},
		{"quiet since the last event", run.Run{CreatedAt: t0, LastEventAt: &last, TasksPlanned: 3}, last.Add(5 * time.Minute), true},
		{"quiet since its start", run.Run{CreatedAt: t0}, t0.Add(5 * time.Minute), true},
		{"full", run.Run{CreatedAt: t0, LastEventAt: &last, TasksPlanned: 10}, last, true},
	} {
		if got := RollingDue(c.r, c.now, 5*time.Minute, 10); got != c.want {
			t.Errorf("%s: due %v, want %v", c.name, got, c.want)
		}
	}
}
