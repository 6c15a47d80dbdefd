package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/run"
)

// releases records the receipt handles a worker hands back at once.
type releases struct{ handles []string }

func (r *releases) Release(_ context.Context, handles []string) error {
	r.handles = append(r.handles, handles...)
	return nil
}

// chunkStore is taskStore that also records the size of each commit.
type chunkStore struct {
	taskStore
	calls []int
}

func (s *chunkStore) CommitOutcomes(ctx context.Context, r run.Run, results []run.FileResult) ([]run.FileResult, error) {
	s.mu.Lock()
	s.calls = append(s.calls, len(results))
	s.mu.Unlock()
	return s.taskStore.CommitOutcomes(ctx, r, results)
}

// A batch hands back the tasks it cannot finish: those it has no time to
// start (made visible again at once), and those that fail; on their last
// delivery it records them as failed instead (so the run can end),
// committing at most CommitChunk outcomes at a time.
func TestBatchOutcomesByTimeAndDelivery(t *testing.T) {
	testCases := []struct {
		name      string
		deadline  time.Duration // 0: none
		receives  int
		reason    string // in every recorded failure; "" = nothing recorded
		looksUpAt bool   // whether tasks were started (their connection looked up)
		released  int    // tasks handed back to the queue at once
	}{
		{"no time left, first delivery", 5 * time.Second, 1, "", false, 120},
		{"no time left, last delivery", 5 * time.Second, 5, "ran out of time on the last of 5 deliveries", false, 0},
		{"failing, not the last delivery", 0, 4, "", true, 0},
		{"failing, last delivery", 0, 5, "gave up after 5 attempts", true, 0},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			store := &chunkStore{taskStore: taskStore{commits: map[string]commit{}}}
			queue := &releases{}
			w := &Worker{Store: store, MaxReceiveCount: 5, Parallel: 16, Queue: queue, Log: slog.New(slog.DiscardHandler)}
			var ev events.SQSEvent
			for i := range 120 {
				task := plannedTask()
				task.Name, task.Key = fmt.Sprintf("f%03d.csv", i), fmt.Sprintf("sales/f%03d.csv", i)
				body, _ := json.Marshal(task)
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: strconv.Itoa(i), ReceiptHandle: "handle-" + strconv.Itoa(i), Body: string(body),
					Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(tc.receives)}})
			}
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			resp, err := w.Handle(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) != 120 {
				t.Fatalf("%d of 120 handed back (%v)", len(resp.BatchItemFailures), err)
			}
			if started := len(store.connections) > 0; started != tc.looksUpAt {
				t.Errorf("tasks started: %v, want %v", started, tc.looksUpAt)
			}
			if len(queue.handles) != tc.released {
				t.Errorf("released %d tasks at once, want %d", len(queue.handles), tc.released)
			}
			recorded := store.commits[plannedTask().RunId].results
			if tc.reason == "" {
				if len(recorded) > 0 {
					t.Errorf("recorded %d outcomes, want none", len(recorded))
				}
				return
			}
			if len(recorded) != 120 {
				t.Fatalf("recorded %d outcomes, want 120", len(recorded))
			}
			for _, r := range recorded {
				if r.Outcome != run.OutcomeFailed || !strings.Contains(r.Reason, tc.reason) {
					t.Fatalf("recorded %+v, want failed: %s", r, tc.reason)
				}
			}
			if slices.Max(store.calls) > CommitChunk || len(store.calls) < (120+CommitChunk-1)/CommitChunk {
				t.Errorf("commits of %v outcomes, want at most %d each", store.calls, CommitChunk)
			}
		})
	}
}

// The same task twice in a batch is worked on once: one outcome recorded,
// one message handed back (its failure), the duplicate acknowledged.
func TestSameTaskTwiceInABatch(t *testing.T) {
	store := &chunkStore{taskStore: taskStore{commits: map[string]commit{}}}
	w := &Worker{Store: store, MaxReceiveCount: 5, Parallel: 16, Log: slog.New(slog.DiscardHandler)}
	body, _ := json.Marshal(plannedTask())
	var ev events.SQSEvent
	for _, id := range []string{"first", "again"} {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: string(body),
			Attributes: map[string]string{"ApproximateReceiveCount": "5"}})
	}
	resp, err := w.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "first" {
		t.Fatalf("handed back %+v (%v), want only the first", resp.BatchItemFailures, err)
	}
	if got := store.commits[plannedTask().RunId].results; len(got) != 1 || len(store.connections) != 1 {
		t.Errorf("recorded %d outcomes after %d attempts, want 1 and 1", len(got), len(store.connections))
	}
}
