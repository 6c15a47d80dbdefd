package app

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/tracing"
	"go.opentelemetry.io/otel/attribute"
)

// The functions' handlers as the Lambda mains start them: each invocation
// a span (tracing.Handler, which is the handler itself while tracing is
// off), saying what the event was about, so that a run's traces can be
// found by its run id.

// TracedAPI is the API's handler; its span names the route.
func TracedAPI(a *httpapi.API) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return tracing.Handler("api", a.Handle, func(ev events.APIGatewayV2HTTPRequest) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("http.route", ev.RouteKey)}
	})
}

// TracedPlanner is the planner's handler; its span names the action, the
// schedule and the run.
func TracedPlanner(p *ingest.Planner) func(context.Context, ingest.PlannerEvent) (json.RawMessage, error) {
	return tracing.Handler("planner", p.Handle, func(ev ingest.PlannerEvent) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("s3connections.action", ev.Action),
			attribute.String("s3connections.schedule_id", ev.ScheduleId), attribute.String("s3connections.run_id", ev.RunId)}
	})
}

// TracedWorker is the worker's handler; its span counts the tasks.
func TracedWorker(w *ingest.Worker) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return tracing.Handler("worker", w.Handle, func(ev events.SQSEvent) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.Int("messaging.batch.message_count", len(ev.Records))}
	})
}
