package metadata

import (
	"context"
	"testing"

	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
)

// A worker keeps the run that a completion check returned, once its
// planning is done, and checks again with it: the workers' deferred files
// add to the planner's once, however many checks the run saw.
func TestCompletionChecksAddTheWorkersDeferredOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "deferred")
	r, err := s.BeginPlanning(ctx, r.RunId)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SavePlanPage(ctx, r, ingest.PlanPage{Listed: 3, Matched: 3, Tasks: 2, Deferred: 1, Phase: "plan", Writer: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndPlanning(ctx, r.RunId); err != nil {
		t.Fatal(err)
	}
	deferred := gateSkipped("late.csv")
	deferred.Outcome = run.OutcomeDeferred
	if n, err := s.CommitFiles(ctx, r, []run.FileResult{deferred}); err != nil || n != 1 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	kept, done, err := s.CompleteIfDone(ctx, r.RunId)
	if err != nil || done {
		t.Fatalf("complete with a task left: %v (%v)", done, err)
	}
	if n, err := s.CommitFiles(ctx, r, []run.FileResult{copiedFile(r, "a.csv", 3)}); err != nil || n != 1 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	got, done, err := s.CompleteIfPlanned(ctx, kept)
	if err != nil || !done || got.Deferred != 2 || got.Copied != 1 || got.TasksDone != 2 {
		t.Fatalf("complete: %v, deferred %d, copied %d, done %d (%v); want ended with 2 deferred (the planner's and the worker's), 1 copied",
			done, got.Deferred, got.Copied, got.TasksDone, err)
	}
	if rec, err := s.GetRunRecord(ctx, r.RunId); err != nil || rec.Deferred != 2 {
		t.Errorf("the ended run's record: deferred %d (%v), want 2", rec.Deferred, err)
	}
}
