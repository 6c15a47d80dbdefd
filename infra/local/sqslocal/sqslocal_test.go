package sqslocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// lateness bounds how late a loaded machine may make what should happen at
// a known time (a long poll woken by a message, a receive returning at
// the end of its wait): generous, yet well below the 20 s of the longest
// long poll, so that a poll that is not woken and runs out still fails.
const lateness = 10 * time.Second

// newClient starts srv behind an httptest server and returns a real SDK
// client for it. Retries have no back-off so that injected faults do not
// slow the tests down.
func newClient(t testing.TB, srv *Server) (*sqs.Client, string) {
	t.Helper()
	return newClientFor(t, srv, srv)
}

// newClientFor is newClient with h, a handler wrapping srv, in front of it.
func newClientFor(t testing.TB, srv *Server, h http.Handler) (*sqs.Client, string) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close() // first release long polls, so ts.Close does not wait
		ts.Close()
	})
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(ts.URL),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
	return client, ts.URL
}

func createQueue(t testing.TB, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func queueAttrs(t testing.TB, c *sqs.Client, url string, names ...types.QueueAttributeName) map[string]string {
	t.Helper()
	if len(names) == 0 {
		names = []types.QueueAttributeName{types.QueueAttributeNameAll}
	}
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: names})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes
}

// counts returns ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func counts(t testing.TB, c *sqs.Client, url string) [3]string {
	a := queueAttrs(t, c, url)
	return [3]string{a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"]}
}

func receive(t testing.TB, c *sqs.Client, in *sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

// errorCode returns the SDK's ErrorCode() of err, or "" if it is no API error.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestQueueLifecycle(t *testing.T) {
	srv := New(Options{AccountID: "123456789012", Region: "eu-west-1"})
	c, base := newClient(t, srv)
	ctx := context.Background()

	dlqURL := createQueue(t, c, "ingest-dlq", nil)
	if want := base + "/123456789012/ingest-dlq"; dlqURL != want {
		t.Fatalf("queue URL = %s, want %s", dlqURL, want)
	}
	dlqArn := queueAttrs(t, c, dlqURL, types.QueueAttributeNameQueueArn)["QueueArn"]
	if dlqArn != "arn:aws:sqs:eu-west-1:123456789012:ingest-dlq" {
		t.Fatalf("QueueArn = %s", dlqArn)
	}
	attrs := map[string]string{
		"VisibilityTimeout":             "45",
		"MessageRetentionPeriod":        "3600",
		"DelaySeconds":                  "2",
		"ReceiveMessageWaitTimeSeconds": "5",
		"RedrivePolicy":                 `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"4"}`,
		"KmsMasterKeyId":                "alias/ingest",
	}
	url := createQueue(t, c, "ingest-files", attrs)

	// Idempotent with the same attributes (or none), QueueNameExists otherwise.
	if again := createQueue(t, c, "ingest-files", attrs); again != url {
		t.Fatalf("repeated CreateQueue returned %s, want %s", again, url)
	}
	if again := createQueue(t, c, "ingest-files", nil); again != url {
		t.Fatalf("CreateQueue without attributes returned %s, want %s", again, url)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ingest-files"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) || errorCode(err) != "QueueAlreadyExists" {
		t.Fatalf("conflicting CreateQueue: got %v (code %q), want *types.QueueNameExists / QueueAlreadyExists", err, errorCode(err))
	}

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("ingest-files")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}

	all := queueAttrs(t, c, url)
	for k, want := range map[string]string{
		"VisibilityTimeout":                     "45",
		"MessageRetentionPeriod":                "3600",
		"DelaySeconds":                          "2",
		"ReceiveMessageWaitTimeSeconds":         "5",
		"MaximumMessageSize":                    "1048576",
		"RedrivePolicy":                         `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":4}`,
		"KmsMasterKeyId":                        "alias/ingest",
		"KmsDataKeyReusePeriodSeconds":          "300",
		"SqsManagedSseEnabled":                  "false",
		"QueueArn":                              "arn:aws:sqs:eu-west-1:123456789012:ingest-files",
		"ApproximateNumberOfMessages":           "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
	} {
		if all[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, all[k], want)
		}
	}
	if all["CreatedTimestamp"] == "" || all["LastModifiedTimestamp"] == "" {
		t.Errorf("timestamps missing: %v", all)
	}
	// Asking for one attribute returns only that one.
	if one := queueAttrs(t, c, url, types.QueueAttributeNameVisibilityTimeout); len(one) != 1 || one["VisibilityTimeout"] != "45" {
		t.Errorf("GetQueueAttributes(VisibilityTimeout) = %v", one)
	}

	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"VisibilityTimeout": "10", "RedrivePolicy": ""}})
	if err != nil {
		t.Fatal(err)
	}
	after := queueAttrs(t, c, url)
	if after["VisibilityTimeout"] != "10" || after["RedrivePolicy"] != "" {
		t.Errorf("after SetQueueAttributes: %v", after)
	}

	// ListQueues with a prefix, then paginated.
	createQueue(t, c, "other", nil)
	lq, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("ingest")})
	if err != nil || len(lq.QueueUrls) != 2 || lq.QueueUrls[0] != dlqURL || lq.QueueUrls[1] != url {
		t.Fatalf("ListQueues(ingest) = %v, %v", lq, err)
	}
	var pages [][]string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page.QueueUrls)
	}
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 || !strings.HasSuffix(pages[1][0], "/other") {
		t.Fatalf("paginated ListQueues = %v", pages)
	}

	// Tags.
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"team": "datalake", "tmp": "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"tmp"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "datalake" {
		t.Fatalf("ListQueueTags = %v, %v", tags, err)
	}

	// A QueueUrl with another host resolves by its path.
	alt := strings.Replace(url, "127.0.0.1", "localhost", 1)
	if _, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &alt}); err != nil {
		t.Fatalf("QueueUrl with host localhost: %v", err)
	}

	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("ingest-files")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Fatalf("GetQueueUrl after DeleteQueue: %v, want *types.QueueDoesNotExist", err)
	}
}

