package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/infra/local/faults"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/run"
)

// A planner invocation that dies on every try (here: killed whenever it
// lists the source, as an out-of-memory crash would) is retried twice by
// Lambda, whose record of the last try lands in the planner's on-failure
// destination queue; the planner, consuming that queue, ends the run as
// failed with the reason at once: well within a minute, where the run's
// lease would have kept it "planning" for fifteen. A run on demand names
// its run; a scheduled firing (as EventBridge Scheduler invokes it, with
// its execution id) starts one run, which its retries resume rather than
// record as skipped, and which its record ends.
func TestPlannerFailingEveryTryEndsItsRun(t *testing.T) {
	for _, trigger := range []string{"on demand", "scheduled"} {
		t.Run(trigger, func(t *testing.T) {
			noFaults(t)
			f := newFixture(t, 5, 0, false, false)
			var killed atomic.Int64
			plat.Faults.S3.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
				// The planner's three tries each die listing the source; the
				// listing after them is the failed run's report assembly.
				if op == "ListObjectsV2" && killed.Load() < 3 {
					killed.Add(int64(plat.Runtime.Kill(plat.Names.PlannerFunction)))
					return faults.ResetBefore
				}
				return faults.None
			}})
			started := time.Now()
			runID := ""
			if trigger == "on demand" {
				runID = f.start(t)
			} else {
				ev, _ := json.Marshal(ingest.PlannerEvent{ScheduleId: f.scheduleID, Firing: "0123456789abcdef"})
				if _, err := plat.Runtime.InvokeAsync(plat.Names.PlannerFunction, ev); err != nil {
					t.Fatal(err)
				}
			}
			r := waitEnded(t, f, runID, started)
			t.Logf("run ended %s after it started", time.Since(started).Round(time.Millisecond))
			reason, _ := r["Reason"].(string)
			if r["State"] != "failed" || !strings.HasPrefix(reason, "planner failed after 3 attempts: ") ||
				!strings.Contains(reason, "Runtime exited with error: signal: killed") {
				t.Errorf("run %v: want failed, the planner's three attempts and its error as the reason", r)
			}
			if killed.Load() != 3 {
				t.Errorf("killed %d planner invocations, want 3 (one attempt and Lambda's two retries)", killed.Load())
			}
			if _, list := api(t, f.user, "GET", "/schedules/"+f.scheduleID+"/runs", nil); len(list["Runs"].([]any)) != 1 {
				t.Errorf("runs of the schedule: %v, want the one run", list["Runs"])
			}
			// The dataset is free again: the next run starts (and, healthy, succeeds).
			plat.Faults.S3.SetConfig(faults.Config{})
			if next := f.run(t); next["State"] != "succeeded" {
				t.Errorf("the next run: %v", next)
			}
		})
	}
}

// waitEnded polls the run (or, with no id, the schedule's only run) until
// it ends, failing the test a minute after started.
func waitEnded(t *testing.T, f *fixture, runID string, started time.Time) map[string]any {
	t.Helper()
	for {
		if runID == "" {
			if _, list := api(t, f.user, "GET", "/schedules/"+f.scheduleID+"/runs", nil); len(list["Runs"].([]any)) > 0 {
				runID = list["Runs"].([]any)[0].(map[string]any)["RunId"].(string)
			}
		}
		if runID != "" {
			if _, r := api(t, f.user, "GET", "/runs/"+runID, nil); r["State"] == "failed" || r["State"] == "succeeded" || r["State"] == "skipped" {
				return r
			}
		}
		if time.Since(started) > time.Minute {
			t.Fatalf("run %q not ended a minute after it started", runID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A run whose planner and workers are gone holds its dataset's lease until
// the lease expires; then nothing would end it until the dataset's next
// run, which an on-demand dataset may never have. The lease sweep, a
// schedule of the platform, has the planner end it: failed, with the
// reason, and the dataset free.
func TestLeaseSweepEndsAnAbandonedRun(t *testing.T) {
	noFaults(t)
	if _, ok := plat.Scheduler.NextFireTime(plat.Names.ScheduleGroup, eventscheduler.SweepScheduleName); !ok {
		t.Fatalf("no lease sweep schedule %s in group %s", eventscheduler.SweepScheduleName, plat.Names.ScheduleGroup)
	}
	f := newFixture(t, 3, 0, false, false)
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table)
	sch, err := store.GetSchedule(ctx, f.scheduleID)
	if err != nil {
		t.Fatal(err)
	}
	// A run started, whose lease ran out a minute ago with no one left to renew it.
	abandoned, err := run.New(sch, run.OnDemand, f.user, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.StartRun(ctx, abandoned, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// What the schedule sends the planner every few minutes.
	if _, err := plat.Runtime.Invoke(ctx, plat.Names.PlannerFunction, []byte(eventscheduler.SweepInput())); err != nil {
		t.Fatal(err)
	}
	_, r := api(t, f.user, "GET", "/runs/"+abandoned.RunId, nil)
	if r["State"] != "failed" || r["Reason"] != metadata.LeaseExpiredReason {
		t.Errorf("the abandoned run after the sweep: %v, want failed: %s", r, metadata.LeaseExpiredReason)
	}
	if next := f.run(t); next["State"] != "succeeded" {
		t.Errorf("the next run: %v", next)
	}
}
