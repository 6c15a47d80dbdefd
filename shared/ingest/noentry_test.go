package ingest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
)

// The planner marks the tasks of files its catalog read did not find
// (NoEntry: their commit inserts them in batches) and not those of files
// that changed: on a page of 1,000 whose even files are catalogued with
// another ETag, the 500 odd ones.
func TestPlannerMarksFilesTheCatalogLacks(t *testing.T) {
	changed := map[string]dataset.File{}
	for name, f := range catalogOf(perOp) {
		f.SourceETag = "0123456789abcdef0123456789abcdef"
		changed[name] = f
	}
	for i := 1; i < perOp; i += 2 {
		delete(changed, benchDataset.Name(benchKey(i)))
	}
	p := app.NewPlanner(benchConfig(), benchAWS(&fakeS3{list: listPage(perOp)}), discard)
	sink := &taskRecorder{}
	p.Store, p.Tasks, p.Metrics = &plannerStore{catalog: changed}, sink, nil
	if _, err := p.Handle(context.Background(), ingest.PlannerEvent{RunId: benchRunID}); err != nil {
		t.Fatal(err)
	}
	if len(sink.tasks) != perOp {
		t.Fatalf("sent %d tasks, want %d", len(sink.tasks), perOp)
	}
	for _, task := range sink.tasks {
		_, catalogued := changed[task.Name]
		if task.NoEntry == catalogued {
			t.Errorf("%s: NoEntry %v, catalogued %v", task.Name, task.NoEntry, catalogued)
		}
	}
}

// taskRecorder keeps the tasks the planner sends.
type taskRecorder struct {
	mu    sync.Mutex
	tasks []ingest.Task
}

func (s *taskRecorder) Send(_ context.Context, tasks []ingest.Task) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks = append(s.tasks, tasks...)
	return nil
}

// The worker hands the planner's mark to its commit with each copied file.
func TestWorkerCarriesTheMarkToItsCommit(t *testing.T) {
	w := app.NewWorker(benchConfig(), benchAWS(&fakeS3{body: csvBody}), discard)
	store := &resultRecorder{}
	w.Store, w.Metrics = store, nil
	tasks := benchTasks()[:20]
	marked := map[string]bool{}
	for i := range tasks {
		tasks[i].FileType, tasks[i].NoEntry = dataset.Others, i%3 == 0
		marked[tasks[i].Name] = tasks[i].NoEntry
	}
	for _, ev := range sqsEvents(t, tasks) {
		if resp, err := w.Handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("batch: %v, %v", err, resp.BatchItemFailures)
		}
	}
	if len(store.results) != len(tasks) {
		t.Fatalf("committed %d files, want %d", len(store.results), len(tasks))
	}
	for _, res := range store.results {
		if res.File == nil || res.NoEntry != marked[res.Name] {
			t.Errorf("%s: copied %v, NoEntry %v, want %v", res.Name, res.File != nil, res.NoEntry, marked[res.Name])
		}
	}
}

// resultRecorder is the worker's metadata in memory, keeping what it
// commits.
type resultRecorder struct {
	workerStore
	mu      sync.Mutex
	results []run.FileResult
}

func (s *resultRecorder) CommitOutcomes(ctx context.Context, r run.Run, results []run.FileResult) ([]run.FileResult, error) {
	s.mu.Lock()
	s.results = append(s.results, results...)
	s.mu.Unlock()
	return s.workerStore.CommitOutcomes(ctx, r, results)
}