func TestCreateQueueRejects(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	tests := []struct {
		name  string
		queue string
		attrs map[string]string
		check func(error) bool
		code  string
	}{
		{"fifo name", "jobs.fifo", nil, isType[*types.UnsupportedOperation], "AWS.SimpleQueueService.UnsupportedOperation"},
		{"fifo attribute", "jobs", map[string]string{"FifoQueue": "true"}, isType[*types.UnsupportedOperation], "AWS.SimpleQueueService.UnsupportedOperation"},
		{"bad name", "a b", nil, nil, "InvalidParameterValue"},
		{"visibility out of range", "q", map[string]string{"VisibilityTimeout": "43201"}, isType[*types.InvalidAttributeValue], "InvalidAttributeValue"},
		{"unknown attribute", "q", map[string]string{"Colour": "blue"}, isType[*types.InvalidAttributeName], "InvalidAttributeName"},
		{"read-only attribute", "q", map[string]string{"QueueArn": "x"}, isType[*types.InvalidAttributeName], "InvalidAttributeName"},
		{"missing dead-letter queue", "q", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":3}`}, nil, "InvalidParameterValue"},
		{"bad maxReceiveCount", "q", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"x","maxReceiveCount":0}`}, nil, "InvalidParameterValue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &tc.queue, Attributes: tc.attrs})
			if err == nil {
				t.Fatal("CreateQueue succeeded")
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("error %T %v has the wrong type", err, err)
			}
			if got := errorCode(err); got != tc.code {
				t.Errorf("ErrorCode() = %q, want %q (%v)", got, tc.code, err)
			}
		})
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestMD5OfAttributesVectors checks the digest against the samples AWS
// publishes with its SDKs (the Go SDK itself only checks body digests).
func TestMD5OfAttributesVectors(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		attrs map[string]attrValue
		want  string
	}{
		{"strings", map[string]attrValue{
			"test_attribute_name_2": {DataType: "String", StringValue: s("test_attribute_value_2")},
			"test_attribute_name_1": {DataType: "String", StringValue: s("test_attribute_value_1")},
		}, "d53f3b558fe951154770f25cb63dbba9"},
		{"binary", map[string]attrValue{
			"test_attribute_name": {DataType: "Binary", BinaryValue: []byte("test_attribute_value")},
		}, "23f6bd27ea87aab7dfeadcc9aebee495"},
		{"none", nil, ""},
	}
	for _, tc := range tests {
		if got := md5OfAttributes(tc.attrs, nil); got != tc.want {
			t.Errorf("%s: md5 = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSendReceiveDeleteWithAttributes(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "events", nil)

	msgAttrs := map[string]types.MessageAttributeValue{
		"bucket":     {DataType: aws.String("String"), StringValue: aws.String("raw-zone")},
		"size":       {DataType: aws.String("Number"), StringValue: aws.String("1048576")},
		"checksum":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xff}},
		"s3.key":     {DataType: aws.String("String.path"), StringValue: aws.String("a/b/ç.parquet")},
		"s3.version": {DataType: aws.String("String"), StringValue: aws.String("v1")},
	}
	body := `{"Records":[{"s3":{"object":{"key":"a/b/ç.parquet"}}}]}`
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          &url,
		MessageBody:       &body,
		MessageAttributes: msgAttrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil { // includes the SDK's MD5OfMessageBody check
		t.Fatal(err)
	}
	if sent.MD5OfMessageAttributes == nil || sent.MD5OfMessageSystemAttributes == nil {
		t.Fatalf("SendMessage output lacks attribute digests: %+v", sent)
	}

	msgs := receive(t, c, &sqs.ReceiveMessageInput{
		QueueUrl:                    &url,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	m := msgs[0]
	if *m.Body != body || *m.MessageId != *sent.MessageId {
		t.Fatalf("received %q (%s), want %q (%s)", *m.Body, *m.MessageId, body, *sent.MessageId)
	}
	if *m.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes {
		t.Errorf("MD5OfMessageAttributes on receive %s != on send %s", *m.MD5OfMessageAttributes, *sent.MD5OfMessageAttributes)
	}
	if len(m.MessageAttributes) != len(msgAttrs) || string(m.MessageAttributes["checksum"].BinaryValue) != "\x00\x01\x02\xff" ||
		*m.MessageAttributes["s3.key"].DataType != "String.path" || *m.MessageAttributes["size"].StringValue != "1048576" {
		t.Errorf("message attributes = %+v", m.MessageAttributes)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" ||
		m.Attributes["ApproximateFirstReceiveTimestamp"] == "" || m.Attributes["AWSTraceHeader"] == "" {
		t.Errorf("system attributes = %v", m.Attributes)
	}

	// Selected attributes: the digest covers what is returned.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	msgs = receive(t, c, &sqs.ReceiveMessageInput{
		QueueUrl:              &url,
		MessageAttributeNames: []string{"s3.*"},
		AttributeNames:        []types.QueueAttributeName{"ApproximateReceiveCount"}, // the legacy list
	})
	if len(msgs) != 1 {
		t.Fatalf("second receive got %d messages", len(msgs))
	}
	m = msgs[0]
	if len(m.MessageAttributes) != 2 || len(m.Attributes) != 1 || m.Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("filtered attributes: %v / %v", m.MessageAttributes, m.Attributes)
	}
	want := md5OfAttributes(map[string]attrValue{
		"s3.key":     {DataType: "String.path", StringValue: aws.String("a/b/ç.parquet")},
		"s3.version": {DataType: "String", StringValue: aws.String("v1")},
	}, nil)
	if *m.MD5OfMessageAttributes != want {
		t.Errorf("MD5 of selected attributes = %s, want %s", *m.MD5OfMessageAttributes, want)
	}

	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, c, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after delete = %v", got)
	}
	// Deleting again succeeds, as in SQS.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage: %v", err)
	}
}

func TestSendMessageBatch(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "small", map[string]string{"MaximumMessageSize": "1024"})

	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		entry("ok-1", "hello"),
		entry("too-big", strings.Repeat("x", 2000)),
		entry("bad-chars", "nul \x00 byte"),
		{Id: aws.String("delayed"), MessageBody: aws.String("later"), DelaySeconds: 60},
	}})
	if err != nil {
		t.Fatalf("SendMessageBatch failed as a whole: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 2 {
		t.Fatalf("Successful %d, Failed %d: %+v", len(out.Successful), len(out.Failed), out.Failed)
	}
	failed := map[string]types.BatchResultErrorEntry{}
	for _, f := range out.Failed {
		failed[*f.Id] = f
	}
	if f := failed["too-big"]; *f.Code != "InvalidParameterValue" || !f.SenderFault || !strings.Contains(*f.Message, "shorter than 1024") {
		t.Errorf("too-big entry: %+v", f)
	}
	if f := failed["bad-chars"]; *f.Code != "InvalidMessageContents" {
		t.Errorf("bad-chars entry: %+v", f)
	}
	if got := counts(t, c, url); got != [3]string{"1", "0", "1"} {
		t.Errorf("counts = %v, want 1 visible, 1 delayed", got)
	}

	many := make([]types.SendMessageBatchRequestEntry, 11)
	for i := range many {
		many[i] = entry(fmt.Sprint("e", i), "x")
	}
	whole := []struct {
		name    string
		entries []types.SendMessageBatchRequestEntry
		check   func(error) bool
	}{
		{"empty", []types.SendMessageBatchRequestEntry{}, isType[*types.EmptyBatchRequest]},
		{"eleven", many, isType[*types.TooManyEntriesInBatchRequest]},
		{"duplicate ids", []types.SendMessageBatchRequestEntry{entry("a", "1"), entry("a", "2")}, isType[*types.BatchEntryIdsNotDistinct]},
		{"bad id", []types.SendMessageBatchRequestEntry{entry("a.b", "1")}, isType[*types.InvalidBatchEntryId]},
		{"too long", []types.SendMessageBatchRequestEntry{entry("a", strings.Repeat("x", 600<<10)), entry("b", strings.Repeat("x", 600<<10))}, isType[*types.BatchRequestTooLong]},
	}
	for _, tc := range whole {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: tc.entries})
			if !tc.check(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestVisibilityTimeoutRedelivery(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "vt", map[string]string{"VisibilityTimeout": "1"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("work")}); err != nil {
		t.Fatal(err)
	}
	all := []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}
	const vt = time.Second
	begin := time.Now() // the visibility timeout starts later, on the server
	first := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageSystemAttributeNames: all})
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive: %+v", first)
	}
	// Invisible now, if the machine was quick enough for now to be within
	// the timeout: a slow machine only skips these checks.
	again := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url})
	got := counts(t, c, url)
	if time.Since(begin) < vt {
		if len(again) != 0 {
			t.Fatalf("message visible during its visibility timeout")
		}
		if got != [3]string{"0", "1", "0"} {
			t.Errorf("counts while in flight = %v", got)
		}
	} else {
		t.Logf("the visibility timeout had passed before the checks of an invisible message (slow machine): skipped")
	}
	// A long poll as long as they come returns the message when its timeout
	// ends, which is never before begin + vt; VisibilityTimeout 60 keeps it
	// in flight for the rest of the test.
	start := time.Now()
	second := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20, VisibilityTimeout: 60, MessageSystemAttributeNames: all})
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("redelivery: %+v", second)
	}
	if d := time.Since(begin); d < vt {
		t.Errorf("redelivered %v after the first receive began, within its %v visibility timeout", d, vt)
	}
	if d := time.Since(start); d >= vt+lateness {
		t.Errorf("redelivery took %v, want about %v: the long poll was not woken when the timeout ended", d, vt)
	}
	if *second[0].ReceiptHandle == *first[0].ReceiptHandle || *second[0].MessageId != *first[0].MessageId {
		t.Errorf("receipt handle did not change or message id did")
	}
	if second[0].Attributes["ApproximateFirstReceiveTimestamp"] != first[0].Attributes["ApproximateFirstReceiveTimestamp"] {
		t.Errorf("ApproximateFirstReceiveTimestamp changed on redelivery")
	}
	// The stale handle "succeeds" but does not delete (SQS: the message might not be deleted).
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage(stale handle): %v", err)
	}
	if got := counts(t, c, url); got != [3]string{"0", "1", "0"} {
		t.Errorf("stale handle deleted the message: counts = %v", got)
	}
	// ChangeMessageVisibility with the stale handle fails.
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 5})
	if errorCode(err) != "InvalidParameterValue" {
		t.Errorf("ChangeMessageVisibility(stale handle) = %v", err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, c, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after delete = %v", got)
	}
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	dlq := createQueue(t, c, "files-dlq", nil)
	dlqArn := queueAttrs(t, c, dlq)["QueueArn"]
	// VisibilityTimeout 0 makes every receive a failed delivery at once.
	src := createQueue(t, c, "files", map[string]string{
		"VisibilityTimeout": "0",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":2}`, dlqArn),
	})
	srcArn := queueAttrs(t, c, src)["QueueArn"]
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("poison"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	all := []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}
	for i := 1; i <= 2; i++ {
		got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &src, MessageSystemAttributeNames: all})
		if len(got) != 1 || got[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d: %+v", i, got)
		}
	}
	// The third receive would exceed maxReceiveCount: the message moves.
	if got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &src}); len(got) != 0 {
		t.Fatalf("third receive from source returned %d messages", len(got))
	}
	if got := counts(t, c, src); got != [3]string{"0", "0", "0"} {
		t.Errorf("source counts = %v", got)
	}
	moved := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MessageSystemAttributeNames: all, MessageAttributeNames: []string{"All"}})
	if len(moved) != 1 {
		t.Fatalf("dead-letter queue holds %d messages", len(moved))
	}
	m := moved[0]
	if *m.MessageId != *sent.MessageId || *m.Body != "poison" || m.Attributes["DeadLetterQueueSourceArn"] != srcArn ||
		*m.MD5OfMessageAttributes != *sent.MD5OfMessageAttributes {
		t.Errorf("moved message = %+v", m)
	}
	if m.Attributes["ApproximateReceiveCount"] != "3" {
		t.Errorf("ApproximateReceiveCount in the DLQ = %s, want 3 (counts carry over)", m.Attributes["ApproximateReceiveCount"])
	}
	src2, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(src2.QueueUrls) != 1 || src2.QueueUrls[0] != src {
		t.Errorf("ListDeadLetterSourceQueues = %v, %v", src2, err)
	}
}

