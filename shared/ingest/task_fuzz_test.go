package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// taskStore is a WorkerStore that knows no connection, so that every task
// the worker accepts fails at its first step, before any S3 call; on the
// message's last delivery the worker then commits the failure, which shows
// what it decoded. It records what the worker asked.
type taskStore struct {
	mu          sync.Mutex
	connections []string          // ids looked up
	commits     map[string]commit // by run id
}

type commit struct {
	datasetID string
	results   []run.FileResult
}

func (s *taskStore) GetConnection(_ context.Context, id string) (connection.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connections = append(s.connections, id)
	return connection.Connection{}, connection.NotFound(id)
}

func (s *taskStore) CommittedTasks(context.Context, run.Run, []string) (map[string]dataset.File, error) {
	return nil, nil
}

func (s *taskStore) GetRunRecord(_ context.Context, id string) (run.Run, error) {
	started := time.Date(2026, 5, 17, 9, 30, 1, 0, time.UTC)
	return run.Run{RunId: id, State: run.Running, StartedAt: &started}, nil
}

func (s *taskStore) CommitOutcomes(_ context.Context, r run.Run, results []run.FileResult) ([]run.FileResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.commits[r.RunId]
	c.datasetID = r.DatasetId
	c.results = append(c.results, results...)
	s.commits[r.RunId] = c
	return results, nil
}

func (s *taskStore) RenewLease(context.Context, string, string, time.Time) error { return nil }

func (s *taskStore) CompleteIfDone(_ context.Context, id string) (run.Run, bool, error) {
	return run.Run{RunId: id}, false, nil
}

func (s *taskStore) CompleteIfPlanned(_ context.Context, r run.Run) (run.Run, bool, error) {
	return r, false, nil
}

// PendingRestore is the restore the latest commit of name recorded, as the
// store keeps it: with the time it was first requested.
func (s *taskStore) PendingRestore(_ context.Context, datasetID, name string) (*dataset.PendingRestore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *dataset.PendingRestore
	for _, c := range s.commits {
		for _, res := range c.results {
			if c.datasetID != datasetID || res.Name != name || res.Restore == nil {
				continue
			}
			p := *res.Restore
			if found != nil && found.RequestedAt != nil {
				p.RequestedAt = found.RequestedAt
			}
			found = &p
		}
	}
	return found, nil
}

var _ WorkerStore = (*taskStore)(nil)

// plannedTask is a task as the planner builds it.
func plannedTask() Task {
	start := time.Date(2026, 5, 17, 9, 30, 0, 0, time.UTC)
	d := dataset.Dataset{DatasetId: "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01", DatasetName: "orders", Domain: "sales", DirectoryPath: "sales/"}
	key := "sales/2026/05/orders.csv"
	return Task{
		RunId: "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23", DatasetId: d.DatasetId, ConnectionId: "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11",
		Bucket: "acme-exports", Key: key, Name: d.Name(key), Size: 1234, ETag: "9b2cf535f27731c974343645a3985328",
		StorageClass: "STANDARD", Version: rules.V1_8, FileType: dataset.CSV, TargetKey: d.TargetKey(start, d.Name(key)),
		RunStarted: start.Add(time.Second),
	}
}

// A known-good task rides in every batch: a bad neighbour must not harm it.
const goodRun = "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1aff"

