package taskqueue_test

// Benchmarks of sending the planner's tasks, per 1,000 tasks (one op =
// 1,000, so ns/op, B/op and allocs/op read "per 1,000"): `make bench-go`.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/taskqueue"
)

const perOp = 1000

// benchTasks are 1,000 tasks as the planner builds them.
func benchTasks() []ingest.Task {
	d := dataset.Dataset{DatasetId: "0193a6c2-8a00-7d11-8e2f-6a7b9c0d1e02", DatasetName: "orders", Domain: "sales", DirectoryPath: "sales/", FileType: dataset.CSV}
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tasks := make([]ingest.Task, perOp)
	for i := range tasks {
		key := fmt.Sprintf("sales/2026/%02d/orders-%06d.csv", 1+i%12, i)
		tasks[i] = ingest.Task{
			RunId: "0193a6c3-0000-7000-8000-000000000001", DatasetId: d.DatasetId, ConnectionId: "0193a6c2-7f1e-7c3a-9d41-3f5e2b8c1a01",
			Bucket: "acme-exports", Key: key, Name: d.Name(key), Size: int64(1024 + i), ETag: fmt.Sprintf("%032x", i),
			StorageClass: "STANDARD", Version: rules.V1_8, FileType: d.FileType, TargetKey: d.TargetKey(start, d.Name(key)),
		}
	}
	return tasks
}

// BenchmarkEncode1k encodes 1,000 tasks into SendMessageBatch entries as
// the Sender does before it sends them: JSON, one entry per task.
func BenchmarkEncode1k(b *testing.B) {
	tasks := benchTasks()
	var bytes int
	b.ReportAllocs()
	for b.Loop() {
		bytes = 0
		for start := 0; start < len(tasks); start += 10 {
			batch := tasks[start:min(start+10, len(tasks))]
			entries := make([]types.SendMessageBatchRequestEntry, len(batch))
			for i, t := range batch {
				body, err := json.Marshal(t)
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(body)
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))}
			}
		}
	}
	b.ReportMetric(float64(bytes)/perOp, "bytes/task")
}

// BenchmarkSend1k sends 1,000 tasks with the Sender (100 SendMessageBatch
// calls, 8 at once) to the local SQS (infra/local/sqslocal) over loopback
// HTTP, through the real SDK client: encoding, signing, the server's
// work (in this process too) and the answers' MD5 checks.
func BenchmarkSend1k(b *testing.B) {
	srv := sqslocal.New(sqslocal.Options{})
	ts := httptest.NewServer(srv)
	b.Cleanup(func() { srv.Close(); ts.Close() })
	client := sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIALOCALPLATFORM000", "local-platform-secret-key-000000000000000", ""),
	})
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tasks")})
	if err != nil {
		b.Fatal(err)
	}
	sender := taskqueue.New[ingest.Task](client, *q.QueueUrl)
	tasks := benchTasks()
	b.ReportAllocs()
	for b.Loop() {
		if err := sender.Send(ctx, tasks); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