func TestLongPolling(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()

	t.Run("returns early when a message arrives", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, "lp-early", nil)
		go func() {
			// Meant to arrive during the long poll; on a slow machine it
			// may come first, which only makes the test weaker.
			time.Sleep(300 * time.Millisecond)
			c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hi")})
		}()
		start := time.Now()
		got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if d := time.Since(start); len(got) != 1 || d >= lateness {
			t.Fatalf("got %d messages after %v, want 1 after about 300ms", len(got), d)
		}
	})
	t.Run("returns empty after WaitTimeSeconds", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, "lp-empty", nil)
		start := time.Now()
		got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
		if d := time.Since(start); len(got) != 0 || d < 950*time.Millisecond || d >= time.Second+lateness {
			t.Fatalf("got %d messages after %v, want none after 1s", len(got), d)
		}
	})
	t.Run("queue default ReceiveMessageWaitTimeSeconds", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, "lp-default", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
		start := time.Now()
		receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url})
		if d := time.Since(start); d < 950*time.Millisecond {
			t.Fatalf("returned after %v, want the queue's 1s wait", d)
		}
	})
	t.Run("wakes when a delayed message becomes visible", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, "lp-delay", nil)
		sent := time.Now() // the delay starts later, on the server
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 1}); err != nil {
			t.Fatal(err)
		}
		// Still delayed, unless a slow machine let the second pass first:
		// that only skips the check.
		if got := counts(t, c, url); time.Since(sent) < time.Second && got != [3]string{"0", "0", "1"} {
			t.Errorf("counts = %v, want 1 delayed", got)
		}
		got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if d := time.Since(sent); len(got) != 1 || d < 950*time.Millisecond || d >= time.Second+lateness {
			t.Fatalf("got %d messages %v after the send, want 1 after about 1s", len(got), d)
		}
	})
	t.Run("wakes when ChangeMessageVisibility shortens a timeout", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, "lp-cmv", nil) // 30s visibility
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
		first := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url})
		go func() {
			// Let the long poll start; on a slow machine it may start
			// later, which only makes the test weaker.
			time.Sleep(200 * time.Millisecond)
			c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 1})
		}()
		start := time.Now()
		got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if d := time.Since(start); len(got) != 1 || d >= time.Second+lateness {
			t.Fatalf("got %d messages after %v, want 1 after about 1.2s", len(got), d)
		}
	})
	t.Run("respects context cancellation", func(t *testing.T) {
		t.Parallel()
		// A server of its own, counting the requests it is still serving.
		srv := New(Options{})
		var serving atomic.Int32
		c, _ := newClientFor(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serving.Add(1)
			defer serving.Add(-1)
			srv.ServeHTTP(w, r)
		}))
		url := createQueue(t, c, "lp-cancel", nil)
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if err == nil || time.Since(start) >= lateness {
			t.Fatalf("ReceiveMessage returned %v after %v", err, time.Since(start))
		}
		// The server side of the poll ends too, long before its 20 s...
		for serving.Load() > 0 {
			if time.Since(start) >= lateness {
				t.Fatalf("the server still serves the cancelled poll after %v", time.Since(start))
			}
			time.Sleep(10 * time.Millisecond)
		}
		// ...so a message sent now is not swallowed by it.
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(got) != 1 {
			t.Fatalf("got %d messages", len(got))
		}
	})
}

