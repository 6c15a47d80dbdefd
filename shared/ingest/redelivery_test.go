package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

// runRecordStore answers GetRunRecord only.
type runRecordStore struct {
	WorkerStore
	record run.Run
	err    error
}

func (s runRecordStore) GetRunRecord(context.Context, string) (run.Run, error) {
	return s.record, s.err
}

// A task carries its run's start time, the catalog's gate; a task sent
// before tasks carried it takes the run record's, and waits while the run
// has none yet.
func TestRunStarted(t *testing.T) {
	sent := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	recorded, created := sent.Add(time.Minute), sent.Add(-time.Minute)
	testCases := []struct {
		name    string
		task    time.Time
		record  run.Run
		readErr error
		want    time.Time // zero: an error
	}{
		{"the task's", sent, run.Run{StartedAt: &recorded}, nil, sent},
		{"an old task: the run's", time.Time{}, run.Run{State: run.Running, StartedAt: &recorded, CreatedAt: created}, nil, recorded},
		{"an old task of an ended run that never had one", time.Time{}, run.Run{State: run.Failed, CreatedAt: created}, nil, created},
		{"an old task of a run still getting one", time.Time{}, run.Run{State: run.Planning, CreatedAt: created}, nil, time.Time{}},
		{"the run cannot be read", time.Time{}, run.Run{}, errors.New("throttled"), time.Time{}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			w := &Worker{Store: runRecordStore{record: tc.record, err: tc.readErr}}
			got, err := w.runStarted(context.Background(), "run", Task{RunStarted: tc.task})
			if tc.want.IsZero() != (err != nil) || !got.Equal(tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// committedStore is taskStore whose files are already committed.
type committedStore struct {
	taskStore
	committed map[string]dataset.File
}

func (s *committedStore) CommittedTasks(context.Context, run.Run, []string) (map[string]dataset.File, error) {
	return s.committed, nil
}

// A task delivered again after its file was committed is acknowledged, and
// its LZ key is cleared of what a failed duplicate may have left there,
// except when the catalog names that very object (a file that failed
// validation stays in the LZ). Against the local S3 over HTTP.
func TestRedeliveredTaskClearsTheLZ(t *testing.T) {
	s3srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := httptest.NewServer(s3srv)
	t.Cleanup(httpSrv.Close)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(httpSrv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	ctx := context.Background()
	const lz = "lz-bucket"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lz)}); err != nil {
		t.Fatal(err)
	}
	task := plannedTask()
	testCases := []struct {
		name      string
		committed dataset.File
		keep      bool
	}{
		{"committed as copied", dataset.File{RunId: task.RunId, State: dataset.InDLZ, Key: task.TargetKey}, false},
		{"committed as failing validation", dataset.File{RunId: task.RunId, State: dataset.FailedValidation, Key: task.TargetKey}, true},
		{"failed validation in a later run", dataset.File{RunId: "later-run", State: dataset.FailedValidation, Key: "sales/orders/upload_date=1/x.csv"}, false},
		{"only skipped or failed", dataset.File{}, false},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(lz), Key: aws.String(task.TargetKey), Body: strings.NewReader("a,b\n")}); err != nil {
				t.Fatal(err)
			}
			store := &committedStore{taskStore: taskStore{commits: map[string]commit{}}, committed: map[string]dataset.File{task.Name: tc.committed}}
			w := &Worker{Store: store, Copier: &Copier{Target: client}, LZBucket: lz, Parallel: 4, MaxReceiveCount: 5, Log: slog.New(slog.DiscardHandler)}
			body, _ := json.Marshal(task)
			resp, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: string(body),
				Attributes: map[string]string{"ApproximateReceiveCount": "2"}}}})
			if err != nil || len(resp.BatchItemFailures) != 0 || len(store.connections) != 0 || len(store.commits) != 0 {
				t.Fatalf("answer %+v (%v), connections read %v, commits %v: want the task acknowledged untouched", resp, err, store.connections, store.commits)
			}
			_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(lz), Key: aws.String(task.TargetKey)})
			if kept := err == nil; kept != tc.keep {
				t.Errorf("LZ object kept: %v (%v), want %v", kept, err, tc.keep)
			}
		})
	}
}
