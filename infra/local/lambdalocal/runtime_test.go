package lambdalocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
)

// logBuffer is a concurrency-safe sink for the runtime's slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type harness struct {
	rt     *Runtime
	client *lambdasdk.Client
	url    string
	logs   *logBuffer
}

// newHarness serves a Runtime over httptest and returns the real SDK client
// pointed at it, configured as platform code configures it locally. The SDK's
// retries are off so throttles and 5xx reach the test as they are.
func newHarness(t *testing.T, opts Options, fns ...Function) *harness {
	t.Helper()
	logs := &logBuffer{}
	opts.Region, opts.AccountID = testRegion, testAccount
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.AsyncRetryDelay == 0 {
		opts.AsyncRetryDelay = 5 * time.Millisecond
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 2 * time.Second
	}
	rt := New(opts, fns...)
	srv := httptest.NewServer(rt)
	t.Cleanup(func() {
		srv.Close()
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("runtime logs:\n%s", logs.String())
		}
	})
	client := lambdasdk.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *lambdasdk.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	return &harness{rt: rt, client: client, url: srv.URL, logs: logs}
}

func (h *harness) invoke(t *testing.T, in *lambdasdk.InvokeInput) (*lambdasdk.InvokeOutput, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.client.Invoke(ctx, in)
}

// seen is what a handler observed about its invocation.
type seen struct {
	RequestID   string
	ARN         string
	HasDeadline bool
	Remaining   time.Duration
	Event       json.RawMessage
	Custom      map[string]string
}

// recorder returns a handler that reports what it saw on a channel and
// echoes it back as its output.
func recorder(ch chan<- seen) lambda.Handler {
	return NewHandler(func(ctx context.Context, ev json.RawMessage) (seen, error) {
		var s seen
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			s.RequestID, s.ARN, s.Custom = lc.AwsRequestID, lc.InvokedFunctionArn, lc.ClientContext.Custom
		}
		dl, ok := ctx.Deadline()
		s.HasDeadline, s.Remaining, s.Event = ok, time.Until(dl), ev
		if ch != nil {
			ch <- s
		}
		return s, nil
	})
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(3 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestRegisterRejectsBadFunctions(t *testing.T) {
	h := NewHandler(func() error { return nil })
	tests := []struct {
		name string
		fns  []Function
	}{
		{"empty name", []Function{{Name: "", Handler: h}}},
		{"invalid name", []Function{{Name: "a/b", Handler: h}}},
		{"nil handler", []Function{{Name: "api"}}},
		{"duplicate in call", []Function{{Name: "api", Handler: h}, {Name: "api", Handler: h}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := New(Options{})
			if err := rt.Register(tc.fns...); err == nil {
				t.Fatal("Register succeeded, want error")
			}
			if got := rt.Functions(); len(got) != 0 {
				t.Fatalf("partial registration: %v", got)
			}
		})
	}
	rt := New(Options{}, Function{Name: "api", Handler: h})
	if err := rt.Register(Function{Name: "api", Handler: h}); err == nil {
		t.Fatal("re-registering api succeeded, want error")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("New with an invalid function did not panic")
		}
	}()
	New(Options{}, Function{Name: "bad name", Handler: h})
}