func TestChangeMessageVisibility(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "cmv", nil) // default visibility 30s
	for i := range 3 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(fmt.Sprint("m", i))}); err != nil {
			t.Fatal(err)
		}
	}
	got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if len(got) != 3 {
		t.Fatalf("received %d of 3", len(got))
	}
	// Visibility 0: visible again at once.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if len(again) != 1 || *again[0].MessageId != *got[0].MessageId || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after ChangeMessageVisibility(0): %+v", again)
	}

	// Batch: one good entry, one stale handle, one garbage handle.
	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("good"), ReceiptHandle: got[1].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("stale"), ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("garbage"), ReceiptHandle: aws.String("not-a-handle"), VisibilityTimeout: 0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, f := range out.Failed {
		codes[*f.Id] = *f.Code
	}
	if len(out.Successful) != 1 || *out.Successful[0].Id != "good" || codes["stale"] != "InvalidParameterValue" || codes["garbage"] != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch: ok %v, failed %v", out.Successful, codes)
	}

	// DeleteMessageBatch with the current handles, and a garbage one.
	cur := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if len(cur) != 1 {
		t.Fatalf("expected the message made visible by the batch, got %d", len(cur))
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: again[0].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: cur[0].ReceiptHandle},
		{Id: aws.String("c"), ReceiptHandle: got[2].ReceiptHandle},
		{Id: aws.String("d"), ReceiptHandle: aws.String("bogus")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Successful) != 3 || len(del.Failed) != 1 || *del.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Errorf("DeleteMessageBatch: %+v / %+v", del.Successful, del.Failed)
	}
	if got := counts(t, c, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts = %v", got)
	}
	// A message that is no longer in flight.
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	r := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 60})
	c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: r[0].ReceiptHandle, VisibilityTimeout: 0})
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: r[0].ReceiptHandle, VisibilityTimeout: 10})
	if !isType[*types.MessageNotInflight](err) {
		t.Errorf("ChangeMessageVisibility on a visible message = %v, want *types.MessageNotInflight", err)
	}
}

