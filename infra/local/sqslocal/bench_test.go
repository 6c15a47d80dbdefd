package sqslocal

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func benchEntries() []types.SendMessageBatchRequestEntry {
	body := strings.Repeat("x", 300) // about the size of an S3 event reference
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{
			Id:          aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"bucket": {DataType: aws.String("String"), StringValue: aws.String("raw-zone")},
			},
		}
	}
	return entries
}

// cycle sends one batch of 10, then receives and batch-deletes up to 10.
// It returns how many messages it deleted.
func cycle(b *testing.B, c *sqs.Client, url string, entries []types.SendMessageBatchRequestEntry) int {
	ctx := context.Background()
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
		b.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil {
		b.Fatal(err)
	}
	if len(out.Messages) == 0 {
		return 0
	}
	del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, m := range out.Messages {
		del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del}); err != nil {
		b.Fatal(err)
	}
	return len(out.Messages)
}

// BenchmarkSendReceiveDelete measures one client doing SendMessageBatch(10)
// + ReceiveMessage(10) + DeleteMessageBatch through the real SDK over HTTP.
func BenchmarkSendReceiveDelete(b *testing.B) {
	c, _ := newClient(b, New(Options{}))
	url := createQueue(b, c, "bench", nil)
	entries := benchEntries()
	done := 0
	for b.Loop() {
		done += cycle(b, c, url, entries)
	}
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendReceiveDeleteParallel runs the same cycle from GOMAXPROCS*4
// goroutines against one queue, as concurrent ingestion workers would.
func BenchmarkSendReceiveDeleteParallel(b *testing.B) {
	c, _ := newClient(b, New(Options{}))
	url := createQueue(b, c, "bench", nil)
	entries := benchEntries()
	var done atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			done.Add(int64(cycle(b, c, url, entries)))
		}
	})
	b.ReportMetric(float64(done.Load())/b.Elapsed().Seconds(), "msgs/s")
}
