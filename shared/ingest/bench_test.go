package ingest_test

// Benchmarks of the ingestion hot paths, per 1,000 objects (one op = 1,000
// objects, so ns/op, B/op and allocs/op read "per 1,000"): `make bench-go`.
// S3 answers in process (fakeS3, canned responses, no network) and the
// metadata store is a fake, so what remains is the platform's own work
// plus the SDK's request building, signing and response decoding; the
// metadata package's benchmarks cover DynamoDB's side.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

const perOp = 1000 // objects per benchmark op

var (
	benchConn = connection.Connection{
		ConnectionId: "0193a6c2-7f1e-7c3a-9d41-3f5e2b8c1a01", S3Bucket: "acme-exports", S3BucketRegion: "us-east-1",
		ConnectionAccessType: connection.BucketPolicy, Version: rules.V1_8, Revision: 1,
	}
	benchDataset = dataset.Dataset{
		DatasetId: "0193a6c2-8a00-7d11-8e2f-6a7b9c0d1e02", DatasetName: "orders", Domain: "sales",
		ConnectionId: benchConn.ConnectionId, FileType: dataset.CSV, DirectoryPath: "sales/",
	}
	benchRunStart = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

const benchRunID = "0193a6c3-0000-7000-8000-00000000r001"

// benchKey is the source key of object i: sales/YYYY/MM/orders-NNNNNN.csv.
func benchKey(i int) string {
	return fmt.Sprintf("sales/2026/%02d/orders-%06d.csv", 1+i%12, i)
}

func benchETag(i int) string { return fmt.Sprintf("%032x", uint64(i)*0x9e3779b97f4a7c15) }

// listPage is a ListObjectsV2 answer of n objects, sorted by key.
func listPage(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>sales/</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`, benchConn.S3Bucket, n)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	for i, k := range sortedIdx(keys) {
		fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2026-11-20T10:00:00.000Z</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`,
			keys[k], benchETag(k), 1024+i)
	}
	b.WriteString(`</ListBucketResult>`)
	return b.Bytes()
}

