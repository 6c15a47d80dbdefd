package taskqueue_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
	"github.com/datalake-platform/s3connections/shared/taskqueue"
)

// Against the local SQS over HTTP: every item sent arrives once as JSON,
// and released messages are delivered again at once, though their
// visibility timeout had minutes left.
func TestSendAndRelease(t *testing.T) {
	srv := sqslocal.New(sqslocal.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	client := sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIALOCALPLATFORM000", "local-platform-secret-key-000000000000000", ""),
	})
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tasks"), Attributes: map[string]string{"VisibilityTimeout": "600"}})
	if err != nil {
		t.Fatal(err)
	}
	type item struct{ N int }
	var items []item
	for i := range 25 {
		items = append(items, item{i})
	}
	if err := taskqueue.New[item](client, *q.QueueUrl).Send(ctx, items); err != nil {
		t.Fatal(err)
	}
	receive := func() []string {
		var handles []string
		seen := map[string]bool{}
		for {
			out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return handles
			}
			for _, m := range out.Messages {
				if seen[*m.Body] {
					t.Errorf("%s received twice", *m.Body)
				}
				seen[*m.Body] = true
				handles = append(handles, *m.ReceiptHandle)
			}
		}
	}
	handles := receive()
	if len(handles) != len(items) {
		t.Fatalf("received %d messages, want %d", len(handles), len(items))
	}
	if again := receive(); len(again) != 0 {
		t.Fatalf("%d messages visible before their release", len(again))
	}
	if err := taskqueue.NewReleaser(client, *q.QueueUrl).Release(ctx, handles[:13]); err != nil {
		t.Fatal(err)
	}
	if again := receive(); len(again) != 13 {
		t.Errorf("received %d released messages, want 13", len(again))
	}
	if err := taskqueue.NewReleaser(client, *q.QueueUrl).Release(ctx, []string{"not-a-receipt-handle"}); err == nil {
		t.Error("releasing an unknown receipt handle reported no error")
	}
}
