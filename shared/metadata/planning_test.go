package metadata

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
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
	page := PlanPage{Listed: 1000, Matched: 900, Tasks: 900, Phase: "plan", Next: "token-1", Writer: "invocation-a"}
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
	if err := s.SavePlanPage(ctx, r, other); !errors.Is(err, ErrStalePosition) {
		t.Errorf("another writer at the old position: %v, want ErrStalePosition", err)
	}
	got, err := s.GetRunRecord(ctx, r.RunId)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pages != 1 || got.Listed != 1000 || got.TasksPlanned != 900 || got.Continuation != "token-1" {
		t.Errorf("run after the saves: pages %d listed %d planned %d next %q", got.Pages, got.Listed, got.TasksPlanned, got.Continuation)
	}
	// The next page, from the position the first one saved.
	second := PlanPage{Listed: 500, Matched: 400, SkippedUnchanged: 100, Tasks: 300, Phase: "plan", Next: "", Writer: "invocation-b"}
	if err := s.SavePlanPage(ctx, got, second); err != nil {
		t.Fatal(err)
	}
	second.Writer = "invocation-d"
	if err := s.SavePlanPage(ctx, got, second); !errors.Is(err, ErrStalePosition) {
		t.Errorf("another writer at the second position: %v, want ErrStalePosition", err)
	}
	if got, err = s.GetRunRecord(ctx, r.RunId); err != nil {
		t.Fatal(err)
	}
	if got.Pages != 2 || got.Listed != 1500 || got.SkippedUnchanged != 100 || got.TasksPlanned != 1200 || got.Continuation != "" {
		t.Errorf("run after the second page: pages %d listed %d unchanged %d planned %d next %q",
			got.Pages, got.Listed, got.SkippedUnchanged, got.TasksPlanned, got.Continuation)
	}
	if err := s.FinishRun(ctx, got, run.Failed, "test"); err != nil {
		t.Fatal(err)
	}
	page.Writer = "invocation-c"
	if err := s.SavePlanPage(ctx, got, page); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a run no longer planning: %v, want ErrLeaseLost", err)
	}
	if n, err := s.NotePlanningError(ctx, r.RunId); err != nil || n != 0 {
		t.Errorf("planning errors of an ended run: %d (%v), want 0", n, err)
	}
}

// A run written before run items left NULL attributes out holds StartedAt
// as NULL, which if_not_exists keeps: BeginPlanning sets it all the same,
// once, as the catalog's gate needs it.
func TestBeginPlanningSetsALegacyRunsStartTime(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := startedRun(t, s, "legacy")
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: runKey(r.RunId), UpdateExpression: aws.String("SET StartedAt = :null"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":null": &types.AttributeValueMemberNULL{Value: true}},
	}); err != nil {
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
	later, _ := attributevalue.Marshal(time.Now().Add(time.Hour).UTC())
	if got, err := s.repairStartedAt(ctx, r.RunId, later); err != nil || got.StartedAt == nil || !got.StartedAt.Equal(*first.StartedAt) {
		t.Fatalf("a late repair: StartedAt %v (%v), want %v kept", got.StartedAt, err, first.StartedAt)
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