func TestParseFunctionName(t *testing.T) {
	tests := []struct {
		in, name, qualifier string
		ok                  bool
	}{
		{"planner", "planner", "", true},
		{"planner:$LATEST", "planner", "$LATEST", true},
		{"planner:live", "planner", "live", true},
		{"123456789012:function:planner", "planner", "", true},
		{"123456789012:function:planner:7", "planner", "7", true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:planner", "planner", "", true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:planner:$LATEST", "planner", "$LATEST", true},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:planner", "planner", "", true},
		{"arn:aws:s3:::bucket", "", "", false},
		{"a:b:c:d:e", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		name, q, ok := parseFunctionName(tc.in)
		if ok != tc.ok || (ok && (name != tc.name || q != tc.qualifier)) {
			t.Errorf("parseFunctionName(%q) = %q, %q, %v; want %q, %q, %v", tc.in, name, q, ok, tc.name, tc.qualifier, tc.ok)
		}
	}
}

func TestInProcessInvoke(t *testing.T) {
	sentinel := errors.New("connection refused")
	release := make(chan struct{})
	rt := New(Options{Region: testRegion, AccountID: testAccount, Logger: slog.New(slog.DiscardHandler)},
		Function{Name: "echo", Handler: recorder(nil), Timeout: time.Second},
		Function{Name: "fail", Handler: NewHandler(func() error { return sentinel })},
		Function{Name: "slow", Handler: NewHandler(func() error { <-release; return nil })},
	)
	defer rt.Close()
	ctx := context.Background()

	out, err := rt.Invoke(ctx, "echo", []byte(`{"k":1}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var s seen
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.ARN != "arn:aws:lambda:eu-west-1:123456789012:function:echo" || s.RequestID == "" || !s.HasDeadline {
		t.Errorf("handler saw %+v", s)
	}
	if string(s.Event) != `{"k":1}` {
		t.Errorf("event = %s", s.Event)
	}

	_, err = rt.Invoke(ctx, "fail", nil)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "errorString" || fe.Message != "connection refused" || fe.Function != "fail" {
		t.Fatalf("err = %#v, want FunctionError errorString", err)
	}
	if !errors.Is(err, sentinel) {
		t.Error("FunctionError does not unwrap to the handler's error")
	}

	if _, err := rt.Invoke(ctx, "nope", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: err = %v", err)
	}
	if _, err := rt.Invoke(ctx, "echo", []byte(`{not json`)); !errors.Is(err, ErrInvalidRequestContent) {
		t.Errorf("invalid JSON: err = %v", err)
	}

	// A caller that stops waiting gets its context error; the handler is
	// not interrupted (it still holds its deadline-bound context).
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := rt.Invoke(cctx, "slow", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("abandoned invoke: err = %v", err)
	}
	close(release)
}

func TestInvokeAsyncInProcess(t *testing.T) {
	ch := make(chan seen, 1)
	rt := New(Options{Logger: slog.New(slog.DiscardHandler)}, Function{Name: "worker", Handler: recorder(ch)})
	buf := []byte(`{"job":1}`)
	id, err := rt.InvokeAsync("worker", buf)
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, `{"job":2}`) // the caller may reuse its buffer at once
	s := receive(t, ch, "async handler")
	if s.RequestID != id || string(s.Event) != `{"job":1}` {
		t.Errorf("handler saw request %s event %s; want %s {\"job\":1}", s.RequestID, s.Event, id)
	}
	if _, err := rt.InvokeAsync("nope", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: err = %v", err)
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.InvokeAsync("worker", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
}

func TestCloseWaitsForInFlightAsyncWork(t *testing.T) {
	started, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	rt := New(Options{Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 5 * time.Second},
		Function{Name: "worker", Handler: NewHandler(func() {
			close(started)
			<-release
			close(finished)
		})})
	if _, err := rt.InvokeAsync("worker", nil); err != nil {
		t.Fatal(err)
	}
	receive(t, started, "handler start")
	closed := make(chan error)
	go func() { closed <- rt.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an async invocation was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := receive(t, closed, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the handler finished")
	}
}

func TestCloseWaitsForPendingRetry(t *testing.T) {
	var mu sync.Mutex
	attempts := 0
	done := make(chan struct{})
	rt := New(Options{Logger: slog.New(slog.DiscardHandler), AsyncRetryDelay: 30 * time.Millisecond},
		Function{Name: "worker", Handler: NewHandler(func() error {
			mu.Lock()
			defer mu.Unlock()
			attempts++
			if attempts == 1 {
				return errors.New("transient")
			}
			close(done)
			return nil
		})})
	if _, err := rt.InvokeAsync("worker", nil); err != nil {
		t.Fatal(err)
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("Close returned before the pending retry ran")
	}
}

func TestCloseIsBounded(t *testing.T) {
	canceled := make(chan error, 1)
	rt := New(Options{Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 30 * time.Millisecond},
		Function{Name: "stuck", Timeout: time.Minute, Handler: NewHandler(func(ctx context.Context) {
			<-ctx.Done()
			canceled <- ctx.Err()
		})})
	if _, err := rt.InvokeAsync("stuck", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := rt.Close(); err == nil {
		t.Fatal("Close = nil, want an error for work still in flight")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %s, bound is 30ms", d)
	}
	if err := receive(t, canceled, "handler cancellation"); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx err = %v, want Canceled", err)
	}
	if err := rt.Close(); err == nil {
		t.Error("second Close should report the same error")
	}
}

func TestLogsNeverContainPayloads(t *testing.T) {
	h := newHarness(t, Options{},
		Function{Name: "echo", Handler: NewHandler(func(ev map[string]string) (map[string]string, error) {
			return map[string]string{"out": "s3cr3t-output"}, nil
		})},
		Function{Name: "fail", Handler: NewHandler(func(ev map[string]string) error {
			return errors.New("failed")
		})},
	)
	for _, fn := range []string{"echo", "fail"} {
		if _, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{"key":"s3cr3t-payload"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	logs := h.logs.String()
	for _, secret := range []string{"s3cr3t-payload", "s3cr3t-output"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"function=echo", "function=fail", "request_id=", "duration_ms=", "error_type=errorString"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, " duration=") {
		t.Errorf("logs hold an unlabelled duration, where request lines say duration_ms:\n%s", logs)
	}
}

func requestIDFrom(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// A killed invocation reports Runtime.ExitError at once, whatever its
// handler does next, and a killed asynchronous one is retried.
func TestKillEndsRunningInvocations(t *testing.T) {
	started := make(chan struct{}, 4)
	var mu sync.Mutex
	attempts := 0
	retried := make(chan struct{})
	rt := New(Options{Logger: slog.New(slog.DiscardHandler), AsyncRetryDelay: 10 * time.Millisecond},
		Function{Name: "planner", Timeout: time.Minute, Handler: NewHandler(func(ctx context.Context) (string, error) {
			mu.Lock()
			attempts++
			n := attempts
			mu.Unlock()
			if n == 3 {
				close(retried)
				return "ok", nil
			}
			started <- struct{}{}
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond) // a handler slow to notice must not answer
			return "answered after death", nil
		})})
	defer rt.Close()

	res := make(chan error, 1)
	go func() { _, err := rt.Invoke(context.Background(), "planner", nil); res <- err }()
	<-started
	if _, err := rt.InvokeAsync("planner", nil); err != nil {
		t.Fatal(err)
	}
	<-started
	if n := rt.Kill("planner"); n != 2 {
		t.Fatalf("killed %d invocations, want 2", n)
	}
	var fe *FunctionError
	if err := <-res; !errors.As(err, &fe) || fe.Type != ErrorTypeExit {
		t.Fatalf("killed invocation returned %v, want %s", err, ErrorTypeExit)
	}
	select {
	case <-retried:
	case <-time.After(5 * time.Second):
		t.Fatal("the killed asynchronous invocation was not retried")
	}
	if n := rt.Kill("nothing"); n != 0 {
		t.Errorf("killed %d invocations of an unknown function", n)
	}
}
