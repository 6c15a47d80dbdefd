package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
)

// recoveryStore holds runs and a dataset's lease holder, and records how
// runs were finished.
type recoveryStore struct {
	plannerStore
	runs     map[string]run.Run
	holder   string
	down     bool // reads fail as a throttled table's do
	finished map[string]string
}

func (s *recoveryStore) GetRunRecord(_ context.Context, id string) (run.Run, error) {
	if s.down {
		return run.Run{}, errors.New("throttled")
	}
	r, ok := s.runs[id]
	if !ok {
		return run.Run{}, apperr.NotFound("run %s not found", id)
	}
	return r, nil
}

func (s *recoveryStore) ActiveRun(context.Context, string) (string, error) { return s.holder, nil }

func (s *recoveryStore) FinishRun(_ context.Context, r run.Run, state run.State, reason string) error {
	s.finished[r.RunId] = string(state) + ": " + reason
	return nil
}

// record is an on-failure destination record, as Lambda writes it, of a
// planner event that failed attempts times with message.
func record(event string, attempts int, message string) string {
	return fmt.Sprintf(`{"version":"1.0","timestamp":"2026-12-07T08:00:00.000Z",
		"requestContext":{"requestId":"e4b46cbf","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:s3connections-planner:$LATEST",
		"condition":"RetriesExhausted","approximateInvokeCount":%d},
		"requestPayload":%s,
		"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
		"responsePayload":{"errorMessage":%q,"errorType":"Sandbox.Timedout"}}`, attempts, event, message)
}

// Each record of the planner's on-failure destination ends the run its
// event planned, as failed with the reason, unless the run had ended; a
// scheduled firing's record ends the run that firing started, and only
// it; what cannot be handled now is reported back to SQS.
func TestFailureRecordsEndTheirRuns(t *testing.T) {
	planning := run.Run{RunId: "r-planning", DatasetId: "d", State: run.Planning}
	ended := run.Run{RunId: "r-ended", DatasetId: "d", State: run.Succeeded}
	fired := run.Run{RunId: "r-fired", DatasetId: "d", State: run.Running, Firing: "exec-1"}
	tests := []struct {
		name, body, holder string
		down               bool
		wantFinished       map[string]string
		wantRetry          bool
	}{
		{"a run's invocation", record(`{"RunId":"r-planning"}`, 3, "Task timed out after 900.00 seconds"), "", false,
			map[string]string{"r-planning": "failed: planner failed after 3 attempts: Task timed out after 900.00 seconds"}, false},
		{"a run on demand", record(`{"ScheduleId":"s","RunId":"r-planning"}`, 1, "boom"), "", false,
			map[string]string{"r-planning": "failed: planner failed after 1 attempts: boom"}, false},
		{"a run that ended", record(`{"RunId":"r-ended"}`, 3, "boom"), "", false, map[string]string{}, false},
		{"a run that is gone", record(`{"RunId":"r-gone"}`, 3, "boom"), "", false, map[string]string{}, false},
		{"the firing that started the run", record(`{"ScheduleId":"s","Firing":"exec-1"}`, 3, "boom"), "r-fired", false,
			map[string]string{"r-fired": "failed: planner failed after 3 attempts: boom"}, false},
		{"another firing", record(`{"ScheduleId":"s","Firing":"exec-2"}`, 3, "boom"), "r-fired", false, map[string]string{}, false},
		{"a firing with no id", record(`{"ScheduleId":"s"}`, 3, "boom"), "r-fired", false, map[string]string{}, false},
		{"a connection test", record(`{"Action":"TestConnection","ConnectionId":"c"}`, 1, "boom"), "", false, map[string]string{}, false},
		{"the table is down", record(`{"RunId":"r-planning"}`, 3, "boom"), "", true, map[string]string{}, true},
		{"not a record", `{"hello":"world"}`, "", false, map[string]string{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := app.NewPlanner(benchConfig(), benchAWS(&fakeS3{}), discard)
			store := &recoveryStore{runs: map[string]run.Run{planning.RunId: planning, ended.RunId: ended, fired.RunId: fired},
				holder: tc.holder, down: tc.down, finished: map[string]string{}}
			p.Store, p.Metrics = store, nil
			out, err := p.Handle(context.Background(), ingest.PlannerEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: tc.body}}})
			if err != nil {
				t.Fatal(err)
			}
			var resp events.SQSEventResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			if retry := len(resp.BatchItemFailures) == 1 && resp.BatchItemFailures[0].ItemIdentifier == "m1"; retry != tc.wantRetry || len(resp.BatchItemFailures) > 1 {
				t.Errorf("batch item failures %+v, want retried: %v", resp.BatchItemFailures, tc.wantRetry)
			}
			if fmt.Sprint(store.finished) != fmt.Sprint(tc.wantFinished) {
				t.Errorf("finished %v, want %v", store.finished, tc.wantFinished)
			}
		})
	}
}

// sweepStore ends the runs it is told to, or fails as a throttled table.
type sweepStore struct {
	plannerStore
	at  time.Time
	err error
}

func (s *sweepStore) ExpireLeases(_ context.Context, now time.Time) ([]string, error) {
	s.at = now
	return []string{"r1"}, s.err
}

func (s *sweepStore) DueFollowUps(context.Context, time.Time) ([]run.FollowUp, error) {
	return nil, nil
}

// sweepEvents records what the planner announces and when it publishes
// the outbox's leftovers.
type sweepEvents struct {
	announced []string
	pending   []time.Time
}

func (e *sweepEvents) Announce(_ context.Context, runIDs ...string) {
	e.announced = append(e.announced, runIDs...)
}

func (e *sweepEvents) PublishPending(_ context.Context, now time.Time) (int, error) {
	e.pending = append(e.pending, now)
	return 0, nil
}

// The lease sweep has the store end the runs whose lease expired at the
// planner's now, announces them, and publishes the run ends left in the
// outbox by enders that crashed; a store error fails the invocation
// (Scheduler retries) after announcing what did end.
func TestSweepLeases(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for _, storeErr := range []error{nil, errors.New("throttled")} {
		p := app.NewPlanner(benchConfig(), benchAWS(&fakeS3{}), discard)
		store, evs := &sweepStore{err: storeErr}, &sweepEvents{}
		p.Store, p.Metrics, p.Now, p.Events = store, nil, func() time.Time { return now }, evs
		_, err := p.Handle(context.Background(), ingest.PlannerEvent{Action: ingest.ActionSweepLeases})
		if !store.at.Equal(now) || (err == nil) != (storeErr == nil) {
			t.Errorf("store error %v: swept at %v, error %v", storeErr, store.at, err)
		}
		if fmt.Sprint(evs.announced) != "[r1]" {
			t.Errorf("store error %v: announced %v, want the run the sweep ended", storeErr, evs.announced)
		}
		if wantPending := storeErr == nil; (len(evs.pending) == 1 && evs.pending[0].Equal(now)) != wantPending {
			t.Errorf("store error %v: outbox published at %v, want at now: %v", storeErr, evs.pending, wantPending)
		}
	}
}
