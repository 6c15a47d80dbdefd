package metadata

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
	"github.com/google/uuid"
)

// A saved page moves the position once: the same save again (a retry
// whose first answer was lost) is recognised as the writer's own, another
// writer at the old position is stale, and a run that stopped planning
// has lost its lease. Failed planner invocations are counted until a page
// is saved.
func TestSavePlanPageCountsAPageOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "planning")
	var err error
	if r, err = s.BeginPlanning(ctx, r.RunId); err != nil {
		t.Fatal(err)
	}
	if r.StartedAt == nil || time.Since(*r.StartedAt) > time.Minute {
		t.Errorf("StartedAt %v after BeginPlanning, want now", r.StartedAt)
	}
	for want := int64(1); want <= 2; want++ {
		if n, err := s.NotePlanningError(ctx, r.RunId); err != nil || n != want {
			t.Fatalf("planning errors %d (%v), want %d", n, err, want)
		}
	}
	page := ingest.PlanPage{Listed: 1000, Matched: 900, Tasks: 900, Phase: "plan", Next: "token-1", Writer: "invocation-a"}
	if err := s.SavePlanPage(ctx, r, page); err != nil {
		t.Fatal(err)
	}
	if n, err := s.NotePlanningError(ctx, r.RunId); err != nil || n != 1 {
		t.Errorf("planning errors after a saved page: %d (%v), want 1 (the count restarts)", n, err)
	}
	if err := s.SavePlanPage(ctx, r, page); err != nil {
		t.Errorf("the writer's own save again: %v, want nil", err)
	}
	other := page
	other.Writer = "invocation-b"
	if err := s.SavePlanPage(ctx, r, other); !errors.Is(err, ingest.ErrStalePosition) {
		t.Errorf("another writer at the old position: %v, want ingest.ErrStalePosition", err)
	}
	got, err := s.GetRunRecord(ctx, r.RunId)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pages != 1 || got.Listed != 1000 || got.TasksPlanned != 900 || got.Continuation != "token-1" {
		t.Errorf("run after the saves: pages %d listed %d planned %d next %q", got.Pages, got.Listed, got.TasksPlanned, got.Continuation)
	}
	if err := s.FinishRun(ctx, got, run.Failed, "test"); err != nil {
		t.Fatal(err)
	}
	page.Writer = "invocation-c"
	if err := s.SavePlanPage(ctx, got, page); !errors.Is(err, ingest.ErrLeaseLost) {
		t.Errorf("a run no longer planning: %v, want ingest.ErrLeaseLost", err)
	}
	if n, err := s.NotePlanningError(ctx, r.RunId); err != nil || n != 0 {
		t.Errorf("planning errors of an ended run: %d (%v), want 0", n, err)
	}
}

// Each page saves at the position the one before saved, adding its counts.
func TestSavePlanPageAtTheNextPosition(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r, err := s.BeginPlanning(ctx, startedRun(t, s, "pages").RunId)
	if err != nil {
		t.Fatal(err)
	}
	first := ingest.PlanPage{Listed: 1000, Matched: 900, Tasks: 900, Phase: "plan", Next: "token-1", Writer: "invocation-a"}
	second := ingest.PlanPage{Listed: 500, Matched: 400, SkippedUnchanged: 100, Tasks: 300, Phase: "plan", Next: "", Writer: "invocation-b"}
	if err := s.SavePlanPage(ctx, r, first); err != nil {
		t.Fatal(err)
	}
	if r, err = s.GetRunRecord(ctx, r.RunId); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePlanPage(ctx, r, second); err != nil {
		t.Fatal(err)
	}
	second.Writer = "invocation-c"
	if err := s.SavePlanPage(ctx, r, second); !errors.Is(err, ingest.ErrStalePosition) {
		t.Errorf("another writer at the second position: %v, want ingest.ErrStalePosition", err)
	}
	got, err := s.GetRunRecord(ctx, r.RunId)
	if err != nil || got.Pages != 2 || got.Listed != 1500 || got.SkippedUnchanged != 100 || got.TasksPlanned != 1200 || got.Continuation != "" {
		t.Errorf("run after the second page: pages %d listed %d unchanged %d planned %d next %q (%v)",
			got.Pages, got.Listed, got.SkippedUnchanged, got.TasksPlanned, got.Continuation, err)
	}
}

