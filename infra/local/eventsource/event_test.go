package eventsource

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// fixtureMessages is what ReceiveMessage returns for two messages, one with
// message attributes of every kind and an X-Ray trace header, one plain.
func fixtureMessages() []types.Message {
	return []types.Message{
		{
			MessageId:     aws.String("059f36b4-87a3-44ab-83d2-661975830a7d"),
			ReceiptHandle: aws.String("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a"),
			Body:          aws.String(`{"RunId":"r1","Key":"sales/2024/a.csv"}`),
			MD5OfBody:     aws.String("4ba6be3c89f85236569af8c23c36089c"),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    "1545082649183",
				"SenderId":                         "000000000000",
				"ApproximateFirstReceiveTimestamp": "1545082649185",
				"AWSTraceHeader":                   "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
			},
			MD5OfMessageAttributes: aws.String("582c92c5c5b6ac403040a4f3ab3115c9"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"runId":   {DataType: aws.String("String"), StringValue: aws.String("r1")},
				"attempt": {DataType: aws.String("Number"), StringValue: aws.String("2")},
				"digest":  {DataType: aws.String("Binary"), BinaryValue: []byte("1100")},
			},
		},
		{
			MessageId:     aws.String("2e1424d4-f796-459a-8184-9c92662be6da"),
			ReceiptHandle: aws.String("AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq"),
			Body:          aws.String("plain"),
			MD5OfBody:     aws.String("ac7938d40cfc2307e2bf325d28e7884e"),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "3",
				"SentTimestamp":                    "1545082650636",
				"SenderId":                         "000000000000",
				"ApproximateFirstReceiveTimestamp": "1545082650649",
			},
		},
	}
}

// TestBuildEventGolden pins the exact bytes of the event: the golden file
// is the payload the worker's fixtures under events/ can be checked against.
func TestBuildEventGolden(t *testing.T) {
	got, err := buildEvent(fixtureMessages(), "arn:aws:sqs:us-east-1:000000000000:s3connections-tasks", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden := filepath.Join("testdata", "sqs-event.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("event differs from %s (go test -run Golden -update rewrites it):\n%s", golden, pretty.Bytes())
	}
}

// TestBuildEventDecodes checks that aws-lambda-go's events.SQSEvent, which
// the worker uses, reads every field back.
func TestBuildEventDecodes(t *testing.T) {
	msgs := fixtureMessages()
	payload, err := buildEvent(msgs, "arn:aws:sqs:eu-west-1:123456789012:q", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 2 {
		t.Fatalf("got %d records, want 2", len(ev.Records))
	}
	r := ev.Records[0]
	want := events.SQSMessage{
		MessageId:              *msgs[0].MessageId,
		ReceiptHandle:          *msgs[0].ReceiptHandle,
		Body:                   *msgs[0].Body,
		Md5OfBody:              *msgs[0].MD5OfBody,
		Md5OfMessageAttributes: *msgs[0].MD5OfMessageAttributes,
		Attributes:             msgs[0].Attributes,
		MessageAttributes: map[string]events.SQSMessageAttribute{
			"runId":   {DataType: "String", StringValue: aws.String("r1"), StringListValues: []string{}, BinaryListValues: [][]byte{}},
			"attempt": {DataType: "Number", StringValue: aws.String("2"), StringListValues: []string{}, BinaryListValues: [][]byte{}},
			"digest":  {DataType: "Binary", BinaryValue: []byte("1100"), StringListValues: []string{}, BinaryListValues: [][]byte{}},
		},
		EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:q",
		EventSource:    "aws:sqs",
		AWSRegion:      "eu-west-1",
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("record 0:\n got %+v\nwant %+v", r, want)
	}
	if ev.Records[1].Md5OfMessageAttributes != "" || len(ev.Records[1].MessageAttributes) != 0 {
		t.Errorf("record 1 has message attributes: %+v", ev.Records[1])
	}
	// Without attributes the event carries {} and null, never absent keys.
	var raw struct {
		Records []map[string]json.RawMessage
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	if got := string(raw.Records[1]["messageAttributes"]); got != "{}" {
		t.Errorf("messageAttributes = %s, want {}", got)
	}
	if got := string(raw.Records[1]["md5OfMessageAttributes"]); got != "null" {
		t.Errorf("md5OfMessageAttributes = %s, want null", got)
	}
}

func TestFailedItems(t *testing.T) {
	ids := map[string]bool{"m1": true, "m2": true, "m3": true}
	testCases := []struct {
		name     string
		resp     string
		expected []string // ids to keep; nil with bad=false means all succeeded
		bad      bool     // whole batch failed
	}{
		{name: "empty response", resp: ""},
		{name: "null", resp: "null"},
		{name: "whitespace null", resp: " null\n"},
		{name: "empty object", resp: "{}"},
		{name: "null list", resp: `{"batchItemFailures":null}`},
		{name: "empty list", resp: `{"batchItemFailures":[]}`},
		{name: "other keys only", resp: `{"processed":3}`},
		{name: "one failure", resp: `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, expected: []string{"m2"}},
		{name: "two failures, one repeated", resp: `{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m3"},{"itemIdentifier":"m1"}]}`, expected: []string{"m1", "m3"}},
		{name: "all failed", resp: `{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}`, expected: []string{"m1", "m2", "m3"}},
		{name: "unknown id", resp: `{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"nope"}]}`, bad: true},
		{name: "receipt handle instead of id", resp: `{"batchItemFailures":[{"itemIdentifier":"AQEB..."}]}`, bad: true},
		{name: "empty id", resp: `{"batchItemFailures":[{"itemIdentifier":""}]}`, bad: true},
		{name: "null id", resp: `{"batchItemFailures":[{"itemIdentifier":null}]}`, bad: true},
		{name: "wrong key name", resp: `{"batchItemFailures":[{"messageId":"m1"}]}`, bad: true},
		{name: "null entry", resp: `{"batchItemFailures":[null]}`, bad: true},
		{name: "numeric id", resp: `{"batchItemFailures":[{"itemIdentifier":1}]}`, bad: true},
		{name: "list is not an array", resp: `{"batchItemFailures":"m1"}`, bad: true},
		{name: "not JSON", resp: `oops`, bad: true},
		{name: "truncated JSON", resp: `{"batchItemFailures":[{"itemIdentifier":"m1"}`, bad: true},
		{name: "a JSON string", resp: `"ok"`, bad: true},
		{name: "a JSON array", resp: `[{"itemIdentifier":"m1"}]`, bad: true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := failedItems([]byte(tc.resp), ids)
			if tc.bad {
				if !errors.Is(err, errBadResponse) {
					t.Fatalf("err = %v, want a whole-batch failure", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(tc.expected) {
				t.Fatalf("failed = %v, want %v", got, tc.expected)
			}
			for _, id := range tc.expected {
				if !got[id] {
					t.Errorf("failed = %v, want %v", got, tc.expected)
				}
			}
		})
	}
}

func TestWaitSeconds(t *testing.T) {
	testCases := []struct {
		in       string
		expected int32
	}{
		{"0s", 1}, {"100ms", 1}, {"1s", 1}, {"1500ms", 2}, {"20s", 20}, {"1m", 20},
	}
	for _, tc := range testCases {
		d, _ := time.ParseDuration(tc.in)
		if got := waitSeconds(d); got != tc.expected {
			t.Errorf("waitSeconds(%s) = %d, want %d", tc.in, got, tc.expected)
		}
	}
}
