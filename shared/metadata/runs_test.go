package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// A run holds its dataset's lease from StartRun to its end: one run at a
// time, renewed and released by its holder only.
func TestStartRunHoldsTheDatasetOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "leases")
	until := time.Now().Add(time.Hour)
	r1 := newRun(t, d)
	if err := s.StartRun(ctx, r1, until); err != nil {
		t.Fatal(err)
	}
	wantLease(t, s, d.DatasetId, r1.RunId, until)
	if err := s.StartRun(ctx, r1, until); err != nil {
		t.Errorf("the same run again (its first answer lost): %v", err)
	}
	if err := s.RecordRun(ctx, r1); err == nil {
		t.Error("a run recorded over itself")
	}
	r2 := newRun(t, d)
	var busy *run.InProgressError
	if err := s.StartRun(ctx, r2, until); !errors.As(err, &busy) || busy.RunId != r1.RunId {
		t.Errorf("another run: %v, want in progress %s", err, r1.RunId)
	}
	if err := s.StartRun(ctx, newRun(t, dataset.Dataset{DatasetId: "nope"}), until); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("a run of no dataset: %v, want not found", err)
	}

	later := until.Add(time.Hour)
	if err := s.RenewLease(ctx, d.DatasetId, r1.RunId, later); err != nil {
		t.Fatal(err)
	}
	wantLease(t, s, d.DatasetId, r1.RunId, later)
	if err := s.RenewLease(ctx, d.DatasetId, r2.RunId, later.Add(time.Hour)); !errors.Is(err, ingest.ErrLeaseLost) {
		t.Errorf("renewed by another run: %v, want ingest.ErrLeaseLost", err)
	}
	r3 := newRun(t, d)
	if err := s.RecordRun(ctx, r3); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, r3, run.Failed, "test"); err == nil {
		t.Error("a run that holds no lease finished as if it released one")
	}
	wantLease(t, s, d.DatasetId, r1.RunId, later)

	if err := s.FinishRun(ctx, r1, run.Succeeded, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, r1, run.Failed, "again"); err != nil {
		t.Errorf("finish an ended run: %v, want nil", err)
	}
	if got, err := s.GetRunRecord(ctx, r1.RunId); err != nil || got.State != run.Succeeded || got.FinishedAt == nil {
		t.Errorf("the finished run: %s at %v (%v), want succeeded", got.State, got.FinishedAt, err)
	}
	wantLease(t, s, d.DatasetId, "", time.Time{})
	if err := s.RenewLease(ctx, d.DatasetId, r1.RunId, later); !errors.Is(err, ingest.ErrLeaseLost) {
		t.Errorf("renewed after the end: %v, want ingest.ErrLeaseLost", err)
	}
}

func TestConcurrentStartsStartOneRun(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "race")
	const n = 8
	runs, errs := make([]run.Run, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		runs[i] = newRun(t, d)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.StartRun(ctx, runs[i], time.Now().Add(time.Hour))
		}()
	}
	wg.Wait()
	var winners []string
	for i, err := range errs {
		if err == nil {
			winners = append(winners, runs[i].RunId)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d runs started: %v", len(winners), errs)
	}
	for _, err := range errs {
		var busy *run.InProgressError
		if err != nil && (!errors.As(err, &busy) || busy.RunId != winners[0]) {
			t.Errorf("a losing start: %v, want in progress %s", err, winners[0])
		}
	}
}

// A run whose lease expired is failed by the next run's start, which takes
// the lease over.
func TestStartRunTakesAnExpiredLeaseOver(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "takeover")
	stuck, next := newRun(t, d), newRun(t, d)
	if err := s.StartRun(ctx, stuck, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour)
	if err := s.StartRun(ctx, next, until); err != nil {
		t.Fatal(err)
	}
	wantLease(t, s, d.DatasetId, next.RunId, until)
	got, err := s.GetRunRecord(ctx, stuck.RunId)
	if err != nil || got.State != run.Failed || !strings.Contains(got.Reason, "lease") || got.FinishedAt == nil {
		t.Errorf("the stuck run: %s %q at %v (%v), want failed for its lease", got.State, got.Reason, got.FinishedAt, err)
	}
}

