package metadata

import (
	"context"
	"testing"
	"time"

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

// A completion check refused because an event added a task after the
// worker read the run reads the run again without the workers' counts, so
// that the run it returns, passed to the next check, adds the workers'
// Deferred once.
func TestCompletionAfterALateEventAddsTheWorkersDeferredOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "late-event")
	first, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.CloseRollingRun(ctx, first); err != nil || !ok {
		t.Fatalf("close: %v, %v", ok, err)
	}
	stale, err := s.GetRunRecord(ctx, first.RunId) // as a worker caches it once planning is done
	if err != nil {
		t.Fatal(err)
	}
	deferred := gateSkipped("late.csv")
	deferred.Outcome = run.OutcomeDeferred
	if n, err := s.CommitFiles(ctx, stale, []run.FileResult{deferred, gateCopied(stale, "a.csv", "a1")}); err != nil || n != 2 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	if _, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	kept, ended, err := s.CompleteIfPlanned(ctx, stale)
	if err != nil || ended || kept.TasksPlanned != 3 || kept.Deferred != 0 {
		t.Fatalf("a check with the event's task outstanding: ended %v, %d planned, deferred %d (%v); want the record: 3 planned, none deferred",
			ended, kept.TasksPlanned, kept.Deferred, err)
	}
	if n, err := s.CommitFiles(ctx, stale, []run.FileResult{gateCopied(stale, "b.csv", "b1")}); err != nil || n != 1 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	got, ended, err := s.CompleteIfPlanned(ctx, kept)
	if err != nil || !ended || got.Deferred != 1 || got.Copied != 2 || got.TasksDone != 3 {
		t.Fatalf("complete: %v, deferred %d, copied %d, done %d (%v); want ended with 1 deferred, 2 copied, 3 done",
			ended, got.Deferred, got.Copied, got.TasksDone, err)
	}
}