func TestTypedErrors(t *testing.T) {
	c, base := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "present", nil)
	missing := base + "/000000000000/absent"
	otherAccount := base + "/999999999999/present"
	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		code  string
	}{
		{"GetQueueUrl of a missing queue", func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("absent")})
			return err
		}, isType[*types.QueueDoesNotExist], "AWS.SimpleQueueService.NonExistentQueue"},
		{"SendMessage to a missing queue", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &missing, MessageBody: aws.String("x")})
			return err
		}, isType[*types.QueueDoesNotExist], "AWS.SimpleQueueService.NonExistentQueue"},
		{"ReceiveMessage with another account", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &otherAccount})
			return err
		}, isType[*types.QueueDoesNotExist], "AWS.SimpleQueueService.NonExistentQueue"},
		{"DeleteMessage with a garbage handle", func() error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
			return err
		}, isType[*types.ReceiptHandleIsInvalid], "ReceiptHandleIsInvalid"},
		{"MaxNumberOfMessages 11", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
			return err
		}, nil, "InvalidParameterValue"},
		{"WaitTimeSeconds 21", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
			return err
		}, nil, "InvalidParameterValue"},
		{"DelaySeconds 901", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901})
			return err
		}, nil, "InvalidParameterValue"},
		{"invalid characters", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("\uFFFF")})
			return err
		}, isType[*types.InvalidMessageContents], "InvalidMessageContents"},
		{"eleven message attributes", func() error {
			attrs := map[string]types.MessageAttributeValue{}
			for i := range 11 {
				attrs[fmt.Sprint("a", i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
			}
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: attrs})
			return err
		}, nil, "InvalidParameterValue"},
		{"attribute named AWS.x", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
			return err
		}, nil, "InvalidParameterValue"},
		{"Number attribute that is no number", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("12a")}}})
			return err
		}, nil, "InvalidParameterValue"},
		{"unknown queue attribute name", func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Nope"}})
			return err
		}, isType[*types.InvalidAttributeName], "InvalidAttributeName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("call succeeded")
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("error %v has the wrong type", err)
			}
			if got := errorCode(err); got != tc.code {
				t.Errorf("ErrorCode() = %q, want %q (%v)", got, tc.code, err)
			}
		})
	}
}