// StartRun's lease write holds only while the lease is as StartRun read it:
// a start from a stale read loses, and looks again.
func TestStartFromAStaleReadLooksAgain(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	now, until := time.Now(), time.Now().Add(time.Hour)
	live, expired := newDataset(t, s, "live"), newDataset(t, s, "expired")
	liveHolder, expiredHolder, other := newRun(t, live), newRun(t, expired), newRun(t, expired)
	if err := s.StartRun(ctx, liveHolder, until); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, expiredHolder, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRun(ctx, other); err != nil { // not ended, holding nothing
		t.Fatal(err)
	}
	past := now.Add(-time.Minute).Unix()
	for _, tc := range []struct {
		name string
		d    dataset.Dataset
		read datasetState
	}{
		{"free, but held since", live, datasetState{}},
		{"expired, but renewed since", live, datasetState{ActiveRunId: liveHolder.RunId, LeaseExpiresAt: past}},
		{"expired, but taken over since", expired, datasetState{ActiveRunId: other.RunId, LeaseExpiresAt: past}},
	} {
		r := newRun(t, tc.d)
		writes, err := s.runWrites(r)
		if err != nil {
			t.Fatal(err)
		}
		if retry, err := s.tryStart(ctx, r, s.startWrites(r, tc.read, false, until, now, writes)); !retry || err != nil {
			t.Errorf("read %s: retry %v (%v), want a retry", tc.name, retry, err)
		}
	}
	wantLease(t, s, live.DatasetId, liveHolder.RunId, until)
	wantLease(t, s, expired.DatasetId, expiredHolder.RunId, now.Add(-time.Minute))
}

// Planning begins once and ends once; a run ends once, when its last task
// is done, with the workers' counts, and releases its lease.
func TestARunFromQueuedToSucceeded(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "life")
	if got, err := s.EndPlanning(ctx, r.RunId); err != nil || got.State != run.Queued || got.PlanningDone {
		t.Errorf("end planning before it began: %s, done %v (%v), want queued as it was", got.State, got.PlanningDone, err)
	}
	r, err := s.BeginPlanning(ctx, r.RunId)
	if err != nil || r.State != run.Planning || r.StartedAt == nil {
		t.Fatalf("begin planning: %s at %v (%v)", r.State, r.StartedAt, err)
	}
	if again, err := s.BeginPlanning(ctx, r.RunId); err != nil || again.State != run.Planning || !again.StartedAt.Equal(*r.StartedAt) {
		t.Errorf("begin planning again: %s at %v (%v), want planning since %v", again.State, again.StartedAt, err, r.StartedAt)
	}
	if _, done, err := s.CompleteIfPlanned(ctx, r); err != nil || done {
		t.Errorf("complete a run still planning: %v (%v), want only a running run to end with its counts", done, err)
	}
	if err := s.SavePlanPage(ctx, r, ingest.PlanPage{Listed: 2, Matched: 2, Tasks: 2, Phase: "plan", Next: "more", Writer: "a"}); err != nil {
		t.Fatal(err)
	}
	ended, err := s.EndPlanning(ctx, r.RunId)
	if err != nil || ended.State != run.Running || !ended.PlanningDone || ended.Continuation != "" || ended.TasksPlanned != 2 {
		t.Fatalf("end planning: %+v (%v)", ended, err)
	}
	var it runItem
	if c, ok := rawItem(t, s, runKey(r.RunId), &it)["Continuation"].(*types.AttributeValueMemberS); !ok || c.Value != "" {
		t.Errorf("Continuation stored as %#v, want an empty string", c)
	}
	if got, err := s.BeginPlanning(ctx, r.RunId); err != nil || got.State != run.Running {
		t.Errorf("begin planning a running run: %s (%v), want running as it was", got.State, err)
	}
	if _, done, err := s.CompleteIfDone(ctx, r.RunId); err != nil || done {
		t.Errorf("complete with no task done: %v (%v)", done, err)
	}
	results := []run.FileResult{copiedFile(r, "a.csv", 3), copiedFile(r, "b.csv", 4)}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != 2 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	got, done, err := s.CompleteIfDone(ctx, r.RunId)
	if err != nil || !done || got.State != run.Succeeded || got.Copied != 2 || got.BytesCopied != 7 {
		t.Fatalf("complete: %v, %+v (%v)", done, got, err)
	}
	if rec, err := s.GetRunRecord(ctx, r.RunId); err != nil || rec.TasksDone != 2 || rec.Copied != 2 || rec.FinishedAt == nil {
		t.Errorf("the ended run's record: %+v (%v), want its final counts", rec, err)
	}
	wantLease(t, s, r.DatasetId, "", time.Time{})
	if _, done, err := s.CompleteIfDone(ctx, r.RunId); err != nil || done {
		t.Errorf("complete again: %v (%v), want not done by this call", done, err)
	}
	if got, err := s.BeginPlanning(ctx, r.RunId); err != nil || got.State != run.Succeeded {
		t.Errorf("begin planning an ended run: %s (%v), want succeeded as it was", got.State, err)
	}
}

