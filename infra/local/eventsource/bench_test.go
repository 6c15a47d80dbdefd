package eventsource

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
)

// benchDrain puts b.N messages on a fresh queue, then times the mapping
// draining it through invoke; ns/op is per message.
func benchDrain(b *testing.B, invoke func(context.Context, []byte) ([]byte, error)) {
	e := newEnv(b)
	url := e.queue(b, "tasks", nil)
	e.send(b, url, bodies(`{"RunId":"r1","Key":"sales/2024/part-`, b.N)...)
	b.ResetTimer()
	p := Start(context.Background(), Options{QueueURL: url, SQS: e.c, Invoke: invoke, Logger: slog.New(slog.DiscardHandler)})
	for p.Stats().Succeeded < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	p.Stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(p.Stats().Invocations), "invocations")
}

// BenchmarkDrainNoop measures the mapping itself: receive, event JSON,
// a no-op Go func, DeleteMessageBatch, over HTTP to sqslocal.
func BenchmarkDrainNoop(b *testing.B) {
	benchDrain(b, func(context.Context, []byte) ([]byte, error) { return nil, nil })
}

// BenchmarkDrainLambdaLocal adds the local Lambda runtime and aws-lambda-go's
// decoding of the event, as the local platform runs the worker.
func BenchmarkDrainLambdaLocal(b *testing.B) {
	noop := func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	rt := lambdalocal.New(lambdalocal.Options{Logger: slog.New(slog.DiscardHandler)},
		lambdalocal.Function{Name: "s3connections-worker", Handler: lambdalocal.NewHandler(noop)})
	b.Cleanup(func() { _ = rt.Close() })
	benchDrain(b, func(ctx context.Context, payload []byte) ([]byte, error) {
		return rt.Invoke(ctx, "s3connections-worker", payload)
	})
}
