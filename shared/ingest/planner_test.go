package ingest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// failingStore is plannerStore that counts planning errors as the table
// does and records how the run was finished.
type failingStore struct {
	plannerStore
	errors   int64
	finished run.State
	reason   string
}

func (s *failingStore) NotePlanningError(context.Context, string) (int64, error) {
	s.errors++
	return s.errors, nil
}

func (s *failingStore) FinishRun(_ context.Context, _ run.Run, state run.State, reason string) error {
	s.finished, s.reason = state, reason
	return nil
}

// downQueue refuses every send as SQS does when it is unavailable.
type downQueue struct{}

func (downQueue) Send(context.Context, []ingest.Task) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: errors.New("service unavailable")}
}

// A transient failure goes back to Lambda, which tries the invocation three
// times; the third failure in a row fails the run with the reason, so that
// the run ends rather than waiting for its lease to expire.
func TestPlanningFailsTheRunOnLambdasLastTry(t *testing.T) {
	p := app.NewPlanner(benchConfig(), benchAWS(&fakeS3{list: listPage(10)}), discard)
	store := &failingStore{plannerStore: plannerStore{catalog: map[string]dataset.File{}}}
	p.Store, p.Tasks, p.Metrics = store, downQueue{}, nil
	for try := 1; try <= ingest.PlanningAttempts; try++ {
		_, err := p.Handle(context.Background(), ingest.PlannerEvent{RunId: benchRunID})
		last := try == ingest.PlanningAttempts
		switch {
		case !last && err == nil:
			t.Fatalf("try %d: no error, so Lambda would not retry", try)
		case !last && store.finished != "":
			t.Fatalf("try %d: the run ended %s already", try, store.finished)
		case last && (err != nil || store.finished != run.Failed):
			t.Fatalf("last try: %v, run %q", err, store.finished)
		}
	}
	if !strings.Contains(store.reason, "sending tasks") || !strings.Contains(store.reason, "3 planner invocations in a row") {
		t.Errorf("reason %q", store.reason)
	}
}

// chainStore is a run of bob's schedule on bob's dataset over alice's
// connection, which alice no longer shares with bob.
type chainStore struct{ failingStore }

func (s *chainStore) GetConnection(context.Context, string) (connection.Connection, error) {
	c := benchConn
	c.CreatedBy, c.AuthorizedUsers = "alice", []string{"alice"}
	return c, nil
}

func (s *chainStore) GetDataset(context.Context, string) (dataset.Dataset, error) {
	d := benchDataset
	d.CreatedBy, d.AuthorizedUsers = "bob", []string{"bob", "mallory"}
	return d, nil
}

func (s *chainStore) GetSchedule(_ context.Context, id string) (schedule.Schedule, error) {
	return schedule.Schedule{ScheduleId: id, DatasetId: benchDataset.DatasetId, CreatedBy: "bob", AuthorizedUsers: []string{"bob", "mallory"}}, nil
}

// A run whose chain is broken fails at its start with the broken link,
// sending nothing.
func TestRunFailsWhenTheChainIsBroken(t *testing.T) {
	p := app.NewPlanner(benchConfig(), benchAWS(&fakeS3{list: listPage(10)}), discard)
	store := &chainStore{failingStore{plannerStore: plannerStore{catalog: map[string]dataset.File{}}}}
	p.Store, p.Tasks, p.Metrics = store, downQueue{}, nil
	if _, err := p.Handle(context.Background(), ingest.PlannerEvent{RunId: benchRunID}); err != nil {
		t.Fatal(err)
	}
	want := "bob may no longer use connection " + benchConn.ConnectionId
	if store.finished != run.Failed || !strings.Contains(store.reason, want) {
		t.Fatalf("run %q %q, want failed with %q", store.finished, store.reason, want)
	}
}
