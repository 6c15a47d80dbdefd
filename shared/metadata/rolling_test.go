package metadata

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

// rolling is a fresh open rolling run of d.
func rolling(t *testing.T, d dataset.Dataset) run.Run {
	t.Helper()
	r := newRun(t, d)
	now := time.Now().UTC()
	r.Trigger, r.State, r.StartedAt = run.Events, run.Running, &now
	return r
}

// Events of a dataset join one run at a time: the first starts a rolling
// run, the next join it, counted; a close that an event overtook is
// refused; a closed run ends only when its tasks are done, even if an
// event joined it after the workers' last read; and once it ended, the
// next event starts the next rolling run.
func TestRollingRunsStayOneAtATime(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "rolling")
	first, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 1, time.Now())
	if err != nil || first.Trigger != run.Events || first.TasksPlanned != 1 {
		t.Fatalf("first join: %+v, %v", first, err)
	}
	second, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 1, time.Now())
	if err != nil || second.RunId != first.RunId || second.TasksPlanned != 2 || second.EventTasks != 2 {
		t.Fatalf("second join: %s with %d tasks (%v), want %s with 2", second.RunId, second.TasksPlanned, err, first.RunId)
	}
	if ok, err := s.CloseRollingRun(ctx, first); err != nil || ok {
		t.Fatalf("a close read before the second event closed the run: %v, %v", ok, err)
	}
	open, err := s.RollingRuns(ctx)
	if err != nil || len(open) != 1 || open[0].RunId != first.RunId {
		t.Fatalf("RollingRuns = %+v, %v", open, err)
	}
	if ok, err := s.CloseRollingRun(ctx, open[0]); err != nil || !ok {
		t.Fatalf("close: %v, %v", ok, err)
	}
	stale, err := s.GetRunRecord(ctx, first.RunId) // as a worker caches it once planning is done
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, stale, "a.csv", "b.csv")
	third, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 1, time.Now()) // joins the closed run: it has not ended
	if err != nil || third.RunId != first.RunId {
		t.Fatalf("an event after the close: %s (%v), want %s", third.RunId, err, first.RunId)
	}
	if r, ended, err := s.CompleteIfPlanned(ctx, stale); err != nil || ended || r.State.Ended() {
		t.Fatalf("the run ended with a task of the last event outstanding: %s, %v", r.State, err)
	}
	commit(t, s, stale, "c.csv")
	if r, ended, err := s.CompleteIfPlanned(ctx, stale); err != nil || !ended || r.State != run.Succeeded {
		t.Fatalf("the run did not end with its last task: %s %v %v", r.State, ended, err)
	}
	next, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 1, time.Now())
	if err != nil || next.RunId == first.RunId || next.TasksPlanned != 1 {
		t.Fatalf("after the end: %s with %d tasks (%v), want a new run", next.RunId, next.TasksPlanned, err)
	}
}

// commit commits names as copied by r.
func commit(t *testing.T, s *Store, r run.Run, names ...string) {
	t.Helper()
	var res []run.FileResult
	for _, n := range names {
		res = append(res, run.FileResult{Name: n, File: &dataset.File{Name: n, RunId: r.RunId}})
	}
	if _, err := s.CommitFiles(context.Background(), r, res); err != nil {
		t.Fatal(err)
	}
}

