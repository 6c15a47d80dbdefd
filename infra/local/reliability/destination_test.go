package reliability

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/faults"
)

// A planner invocation that dies on every try (here: killed whenever it
// lists the source, as an out-of-memory crash would) is retried twice by
// Lambda, whose record of the last try lands in the planner's on-failure
// destination queue; the planner, consuming that queue, ends the run as
// failed with the reason at once: well within a minute, where the run's
// lease would have kept it "planning" for fifteen.
func TestPlannerFailingEveryTryEndsItsRun(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 5, 0, false, false)
	var killed atomic.Int64
	plat.Faults.S3.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		if op == "ListObjectsV2" {
			killed.Add(int64(plat.Runtime.Kill(plat.Names.PlannerFunction)))
			return faults.ResetBefore
		}
		return faults.None
	}})
	started := time.Now()
	runID := f.start(t)
	var r map[string]any
	for {
		_, r = api(t, f.user, "GET", "/runs/"+runID, nil)
		if r["State"] == "failed" || r["State"] == "succeeded" {
			break
		}
		if time.Since(started) > time.Minute {
			t.Fatalf("run %s not ended a minute after it started: %v", runID, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("run ended %s after it started", time.Since(started).Round(time.Millisecond))
	reason, _ := r["Reason"].(string)
	if r["State"] != "failed" || !strings.HasPrefix(reason, "planner failed after 3 attempts: ") ||
		!strings.Contains(reason, "Runtime exited with error: signal: killed") {
		t.Errorf("run %v: want failed, the planner's three attempts and its error as the reason", r)
	}
	if killed.Load() != 3 {
		t.Errorf("killed %d planner invocations, want 3 (one attempt and Lambda's two retries)", killed.Load())
	}
	// The dataset is free again: the next run starts (and, healthy, succeeds).
	plat.Faults.S3.SetConfig(faults.Config{})
	next := f.run(t)
	if next["State"] != "succeeded" {
		t.Errorf("the next run: %v", next)
	}
}