// Each outcome counts where it belongs, and the run lists its skipped and
// failed files, cut at max.
func TestRunFilesAndCounts(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	at := time.Now().UTC()
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: &at}
	results := []run.FileResult{copiedFile(r, "a.csv", 10)} // counts of 1, 2, 3 and 4, so that none passes for another
	for i := range 2 {
		results = append(results, run.FileResult{Name: fmt.Sprintf("b%d.csv", i), Outcome: run.OutcomeSkippedStorageClass, StorageClass: "GLACIER"})
	}
	for i := range 3 {
		results = append(results, run.FileResult{Name: fmt.Sprintf("c%d.csv", i), Outcome: run.OutcomeFailedValidation, Reason: "bad header", Bytes: 5})
	}
	for i := range 4 {
		results = append(results, run.FileResult{Name: fmt.Sprintf("d%d.csv", i), Outcome: run.OutcomeFailed, Reason: "gave up"})
	}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != len(results) {
		t.Fatalf("committed %d (%v)", n, err)
	}
	tot, err := s.shardTotals(ctx, r.RunId)
	want := shardTotals{TasksDone: 10, Counts: run.Counts{Copied: 1, SkippedStorageClass: 2, FailedValidation: 3, Failed: 4, BytesCopied: 10}}
	if err != nil || tot != want {
		t.Errorf("counts %+v (%v), want %+v", tot, err, want)
	}
	skipped, failed, more, err := s.RunFiles(ctx, r.RunId, 10)
	if err != nil || more || len(skipped) != 2 || skipped[0].Name != "b0.csv" || skipped[0].StorageClass != "GLACIER" ||
		len(failed) != 7 || failed[0].Name != "c0.csv" || failed[0].Outcome != run.OutcomeFailedValidation || failed[6].Reason != "gave up" {
		t.Errorf("files: skipped %+v, failed %+v, more %v (%v)", skipped, failed, more, err)
	}
	if skipped, failed, more, err := s.RunFiles(ctx, r.RunId, 2); err != nil || !more || len(skipped) != 2 || len(failed) != 2 {
		t.Errorf("two files a list: skipped %+v, failed %+v, more %v (%v)", skipped, failed, more, err)
	}
	if skipped, failed, more, err := s.RunFiles(ctx, uuid.NewString(), 10); err != nil || more || skipped == nil || failed == nil || len(skipped)+len(failed) != 0 {
		t.Errorf("files of a run with none: %#v, %#v, %v (%v), want empty lists", skipped, failed, more, err)
	}
}

func newDataset(t *testing.T, s *Store, name string) dataset.Dataset {
	t.Helper()
	c := conn(name, "owner")
	if err := s.CreateConnection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	d := datasetOn(c, name, false)
	if err := s.CreateDataset(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func copiedFile(r run.Run, name string, size int64) run.FileResult {
	return run.FileResult{Name: name, SourceKey: "in/" + name, Bytes: size, File: &dataset.File{
		Name: name, SourceKey: "in/" + name, Size: size, RunId: r.RunId, IngestedAt: *r.StartedAt, State: dataset.InDLZ,
	}}
}

// wantLease checks the dataset's state item: who holds the lease ("" for
// no one) and until when.
func wantLease(t *testing.T, s *Store, datasetID, runID string, until time.Time) {
	t.Helper()
	var st struct {
		Kind string
		datasetState
	}
	rawItem(t, s, datasetStateKey(datasetID), &st)
	want := int64(0)
	if runID != "" {
		want = until.Unix()
	}
	if st.Kind != "DatasetState" || st.ActiveRunId != runID || st.LeaseExpiresAt != want {
		t.Errorf("lease of dataset %s: %+v, want %q until %d", datasetID, st, runID, want)
	}
}