// A 1.6 run that its check pass rejects ends with everything it listed:
// the pages saved before, and the last page, which its end adds once (an
// invocation at a stale position adds nothing).
func TestRejectRunCountsTheLastPage(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r, err := s.BeginPlanning(ctx, startedRun(t, s, "rejected").RunId)
	if err != nil {
		t.Fatal(err)
	}
	first := ingest.PlanPage{Listed: 1000, Matched: 900, Rejected: 2, Phase: "check", Next: "token-1", Writer: "invocation-a"}
	if err := s.SavePlanPage(ctx, r, first); err != nil {
		t.Fatal(err)
	}
	stale := r
	if r, err = s.GetRunRecord(ctx, r.RunId); err != nil || r.Rejected != 2 {
		t.Fatalf("after the first page: rejected %d (%v), want 2: the next invocation reads it", r.Rejected, err)
	}
	last := ingest.PlanPage{Listed: 7, Matched: 5, Rejected: 1, Phase: "check", Writer: "invocation-a"}
	if err := s.RejectRun(ctx, r, last, "archived"); err != nil {
		t.Fatal(err)
	}
	if err := s.RejectRun(ctx, stale, last, "archived"); err != nil {
		t.Errorf("a rejection at a stale position: %v, want nil (left as it is)", err)
	}
	got, err := s.GetRun(ctx, r.RunId)
	if err != nil || got.State != run.Failed || got.Reason != "archived" || got.Listed != 1007 || got.Matched != 905 || got.TasksPlanned != 0 || got.Rejected != 3 {
		t.Errorf("rejected run: %s %q listed %d matched %d planned %d rejected %d (%v), want failed, 1007, 905, 0, 3",
			got.State, got.Reason, got.Listed, got.Matched, got.TasksPlanned, got.Rejected, err)
	}
	if st, err := s.datasetState(ctx, r.DatasetId); err != nil || st.ActiveRunId != "" {
		t.Errorf("the dataset's lease after the rejection: held by %q (%v), want released", st.ActiveRunId, err)
	}
}

// A run written before run items left NULL attributes out holds StartedAt
// as NULL, which if_not_exists keeps: BeginPlanning sets it all the same,
// once, as the catalog's gate needs it.
func TestBeginPlanningSetsALegacyRunsStartTime(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "legacy")
	if err := legacyRun(s, r.RunId, expression.Set(expression.Name("StartedAt"), expression.Value(&types.AttributeValueMemberNULL{Value: true}))); err != nil {
		t.Fatal(err)
	}
	first, err := s.BeginPlanning(ctx, r.RunId)
	if err != nil || first.StartedAt == nil || time.Since(*first.StartedAt) > time.Minute {
		t.Fatalf("first BeginPlanning: StartedAt %v (%v), want now", first.StartedAt, err)
	}
	again, err := s.BeginPlanning(ctx, r.RunId)
	if err != nil || again.StartedAt == nil || !again.StartedAt.Equal(*first.StartedAt) {
		t.Fatalf("second BeginPlanning: StartedAt %v (%v), want %v kept", again.StartedAt, err, first.StartedAt)
	}
	// The repair sets a NULL start time only, whoever gets there first.
	if got, err := s.repairStartedAt(ctx, r.RunId, time.Now().Add(time.Hour).UTC()); err != nil || got.StartedAt == nil || !got.StartedAt.Equal(*first.StartedAt) {
		t.Fatalf("a late repair: StartedAt %v (%v), want %v kept", got.StartedAt, err, first.StartedAt)
	}
	// ... and of a run that is planning only.
	ended := startedRun(t, s, "legacy-ended")
	if err := s.FinishRun(ctx, ended, run.Failed, "test"); err != nil {
		t.Fatal(err)
	}
	if err := legacyRun(s, ended.RunId, expression.Set(expression.Name("StartedAt"), expression.Value(&types.AttributeValueMemberNULL{Value: true}))); err != nil {
		t.Fatal(err)
	}
	if got, err := s.repairStartedAt(ctx, ended.RunId, time.Now()); err != nil || got.StartedAt != nil || got.State != run.Failed {
		t.Fatalf("a repair of an ended run: %s, StartedAt %v (%v), want it left as it was", got.State, got.StartedAt, err)
	}
}

// A run written before runs counted their pages has no Pages: its first
// page saves all the same.
func TestSavePlanPageOfALegacyRun(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "legacy-pages")
	if err := legacyRun(s, r.RunId, expression.Remove(expression.Name("Pages"))); err != nil {
		t.Fatal(err)
	}
	r, err := s.BeginPlanning(ctx, r.RunId)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SavePlanPage(ctx, r, ingest.PlanPage{Listed: 1, Phase: "plan", Next: "token-1", Writer: "a"}); err != nil {
		t.Fatalf("the first page of a run with no Pages: %v", err)
	}
	if got, err := s.GetRunRecord(ctx, r.RunId); err != nil || got.Pages != 1 {
		t.Errorf("pages %d (%v), want 1", got.Pages, err)
	}
}

// startedRun starts a run of a new dataset of a new connection, both named name.
func startedRun(t *testing.T, s *Store, name string) run.Run {
	t.Helper()
	ctx := context.Background()
	c := conn(name, "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := dataset.Dataset{DatasetId: uuid.NewString(), DatasetName: name, Domain: "tests", ConnectionId: c.ConnectionId,
		FileType: dataset.CSV, CreatedBy: "owner", AuthorizedUsers: []string{"owner"}}
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	r, err := run.New(schedule.Schedule{ScheduleId: uuid.NewString(), DatasetId: d.DatasetId, CreatedBy: "owner", AuthorizedUsers: []string{"owner"}},
		run.OnDemand, "owner", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, r, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return r
}

// legacyRun turns the run's item into one written by an older version.
func legacyRun(s *Store, runID string, u expression.UpdateBuilder) error {
	_, err := client.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{Update: s.update(runKey(runID), u)}},
	})
	return err
}