// FuzzDecodeTask sends any message body, with any receive count, to the
// worker's real Handle, next to a well-formed task, and checks that the
// worker never panics or fails the batch; that a body is taken as a task
// exactly when it is a JSON object that decodes into a Task naming its run,
// dataset, connection, bucket, key, name and target key (others are
// dropped, not retried: retrying cannot fix them);
// that a taken task is acted on with the RunId, DatasetId, ConnectionId,
// Name and Key it holds; that the neighbour is always acted on; and that a
// taken task survives the planner's encoding (encoding/json, as taskqueue
// sends it) unchanged. Without -fuzz it runs the seeds below as a normal
// test.
func FuzzDecodeTask(f *testing.F) {
	good, _ := json.Marshal(plannedTask())
	seeds := []string{
		string(good),
		`{"RunId":"r","Name":"n"}`,
		`{"RunId":"r","DatasetId":"d","ConnectionId":"c","Bucket":"b","Key":"k","Name":"n","TargetKey":"t"}`,
		`{"RunId":"r","DatasetId":"d","ConnectionId":"c","Bucket":"b","Key":"k","Name":"n","TargetKey":"t","RunStarted":"2026-11-26T01:00:00Z"}`,
		`{"RunId":"r","DatasetId":"d","ConnectionId":"c","Bucket":"b","Key":"k","Name":"n","TargetKey":"t","RunStarted":"0001-01-01T00:00:00Z"}`,
		`{"RunId":"r","DatasetId":"d","ConnectionId":"c","Bucket":"b","Key":"k","Name":"n","TargetKey":""}`,
		`{"RunId":"r","Name":"n","Key":"k","ConnectionId":"c","DatasetId":"d","Unknown":[1,{"x":null}]}`,
		`{"runid":"r","NAME":"n"}`,
		`{"RunId":"r","Name":"n","RunId":"s"}`,
		`{"RunId":"","Name":"n"}`,
		`{"RunId":"r"}`,
		`{"RunId":1,"Name":"n"}`,
		`{"RunId":"r","Name":"n","Size":"12"}`,
		`{"RunId":"r","Name":"n","Size":1e30}`,
		`{"RunId":"r","Name":"n","Size":-1}`,
		`{"RunId":"r","Name":"n","SkipLZ":"true"}`,
		`{"RunId":"r","Name":"n","RunStarted":"yesterday"}`,
		`{"RunId":"r","Name":"n","RunStarted":"2026-05-17T09:30:00.123456789+05:30"}`,
		`{"RunId":"r","Name":"n","Version":"9.9","FileType":"exe"}`,
		`{"RunId":"r\u0000","Name":"\ud800"}`,
		`{"RunId":"r","Name":"` + "\xff" + `"}`,
		`{"RunId":"r","Name":"n"} {"RunId":"s","Name":"m"}`,
		`{"RunId":"r","Name":"n"}]`,
		`null`, `[]`, `""`, `0`, `true`, ``, `{`, `not json`,
		`[{"RunId":"r","Name":"n"}]`,
		strings.Repeat("[", 20000),
		`{"RunId":"` + goodRun + `","Name":"n"}`,
		`{"RunId":"` + goodRun + `","Name":"orders.csv","Key":"other"}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), strconv.Itoa(i%3))
	}
	f.Fuzz(func(t *testing.T, body []byte, receives string) {
		goodTask := plannedTask()
		goodTask.RunId, goodTask.Name = goodRun, "good.csv"
		goodBody, _ := json.Marshal(goodTask)
		store, resp, logs := handleTasks(t, receives, string(body), string(goodBody))

		// Is it a task? The rule, from the queue's contract.
		var task Task
		var obj map[string]json.RawMessage
		isTask := json.Unmarshal(body, &obj) == nil && obj != nil &&
			json.Unmarshal(body, &task) == nil && task.RunId != "" && task.DatasetId != "" && task.ConnectionId != "" &&
			task.Bucket != "" && task.Key != "" && task.Name != "" && task.TargetKey != ""
		last := false
		if n, err := strconv.Atoi(receives); err == nil && n >= 1 {
			last = true // MaxReceiveCount is 1
		}

		retried := map[string]bool{}
		for _, failure := range resp.BatchItemFailures {
			retried[failure.ItemIdentifier] = true
		}
		if isTask && task.RunId == goodTask.RunId && task.Name == goodTask.Name {
			// The same task twice in a batch: the first (the fuzzed one) is
			// worked on, the neighbour acknowledged with it.
			if !retried["fuzzed"] || retried["good"] {
				t.Fatalf("the same task twice: retried %v, want only the first", retried)
			}
			return
		}
		if !retried["good"] {
			t.Fatalf("the well-formed neighbour was not acted on: %+v", resp)
		}
		dropped := strings.Contains(logs, `"messageId":"fuzzed"`) && strings.Contains(logs, "malformed task dropped")
		switch {
		case isTask && (dropped || !retried["fuzzed"]):
			t.Fatalf("task %+v dropped (retried: %v): %s", task, retried["fuzzed"], logs)
		case !isTask && (!dropped || retried["fuzzed"]):
			t.Fatalf("%q is no task, yet it was taken (dropped: %v, retried: %v)", body, dropped, retried["fuzzed"])
		case !isTask:
			if n := len(store.connections); n != 1 {
				t.Fatalf("%q is no task, yet the worker looked up %d connections", body, n)
			}
			return
		}

		// What the worker did with it is what the task says.
		if !slices.Contains(store.connections, task.ConnectionId) {
			t.Fatalf("looked up %q, want %q", store.connections, task.ConnectionId)
		}
		if last {
			c := store.commits[task.RunId]
			want := run.FileResult{Name: task.Name, SourceKey: task.Key}
			found := false
			for _, r := range c.results {
				if r.Name == want.Name && r.SourceKey == want.SourceKey && r.Outcome == run.OutcomeFailed {
					found = true
				}
			}
			wantDataset := task.DatasetId
			if task.RunId == goodRun {
				wantDataset = "" // the batch's first task names the dataset: either may be first
			}
			if !found || wantDataset != "" && c.datasetID != wantDataset {
				t.Fatalf("committed %+v, want the failure of %+v in dataset %q", c, want, task.DatasetId)
			}
		}

		// The planner's encoding of the task decodes to the same task.
		again, err := json.Marshal(task)
		if err != nil {
			if bad := func(at time.Time) bool { return at.Year() < 0 || at.Year() > 9999 }; bad(task.RunStarted) {
				return // a time the planner never sends (runs start now)
			}
			t.Fatalf("a decoded task does not encode: %v", err)
		}
		var back Task
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("re-encoded task %s does not decode: %v", again, err)
		}
		if !back.RunStarted.Equal(task.RunStarted) {
			t.Fatalf("RunStarted %v became %v", task.RunStarted, back.RunStarted)
		}
		back.RunStarted = task.RunStarted
		if !reflect.DeepEqual(back, task) {
			t.Fatalf("round trip changed the task:\n%+v\n%+v", task, back)
		}
	})
}

// handleTasks sends the bodies to a worker as one batch, the first with the
// message id "fuzzed" and the second "good", each received the given number
// of times, and returns the store, the answer and the log.
func handleTasks(t *testing.T, receives string, fuzzed, good string) (*taskStore, events.SQSEventResponse, string) {
	t.Helper()
	var logs bytes.Buffer
	store := &taskStore{commits: map[string]commit{}}
	w := &Worker{
		Store: store, MaxReceiveCount: 1, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Now: func() time.Time { return time.Date(2026, 5, 17, 9, 31, 0, 0, time.UTC) },
	}
	attrs := map[string]string{"ApproximateReceiveCount": receives}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "fuzzed", Body: fuzzed, Attributes: attrs},
		{MessageId: "good", Body: good, Attributes: attrs},
	}}
	resp, err := w.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return store, resp, logs.String()
}

// The store's not-found is the kind the worker treats as "retry later".
func TestTaskStoreFailsTheFirstStep(t *testing.T) {
	if _, err := (&taskStore{}).GetConnection(context.Background(), "x"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("GetConnection: %v", err)
	}
	good, _ := json.Marshal(plannedTask())
	other := plannedTask()
	other.Name = "other.csv"
	second, _ := json.Marshal(other)
	store, resp, _ := handleTasks(t, "1", string(good), string(second))
	if len(resp.BatchItemFailures) != 2 || len(store.commits[plannedTask().RunId].results) != 2 {
		t.Fatalf("retries %+v, commits %+v", resp.BatchItemFailures, store.commits)
	}
}
