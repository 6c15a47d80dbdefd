package tracing

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace/noop"
	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// An invocation's X-Ray trace header, as Lambda hands it to the runtime.
const (
	xrayRoot   = "1-5759e988-bd862e3fe1be46a994272793"
	xrayParent = "53995c3f42cd8ad8"
	xrayHeader = "Root=" + xrayRoot + ";Parent=" + xrayParent + ";Sampled=1"
)

// collectorStub is an OTLP/HTTP traces endpoint that keeps what it is sent.
type collectorStub struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collectorStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collector.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP traces export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	raw, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(raw)
}

// sqsEndpoint serves the local SQS stand-in and keeps the trace headers
// of the requests it got.
func sqsEndpoint(t *testing.T) (url string, headers func() []string) {
	srv := sqslocal.New(sqslocal.Options{})
	var mu sync.Mutex
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-Amzn-Trace-Id"))
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	return ts.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func sqsClient(cfg aws.Config, url string) *sqs.Client {
	cfg.Region, cfg.Credentials = "us-east-1", credentials.NewStaticCredentialsProvider("x", "x", "")
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
}

func lambdaContext() context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	return context.WithValue(ctx, "x-amzn-trace-id", xrayHeader) //nolint:staticcheck // the runtime's own key
}

// Without an endpoint, nothing is installed: the SDK configuration gets no
// middleware and the handler runs as it is.
func TestOffInstallsNothing(t *testing.T) {
	if _, err := Setup(context.Background(), "", "planner"); err != nil {
		t.Fatal(err)
	}
	var cfg aws.Config
	Instrument(&cfg)
	if len(cfg.APIOptions) != 0 || provider() != nil {
		t.Errorf("tracing off installed %d SDK middlewares, provider %v", len(cfg.APIOptions), provider())
	}
	url, headers := sqsEndpoint(t)
	h := Handler("planner", func(ctx context.Context, name string) (string, error) {
		_, err := sqsClient(cfg, url).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name})
		return name, err
	})
	if out, err := h(lambdaContext(), "tasks"); out != "tasks" || err != nil {
		t.Errorf("handler: %q, %v", out, err)
	}
	if hs := headers(); len(hs) != 1 || hs[0] != "" {
		t.Errorf("requests carried trace headers %q, want none", hs)
	}
}

// With an endpoint, one invocation is one trace: the invocation's span,
// under Lambda's segment (the trace header's root and parent), and under it
// a span per AWS call, which carries the trace on to the service; all
// exported by the time the handler returns.
func TestAnInvocationIsOneTraceExportedBeforeItReturns(t *testing.T) {
	stub := &collectorStub{}
	otlp := httptest.NewServer(stub)
	defer otlp.Close()
	shutdown, err := Setup(context.Background(), otlp.URL, "planner")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()); otel.SetTracerProvider(noop.NewTracerProvider()) })
	var cfg aws.Config
	Instrument(&cfg)
	url, headers := sqsEndpoint(t)
	client := sqsClient(cfg, url)
	h := Handler("planner", func(ctx context.Context, name string) (string, error) {
		q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name})
		if err != nil {
			return "", err
		}
		_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("{}")})
		return name, err
	}, func(name string) []attribute.KeyValue { return []attribute.KeyValue{attribute.String("queue", name)} })
	if _, err := h(lambdaContext(), "tasks"); err != nil {
		t.Fatal(err)
	}

	stub.mu.Lock()
	spans := map[string]*tracepb.Span{}
	for _, s := range stub.spans {
		spans[s.Name] = s
	}
	stub.mu.Unlock()
	inv, create, send := spans["planner"], spans["SQS.CreateQueue"], spans["SQS.SendMessage"]
	if inv == nil || create == nil || send == nil {
		t.Fatalf("exported spans %v, want planner, SQS.CreateQueue, SQS.SendMessage", keys(spans))
	}
	root := strings.ReplaceAll(strings.TrimPrefix(xrayRoot, "1-"), "-", "")
	for _, s := range []*tracepb.Span{inv, create, send} {
		if hex.EncodeToString(s.TraceId) != root {
			t.Errorf("span %s in trace %x, want the invocation's %s", s.Name, s.TraceId, root)
		}
	}
	if hex.EncodeToString(inv.ParentSpanId) != xrayParent || !hasAttr(inv, "faas.invocation_id", "req-1") || !hasAttr(inv, "queue", "tasks") {
		t.Errorf("invocation span: parent %x, attributes %v", inv.ParentSpanId, inv.Attributes)
	}
	for _, s := range []*tracepb.Span{create, send} {
		if string(s.ParentSpanId) != string(inv.SpanId) {
			t.Errorf("%s is not the invocation's child", s.Name)
		}
	}
	for _, hdr := range headers() {
		if !strings.Contains(hdr, "Root="+xrayRoot) {
			t.Errorf("a request to SQS carried trace header %q, want the invocation's trace", hdr)
		}
	}
}

func keys(m map[string]*tracepb.Span) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hasAttr(s *tracepb.Span, key, value string) bool {
	for _, a := range s.Attributes {
		if a.Key == key && a.Value.GetStringValue() == value {
			return true
		}
	}
	return false
}