// sortedIdx returns the indexes of keys in key order.
func sortedIdx(keys []string) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	for i := 1; i < len(idx); i++ { // insertion sort: the keys are nearly sorted
		for j := i; j > 0 && keys[idx[j]] < keys[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

// fakeS3 answers the S3 calls of the planner and the worker in process.
type fakeS3 struct {
	list         []byte
	storageClass string // what HeadObject reports ("" = STANDARD)
	body         []byte // every object's content
	calls        atomic.Int64
}

func (f *fakeS3) Do(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	h := http.Header{"X-Amz-Request-Id": {"bench"}, "Date": {"Wed, 25 Nov 2026 12:00:00 GMT"}}
	resp := func(status int, body []byte) (*http.Response, error) {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
	etag := `"` + benchETag(0) + `"`
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"): // STS AssumeRole
		h.Set("Content-Type", "text/xml")
		return resp(200, []byte(benchSession))
	case r.Method == http.MethodGet && r.URL.Path == "/": // ListBuckets: the platform owns no source
		h.Set("Content-Type", "application/xml")
		return resp(200, []byte(`<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`))
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		h.Set("Content-Type", "application/xml")
		return resp(200, f.list)
	case r.Method == http.MethodHead:
		h.Set("ETag", etag)
		h.Set("Last-Modified", "Fri, 20 Nov 2026 10:00:00 GMT")
		if f.storageClass != "" {
			h.Set("X-Amz-Storage-Class", f.storageClass)
		}
		h.Set("Content-Length", strconv.Itoa(len(f.body)))
		return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, ContentLength: int64(len(f.body)), Request: r}, nil
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		h.Set("Content-Type", "application/xml")
		return resp(200, []byte(`<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>2026-11-25T12:00:00.000Z</LastModified><ETag>`+
			strings.ReplaceAll(etag, `"`, "&quot;")+`</ETag></CopyObjectResult>`))
	case r.Method == http.MethodPut: // PutObject: a report part
		h.Set("ETag", etag)
		return resp(200, nil)
	case r.Method == http.MethodGet:
		h.Set("ETag", etag)
		return resp(200, f.body)
	case r.Method == http.MethodDelete:
		return resp(204, nil)
	}
	return resp(400, []byte(`<Error><Code>NotImplemented</Code></Error>`))
}

// benchSession is STS's answer to the reader role's AssumeRole.
const benchSession = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<AssumedRoleUser><Arn>arn:aws:sts::000000000000:assumed-role/reader/bench</Arn><AssumedRoleId>AROABENCH:bench</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>ASIABENCH0000000000</AccessKeyId><SecretAccessKey>bench-session-secret</SecretAccessKey>
<SessionToken>bench-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
</AssumeRoleResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></AssumeRoleResponse>`

// benchAWS is an SDK configuration whose every call goes to f.
func benchAWS(f *fakeS3) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIALOCALPLATFORM000", "local-platform-secret-key-000000000000000", ""),
		HTTPClient:   f,
		BaseEndpoint: aws.String("http://s3.bench.invalid"),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func benchConfig() platform.Config {
	return platform.Config{Region: "us-east-1", Table: "bench", KMSKeyID: "arn:aws:kms:us-east-1:000000000000:key/bench",
		SecretsKeyID: "arn:aws:kms:us-east-1:000000000000:key/bench-secrets",
		LZBucket:     "lz", DLZBucket: "dlz", TaskQueueURL: "http://sqs.bench.invalid/000000000000/tasks", S3PathStyle: true,
		SourceReaderRoleARN: "arn:aws:iam::000000000000:role/s3connections-source-reader"}
}

var discard = slog.New(slog.DiscardHandler)

// plannerStore is the planner's metadata, in memory. Methods the planner
// may call that it does not define panic (the embedded nil interface): a
// benchmark that meets one must define it.
type plannerStore struct {
	ingest.PlannerStore
	catalog map[string]dataset.File
}

func (s *plannerStore) BeginPlanning(_ context.Context, id string) (run.Run, error) {
	return run.Run{RunId: id, DatasetId: benchDataset.DatasetId, State: run.Planning, CreatedAt: benchRunStart, StartedAt: &benchRunStart}, nil
}
func (s *plannerStore) GetSchedule(_ context.Context, id string) (schedule.Schedule, error) {
	return schedule.Schedule{ScheduleId: id, DatasetId: benchDataset.DatasetId, IsEnabled: true}, nil
}
func (s *plannerStore) GetDataset(context.Context, string) (dataset.Dataset, error) {
	return benchDataset, nil
}
func (s *plannerStore) GetConnection(context.Context, string) (connection.Connection, error) {
	return benchConn, nil
}
func (s *plannerStore) CatalogRange(_ context.Context, _, from, to string) (map[string]dataset.File, error) {
	return s.catalog, nil
}
func (s *plannerStore) SavePlanPage(context.Context, run.Run, ingest.PlanPage) error {
	return nil
}
func (s *plannerStore) ListSkipped(context.Context, string, []run.FileOutcome) error { return nil }
func (s *plannerStore) RenewLease(context.Context, string, string, time.Time) error  { return nil }
func (s *plannerStore) EndPlanning(_ context.Context, id string) (run.Run, error) {
	return run.Run{RunId: id, State: run.Running, PlanningDone: true}, nil
}
func (s *plannerStore) CompleteIfDone(_ context.Context, id string) (run.Run, bool, error) {
	return run.Run{RunId: id, State: run.Running, PlanningDone: true}, false, nil
}

// taskSink counts the tasks the planner sends.
type taskSink struct{ n atomic.Int64 }

func (s *taskSink) Send(_ context.Context, tasks []ingest.Task) error {
	s.n.Add(int64(len(tasks)))
	return nil
}

// catalogOf is the catalog holding every listed file unchanged.
func catalogOf(n int) map[string]dataset.File {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	c := make(map[string]dataset.File, n)
	for i, k := range sortedIdx(keys) {
		name := benchDataset.Name(keys[k])
		c[name] = dataset.File{Name: name, Size: int64(1024 + i), SourceETag: benchETag(k)}
	}
	return c
}

// BenchmarkPlanPage1k plans one listing page of 1,000 CSV files: the
// ListObjectsV2 call (answered in process), the file-type filter, the
// tasks, the merge with the catalog, the page's bookkeeping. "new": an
// empty catalog, 1,000 tasks sent (to a counter); "unchanged": the catalog
// holds every file, nothing sent (a re-run).
func BenchmarkPlanPage1k(b *testing.B) {
	for _, c := range []struct {
		name    string
		catalog map[string]dataset.File
		tasks   int64
	}{
		{"new", map[string]dataset.File{}, perOp},
		{"unchanged", catalogOf(perOp), 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := &fakeS3{list: listPage(perOp)}
			p := app.NewPlanner(benchConfig(), benchAWS(f), discard)
			sink := &taskSink{}
			p.Store, p.Tasks, p.Metrics = &plannerStore{catalog: c.catalog}, sink, nil
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Handle(ctx, ingest.PlannerEvent{RunId: benchRunID}); err != nil {
					b.Fatal(err)
				}
			}
			if got := sink.n.Load(); got != c.tasks*int64(b.N) {
				b.Fatalf("sent %d tasks in %d ops, want %d per op", got, b.N, c.tasks)
			}
		})
	}
}

// BenchmarkListPage1k is the SDK's share of BenchmarkPlanPage1k: one
// ListObjectsV2 call answering 1,000 keys (request, signing, XML decoding).
func BenchmarkListPage1k(b *testing.B) {
	f := &fakeS3{list: listPage(perOp)}
	c := s3.NewFromConfig(benchAWS(f), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(benchConn.S3Bucket), Prefix: aws.String("sales/"), MaxKeys: aws.Int32(1000)})
		if err != nil || len(out.Contents) != perOp {
			b.Fatal(err)
		}
	}
}

// benchTasks are perOp tasks as the planner builds them.
func benchTasks() []ingest.Task {
	tasks := make([]ingest.Task, perOp)
	for i := range tasks {
		key := benchKey(i)
		tasks[i] = ingest.Task{
			RunId: benchRunID, DatasetId: benchDataset.DatasetId, ConnectionId: benchConn.ConnectionId, Bucket: benchConn.S3Bucket,
			Key: key, Name: benchDataset.Name(key), Size: int64(len(csvBody)), ETag: benchETag(0), StorageClass: "STANDARD",
			Version: benchConn.Version, FileType: benchDataset.FileType, TargetKey: benchDataset.TargetKey(benchRunStart, benchDataset.Name(key)),
			RunStarted: benchRunStart,
		}
	}
	return tasks
}

// csvBody is every object's content in the worker benchmarks: a valid CSV.
var csvBody = []byte("order_id,customer,amount\n1,acme,12.50\n2,globex,7.25\n")

// sqsEvents are the tasks as the event source delivers them: batches of
// 10, first deliveries.
func sqsEvents(b testing.TB, tasks []ingest.Task) []events.SQSEvent {
	var evs []events.SQSEvent
	for start := 0; start < len(tasks); start += 10 {
		var ev events.SQSEvent
		for i, t := range tasks[start:min(start+10, len(tasks))] {
			body, err := json.Marshal(t)
			if err != nil {
				b.Fatal(err)
			}
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: fmt.Sprintf("m-%d-%d", start, i), Body: string(body), EventSource: "aws:sqs",
				Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1764072000000"},
			})
		}
		evs = append(evs, ev)
	}
	return evs
}

// workerStore is the worker's metadata, in memory (see plannerStore).
type workerStore struct {
	ingest.WorkerStore
	committed atomic.Int64 // files committed
	outcomes  atomic.Int64 // of those, files with an outcome (skipped, failed)
}

func (s *workerStore) GetConnection(context.Context, string) (connection.Connection, error) {
	return benchConn, nil
}
func (s *workerStore) GetRunRecord(_ context.Context, id string) (run.Run, error) {
	return run.Run{RunId: id, State: run.Running, StartedAt: &benchRunStart}, nil
}
func (s *workerStore) CommittedTasks(context.Context, run.Run, []string) (map[string]dataset.File, error) {
	return nil, nil
}
func (s *workerStore) CommitOutcomes(_ context.Context, _ run.Run, results []run.FileResult) ([]run.FileResult, error) {
	s.committed.Add(int64(len(results)))
	for _, r := range results {
		if r.Outcome != "" {
			s.outcomes.Add(1)
		}
	}
	return results, nil
}
func (s *workerStore) RenewLease(context.Context, string, string, time.Time) error { return nil }
func (s *workerStore) CompleteIfDone(_ context.Context, id string) (run.Run, bool, error) {
	return run.Run{RunId: id, State: run.Running, PlanningDone: true}, false, nil
}
func (s *workerStore) CompleteIfPlanned(_ context.Context, r run.Run) (run.Run, bool, error) {
	return r, false, nil
}

// BenchmarkWorker1k runs 1,000 tasks through the worker, as 100 SQS batches
// of 10, with every S3 call answered in process and a fake metadata store:
// the per-task overhead without the copy (decode, the rules, the SDK calls'
// own work, results, the commit call). Variants:
//   - "others": a file type that is not validated, so the copy goes
//     straight to the DLZ;
//   - "csv": copy to the LZ, GetObject and CSV validation, copy to the DLZ,
//     delete from the LZ;
//   - "skip-archived": the listing said GLACIER, so HeadObject, the rule
//     decision and the skipped result, no copy.
//
// s3calls/task counts the S3 requests per task.
func BenchmarkWorker1k(b *testing.B) {
	for _, c := range []struct {
		name, class string
		fileType    dataset.FileType
		outcome     bool // every file has an outcome (skipped)
	}{
		{"others", "STANDARD", dataset.Others, false},
		{"csv", "STANDARD", dataset.CSV, false},
		{"skip-archived", "GLACIER", dataset.CSV, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := &fakeS3{storageClass: c.class, body: csvBody}
			if c.class == "STANDARD" {
				f.storageClass = ""
			}
			w := app.NewWorker(benchConfig(), benchAWS(f), discard)
			store := &workerStore{}
			w.Store, w.Metrics = store, nil
			tasks := benchTasks()
			for i := range tasks {
				tasks[i].StorageClass, tasks[i].FileType = c.class, c.fileType
			}
			evs := sqsEvents(b, tasks)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				for _, ev := range evs {
					resp, err := w.Handle(ctx, ev)
					if err != nil || len(resp.BatchItemFailures) > 0 {
						b.Fatalf("batch: %v, %d failures", err, len(resp.BatchItemFailures))
					}
				}
			}
			if got := store.committed.Load(); got != perOp*int64(b.N) {
				b.Fatalf("committed %d files in %d ops, want %d per op", got, b.N, perOp)
			}
			if c.outcome != (store.outcomes.Load() == store.committed.Load()) {
				b.Fatalf("%d of %d files have an outcome", store.outcomes.Load(), store.committed.Load())
			}
			b.ReportMetric(float64(f.calls.Load())/float64(b.N*perOp), "s3calls/task")
		})
	}
}

// BenchmarkTaskDecode1k decodes 1,000 tasks as a worker receives them: the
// Lambda payload (100 SQS events of 10, aws-lambda-go's events.SQSEvent)
// and each message body into a Task.
func BenchmarkTaskDecode1k(b *testing.B) {
	var payloads [][]byte
	for _, ev := range sqsEvents(b, benchTasks()) {
		raw, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		payloads = append(payloads, raw)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range payloads {
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				b.Fatal(err)
			}
			for _, m := range ev.Records {
				var t ingest.Task
				if err := json.Unmarshal([]byte(m.Body), &t); err != nil || t.Name == "" {
					b.Fatal(err)
				}
			}
		}
	}
}