func TestPurgeQueue(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "purge", nil)
	for range 5 {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	}
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 60})
	got := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 2})
	if got := counts(t, c, url); got != [3]string{"3", "2", "1"} {
		t.Fatalf("counts before purge = %v", got)
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, c, url); got != [3]string{"0", "0", "0"} {
		t.Fatalf("counts after purge = %v", got)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle}); err != nil {
		t.Errorf("DeleteMessage of a purged message: %v", err)
	}
}

// TestRetention drives the queue directly with synthetic times, since the
// smallest MessageRetentionPeriod SQS allows is a minute.
func TestRetention(t *testing.T) {
	cfg := defaultConfig()
	cfg.retention = 60
	t0 := time.Now()
	q := newQueue("r", "arn:r", 1, cfg, nil, t0)
	for i := range 3 {
		q.enqueueLocked(&message{id: fmt.Sprint(i), sentAt: t0.Add(time.Duration(i) * 10 * time.Second)}, 0, t0)
	}
	got, _ := q.receiveLocked(t0, 1, time.Hour, false) // message 0 in flight
	if len(got) != 1 {
		t.Fatal("no message")
	}
	if v, f, d := q.countsLocked(t0.Add(75 * time.Second)); v != 1 || f != 0 || d != 0 {
		t.Errorf("after 75s: visible %d, in flight %d, delayed %d; want 1 visible (messages 0 and 1 expired)", v, f, d)
	}
	if got, _ := q.receiveLocked(t0.Add(81*time.Second), 10, time.Hour, false); len(got) != 0 {
		t.Errorf("expired message delivered")
	}
}