// Two writes of a key, their events in one rolling run: when the newer
// version commits first, the older one's commit is refused (the catalog
// keeps the newer) yet counted done once, as Deferred and listed, however
// often it is retried, so that the run can end; a duplicate of the newer
// one counts nothing.
func TestSupersededEventTasksCountOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "superseded")
	r, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	older, newer := r.StartedAt.Add(time.Second), r.StartedAt.Add(2*time.Second)
	at := func(g time.Time) run.Run { x := r; x.StartedAt = &g; return x }
	res := func(etag string) []run.FileResult {
		return []run.FileResult{{Name: "a.csv", SourceKey: "in/a.csv", FromEvent: true,
			File: &dataset.File{Name: "a.csv", SourceETag: etag, RunId: r.RunId}}}
	}
	for _, step := range []struct {
		gate time.Time
		etag string
	}{{newer, "v2"}, {older, "v1"}, {older, "v1"}, {newer, "v2"}} {
		if _, err := s.CommitFiles(ctx, at(step.gate), res(step.etag)); err != nil {
			t.Fatal(err)
		}
	}
	totals, err := s.shardTotals(ctx, r.RunId)
	if err != nil || totals.TasksDone != 2 || totals.Copied != 1 || totals.Deferred != 1 {
		t.Fatalf("counted %+v (%v), want 2 tasks done: 1 copied, 1 deferred", totals, err)
	}
	skipped, _, _, err := s.RunFiles(ctx, r.RunId, 10)
	if err != nil || len(skipped) != 1 || skipped[0].Reason != SupersededReason {
		t.Errorf("skipped files %+v (%v)", skipped, err)
	}
	wantCatalog(t, s, d.DatasetId, map[string]string{"a.csv": "v2"})
}

// Event tasks of an older version committed after the newer ones, through
// both steps of a commit: a copy's put (step 1) and a failed or skipped
// file's gate (the commit's transaction) refused by the newer gate are
// superseded, counted done once as Deferred; CommitOutcomes returns only
// the files it counted, and a second delivery counts nothing.
func TestSupersededThroughBothSteps(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "superseded-steps")
	r, err := s.JoinRun(ctx, d.DatasetId, func() (run.Run, error) { return rolling(t, d), nil }, 4, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	older, newer := r.StartedAt.Add(time.Second), r.StartedAt.Add(2*time.Second)
	at := func(g time.Time) run.Run { x := r; x.StartedAt = &g; return x }
	event := func(res run.FileResult) run.FileResult { res.FromEvent = true; return res }
	newest := []run.FileResult{event(gateCopied(at(newer), "a.csv", "a2")), event(gateCopied(at(newer), "b.csv", "b2")),
		event(gateCopied(at(newer), "c.csv", "c2"))}
	if got, err := s.CommitOutcomes(ctx, at(newer), newest); err != nil || len(got) != 3 {
		t.Fatalf("the newer versions: committed %v (%v)", namesOf(got), err)
	}
	olds := []run.FileResult{event(gateCopied(at(older), "a.csv", "a1")), event(gateFailed("b.csv")),
		event(gateSkipped("c.csv")), event(gateCopied(at(older), "d.csv", "d1"))}
	for delivery := range 2 {
		got, err := s.CommitOutcomes(ctx, at(older), olds)
		want := []string{"d.csv"}
		if delivery > 0 {
			want = nil
		}
		if err != nil || !slices.Equal(namesOf(got), want) {
			t.Fatalf("delivery %d of the older versions: committed %v (%v), want %v", delivery, namesOf(got), err, want)
		}
	}
	totals, err := s.shardTotals(ctx, r.RunId)
	if err != nil || totals.TasksDone != 7 || totals.Copied != 4 || totals.Deferred != 3 || totals.Failed != 0 {
		t.Fatalf("counted %+v (%v), want 7 tasks done: 4 copied, 3 deferred, none failed", totals, err)
	}
	skipped, _, _, err := s.RunFiles(ctx, r.RunId, 10)
	if err != nil || len(skipped) != 3 {
		t.Fatalf("skipped files %+v (%v), want the 3 superseded", skipped, err)
	}
	for _, f := range skipped {
		if f.Reason != SupersededReason {
			t.Errorf("skipped %s: %q", f.Name, f.Reason)
		}
	}
	wantCatalog(t, s, d.DatasetId, map[string]string{"a.csv": "a2", "b.csv": "b2", "c.csv": "c2", "d.csv": "d1"})
}
