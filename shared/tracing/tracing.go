// Package tracing is the functions' OpenTelemetry tracing, on AWS only
// when configured: with an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, the
// ADOT collector layer's, which forwards to X-Ray), Setup installs a tracer
// provider with X-Ray trace ids and propagation, Instrument adds otelaws's
// middleware to the SDK clients (a span per AWS call, the trace header on
// each request) and Handler makes each invocation a span under Lambda's own
// segment. Without an endpoint nothing is installed: the SDK clients have
// no extra middleware and Handler calls the handler as it is, so local runs
// and tests pay nothing.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the spans this package starts.
const ScopeName = "github.com/datalake-platform/s3connections/shared/tracing"

// FlushTimeout bounds the export at the end of an invocation: Lambda
// freezes the environment once the handler returns, so spans are sent
// before, and a collector that does not answer costs at most this.
const FlushTimeout = 2 * time.Second

// Setup installs the tracer provider that exports to endpoint (an OTLP/HTTP
// base URL such as http://localhost:4318) as service; with no endpoint it
// installs nothing. The returned function flushes and stops the provider.
func Setup(ctx context.Context, endpoint, service string) (shutdown func(context.Context) error, err error) {
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimRight(endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter to %s: %w", endpoint, err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithIDGenerator(xray.NewIDGenerator()), // X-Ray takes only its own trace ids
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service), attribute.String("cloud.provider", "aws"))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(xray.Propagator{})
	return tp.Shutdown, nil
}

// provider is the installed SDK provider, or nil when tracing is off.
func provider() *sdktrace.TracerProvider {
	tp, _ := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return tp
}

// Instrument adds a span per AWS call to every client built from cfg (and
// from copies of it, such as source sessions), when tracing is on.
func Instrument(cfg *aws.Config) {
	if tp := provider(); tp != nil {
		otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp), otelaws.WithTextMapPropagator(xray.Propagator{}))
	}
}

// Handler makes each invocation of h a span named name, the child of the
// invocation's X-Ray segment (the trace header Lambda hands the runtime),
// with the request id and the attributes attrs takes from the event; the
// spans are exported before it returns. With tracing off it is h itself.
func Handler[In, Out any](name string, h func(context.Context, In) (Out, error), attrs ...func(In) []attribute.KeyValue) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		tp := provider()
		if tp == nil {
			return h(ctx, in)
		}
		ctx = xray.Propagator{}.Extract(ctx, propagation.MapCarrier{"X-Amzn-Trace-Id": traceHeader(ctx)})
		kv := []attribute.KeyValue{attribute.String("faas.name", name)}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			kv = append(kv, attribute.String("faas.invocation_id", lc.AwsRequestID))
		}
		for _, a := range attrs {
			kv = append(kv, a(in)...)
		}
		ctx, span := tp.Tracer(ScopeName).Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(kv...))
		out, err := h(ctx, in)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		flush(ctx, tp)
		return out, err
	}
}

// traceHeader is the invocation's X-Ray trace header: the runtime puts it
// in the context (and in _X_AMZN_TRACE_ID).
func traceHeader(ctx context.Context) string {
	if h, ok := ctx.Value("x-amzn-trace-id").(string); ok && h != "" {
		return h
	}
	return os.Getenv("_X_AMZN_TRACE_ID")
}

// flush exports the invocation's spans; a failure is logged, never the
// invocation's.
func flush(ctx context.Context, tp *sdktrace.TracerProvider) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
	defer cancel()
	if err := tp.ForceFlush(ctx); err != nil {
		slog.WarnContext(ctx, "export traces", "error", err)
	}
}