func TestHook(t *testing.T) {
	var fail atomic.Int32
	var failWith atomic.Pointer[error]
	srv := New(Options{Hook: func(op string) error {
		if op == "SendMessage" && fail.Add(-1) >= 0 {
			return *failWith.Load()
		}
		return nil
	}})
	c, _ := newClient(t, srv)
	ctx := context.Background()
	url := createQueue(t, c, "hooked", nil)
	send := func(optFns ...func(*sqs.Options)) error {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")}, optFns...)
		return err
	}
	noRetry := func(o *sqs.Options) { o.RetryMaxAttempts = 1 }

	throttled := error(ErrThrottled)
	failWith.Store(&throttled)
	fail.Store(1)
	if err := send(noRetry); !isType[*types.RequestThrottled](err) {
		t.Errorf("throttled send = %v, want *types.RequestThrottled", err)
	}
	fail.Store(1)
	if err := send(); err != nil {
		t.Errorf("the SDK did not retry a throttled send: %v", err)
	}

	plain := errors.New("disk on fire")
	failWith.Store(&plain)
	fail.Store(1)
	err := send(noRetry)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalFailure" || ae.ErrorFault() != smithy.FaultServer {
		t.Errorf("plain error from hook = %v, want a 500 InternalFailure", err)
	}
	fail.Store(2)
	if err := send(); err != nil { // 3 attempts by default
		t.Errorf("the SDK did not retry 500s: %v", err)
	}
	if got := counts(t, c, url); got[0] != "2" {
		t.Errorf("%s messages stored, want 2", got[0])
	}
}

