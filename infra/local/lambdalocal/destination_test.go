package lambdalocal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
)

// destinationQueue serves a local SQS with one queue and returns a real
// SDK client, the queue's URL and its ARN.
func destinationQueue(t *testing.T) (*sqs.Client, string, string) {
	t.Helper()
	srv := sqslocal.New(sqslocal.Options{AccountID: testAccount, Region: testRegion})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	client := sqs.New(sqs.Options{Region: testRegion, BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	q, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("planner-failures")})
	if err != nil {
		t.Fatal(err)
	}
	return client, aws.ToString(q.QueueUrl), "arn:aws:sqs:" + testRegion + ":" + testAccount + ":planner-failures"
}

// receiveRecords waits up to wait for the queue's messages.
func receiveRecords(t *testing.T, c *sqs.Client, url string, wait int32) []InvocationRecord {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: wait, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var recs []InvocationRecord
	for _, m := range out.Messages {
		var r InvocationRecord
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &r); err != nil {
			t.Fatalf("record %s: %v", aws.ToString(m.Body), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// An asynchronous invocation that fails every attempt, invoked with the
// SDK's Lambda client, sends Lambda's invocation record to its on-failure
// destination queue, once, after MaximumRetryAttempts retries; one that
// succeeds sends nothing.
func TestOnFailureDestination(t *testing.T) {
	zero := 0
	tests := []struct {
		name        string
		async       func(arn string) EventInvokeConfig
		timeout     time.Duration
		handler     func(ctx context.Context) error
		wantCount   int
		wantType    string
		wantMessage string
	}{
		{"error, default retries", func(arn string) EventInvokeConfig { return EventInvokeConfig{OnFailure: arn} }, time.Second,
			func(context.Context) error { return errors.New("boom") }, 3, "errorString", "boom"},
		{"error, no retries", func(arn string) EventInvokeConfig {
			return EventInvokeConfig{OnFailure: arn, MaximumRetryAttempts: &zero}
		}, time.Second,
			func(context.Context) error { return errors.New("boom") }, 1, "errorString", "boom"},
		{"timeout", func(arn string) EventInvokeConfig {
			return EventInvokeConfig{OnFailure: arn, MaximumRetryAttempts: &zero}
		}, 50 * time.Millisecond,
			func(ctx context.Context) error { <-ctx.Done(); time.Sleep(20 * time.Millisecond); return nil }, 1, ErrorTypeTimeout, "Task timed out after 0.05 seconds"},
		{"success", func(arn string) EventInvokeConfig { return EventInvokeConfig{OnFailure: arn} }, time.Second,
			func(context.Context) error { return nil }, 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, url, arn := destinationQueue(t)
			ids := make(chan string, 5)
			handler := NewHandler(func(ctx context.Context, _ json.RawMessage) error {
				ids <- requestIDFrom(ctx)
				return tc.handler(ctx)
			})
			h := newHarness(t, Options{Destinations: sqslocal.ARNSender{Client: client}},
				Function{Name: "planner", Handler: handler, Timeout: tc.timeout, Async: tc.async(arn)})
			if _, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("planner"),
				InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"RunId":"r1"}`)}); err != nil {
				t.Fatal(err)
			}
			id := receive(t, ids, "first attempt")
			recs := receiveRecords(t, client, url, 2)
			if tc.wantCount == 0 {
				if len(recs) != 0 {
					t.Fatalf("a successful invocation sent %d records", len(recs))
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			r := recs[0]
			var resp struct{ ErrorMessage, ErrorType string }
			_ = json.Unmarshal(r.ResponsePayload, &resp)
			rc := r.RequestContext
			if r.Version != "1.0" || rc.Condition != ConditionRetriesExhausted || rc.ApproximateInvokeCount != tc.wantCount ||
				rc.RequestID != id || rc.FunctionARN != h.rt.FunctionARN("planner")+":$LATEST" || string(r.RequestPayload) != `{"RunId":"r1"}` ||
				r.ResponseContext.FunctionError != "Unhandled" || r.ResponseContext.StatusCode != 200 ||
				resp.ErrorType != tc.wantType || !contains(resp.ErrorMessage, tc.wantMessage) {
				t.Errorf("record %+v, response %+v; want %d attempts of request %s failing with %s %q", r, resp, tc.wantCount, id, tc.wantType, tc.wantMessage)
			}
			if _, err := time.Parse(time.RFC3339Nano, r.Timestamp); err != nil {
				t.Errorf("timestamp %q: %v", r.Timestamp, err)
			}
			if more := receiveRecords(t, client, url, 0); len(more) != 0 {
				t.Errorf("%d more records, want one per event", len(more))
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A retry count Lambda refuses is refused at registration.
func TestMaximumRetryAttemptsRange(t *testing.T) {
	three := 3
	rt := New(Options{})
	if err := rt.Register(Function{Name: "planner", Handler: NewHandler(func() error { return nil }),
		Async: EventInvokeConfig{MaximumRetryAttempts: &three}}); err == nil {
		t.Error("MaximumRetryAttempts 3 accepted; Lambda allows 0 to 2")
	}
}