// TestConcurrentReceivers pushes 2,000 messages through several receivers
// that delete within the visibility timeout: each must be delivered once.
func TestConcurrentReceivers(t *testing.T) {
	c, _ := newClient(t, New(Options{}))
	ctx := context.Background()
	url := createQueue(t, c, "concurrent", map[string]string{"VisibilityTimeout": "30"})
	const total, senders, receivers = 2000, 4, 8

	var seen sync.Map
	var received, dupes atomic.Int64
	done := make(chan struct{})
	var doneOnce sync.Once
	var wg sync.WaitGroup
	for range receivers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				var del []types.DeleteMessageBatchRequestEntry
				for i, m := range out.Messages {
					if _, dup := seen.LoadOrStore(*m.Body, true); dup {
						dupes.Add(1)
					}
					del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				res, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
				if err != nil || len(res.Failed) > 0 {
					t.Errorf("DeleteMessageBatch: %v %+v", err, res)
					return
				}
				if received.Add(int64(len(out.Messages))) >= total {
					doneOnce.Do(func() { close(done) })
					return
				}
			}
		})
	}
	var sendWG sync.WaitGroup
	for s := range senders {
		sendWG.Go(func() {
			for i := s * total / senders; i < (s+1)*total/senders; i += 10 {
				var entries []types.SendMessageBatchRequestEntry
				for j := i; j < i+10; j++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(fmt.Sprintf("msg-%05d", j))})
				}
				out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err != nil || len(out.Failed) > 0 {
					t.Errorf("SendMessageBatch: %v", err)
					return
				}
			}
		})
	}
	sendWG.Wait()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(time.Minute): // generous: a loaded machine is slow, not stuck
		t.Fatalf("timed out with %d of %d messages received", received.Load(), total)
	}
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	if n != total || dupes.Load() != 0 || received.Load() != total {
		t.Errorf("distinct %d, received %d, duplicates %d; want %d, %d, 0", n, received.Load(), dupes.Load(), total, total)
	}
	if got := counts(t, c, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts at the end = %v", got)
	}
}

// TestWireFormat checks the raw protocol details the SDK depends on, and
// what clients that are not the SDK see.
func TestWireFormat(t *testing.T) {
	srv := New(Options{})
	c, base := newClient(t, srv)
	post := func(target, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, body := post("AmazonSQS.GetQueueUrl", `{"QueueName":"nope"}`)
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("error response: %d %v", resp.StatusCode, resp.Header)
	}
	var e struct{ Type, Message string }
	if err := json.Unmarshal([]byte(strings.Replace(body, "__type", "type", 1)), &e); err != nil ||
		e.Type != "com.amazonaws.sqs#QueueDoesNotExist" || e.Message == "" {
		t.Errorf("error body: %s", body)
	}

	for _, target := range []string{"AmazonSQS.Frobnicate", ""} {
		if resp, body := post(target, `{}`); resp.StatusCode != 400 || !strings.Contains(body, "UnknownOperationException") {
			t.Errorf("target %q: %d %s", target, resp.StatusCode, body)
		}
	}
	if resp, body := post("AmazonSQS.CreateQueue", `{"QueueName":`); resp.StatusCode != 400 || !strings.Contains(body, "SerializationException") {
		t.Errorf("malformed JSON: %d %s", resp.StatusCode, body)
	}

	r, err := http.Get(base + "/")
	if err != nil || r.StatusCode != 200 {
		t.Errorf("readiness probe: %v %v", r, err)
	}

	// SetBaseURL changes the URLs handed out; they still resolve by path.
	srv.SetBaseURL("http://sqs.local:9324/")
	url := createQueue(t, c, "renamed", nil)
	if url != "http://sqs.local:9324/000000000000/renamed" {
		t.Fatalf("queue URL = %s", url)
	}
	if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
}
