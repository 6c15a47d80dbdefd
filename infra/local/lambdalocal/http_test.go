package lambdalocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/uuid"
)

const echoARN = "arn:aws:lambda:eu-west-1:123456789012:function:echo"

func TestRequestResponse(t *testing.T) {
	ch := make(chan seen, 1)
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(ch), Timeout: 2 * time.Second})

	out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"hello":"world"}`)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	s := receive(t, ch, "handler")
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("status %d, function error %v, version %v", out.StatusCode, out.FunctionError, out.ExecutedVersion)
	}
	var got seen
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("payload %q: %v", out.Payload, err)
	}
	if string(got.Event) != `{"hello":"world"}` {
		t.Errorf("handler output event = %s", got.Event)
	}
	if _, err := uuid.Parse(s.RequestID); err != nil {
		t.Errorf("AwsRequestID %q is not a UUID", s.RequestID)
	}
	if reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); reqID != s.RequestID {
		t.Errorf("x-amzn-RequestId %q != AwsRequestID %q", reqID, s.RequestID)
	}
	if s.ARN != echoARN {
		t.Errorf("InvokedFunctionArn = %q, want %q", s.ARN, echoARN)
	}
	if !s.HasDeadline || s.Remaining <= 0 || s.Remaining > 2*time.Second {
		t.Errorf("deadline: has=%v remaining=%s, want within the 2s timeout", s.HasDeadline, s.Remaining)
	}
}

func TestFunctionNamesAndQualifiers(t *testing.T) {
	ch := make(chan seen, 1)
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(ch)})
	tests := []struct {
		name, functionName string
		qualifier          *string
		wantARN            string
	}{
		{"name", "echo", nil, echoARN},
		{"full ARN", echoARN, nil, echoARN},
		{"partial ARN", "123456789012:function:echo", nil, echoARN},
		{"ARN of another account and region", "arn:aws:lambda:us-east-1:999999999999:function:echo", nil, echoARN},
		{"name with $LATEST", "echo:$LATEST", nil, echoARN + ":$LATEST"},
		{"ARN with alias", echoARN + ":live", nil, echoARN + ":live"},
		{"Qualifier parameter", "echo", aws.String("$LATEST"), echoARN + ":$LATEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String(tc.functionName), Qualifier: tc.qualifier})
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if out.FunctionError != nil {
				t.Fatalf("function error: %s", out.Payload)
			}
			if s := receive(t, ch, "handler"); s.ARN != tc.wantARN {
				t.Errorf("InvokedFunctionArn = %q, want %q", s.ARN, tc.wantARN)
			}
		})
	}
}

func TestUnknownFunctionIsTypedResourceNotFound(t *testing.T) {
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(nil)})
	for _, name := range []string{"missing", "arn:aws:lambda:eu-west-1:123456789012:function:missing", "123456789012:function:missing:$LATEST"} {
		for _, typ := range []types.InvocationType{types.InvocationTypeRequestResponse, types.InvocationTypeEvent, types.InvocationTypeDryRun} {
			_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String(name), InvocationType: typ})
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				t.Fatalf("%s %s: err = %v (%T), want *types.ResourceNotFoundException", typ, name, err, err)
			}
			if !strings.Contains(nf.ErrorMessage(), "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:missing") {
				t.Errorf("message = %q", nf.ErrorMessage())
			}
		}
	}
}

type quotaError struct{ bucket string }

func (e *quotaError) Error() string { return "quota exceeded for " + e.bucket }

func TestFunctionErrors(t *testing.T) {
	tests := []struct {
		name      string
		handler   any
		timeout   time.Duration
		wantType  string
		wantMsg   string
		wantStack bool
	}{
		{"returned error", func() error { return errors.New("boom") }, 0, "errorString", "boom", false},
		{"typed error", func() error { return &quotaError{"raw"} }, 0, "quotaError", "quota exceeded for raw", false},
		{"wrapped error", func() error { return fmt.Errorf("plan: %w", errors.New("x")) }, 0, "wrapError", "plan: x", false},
		{"InvokeResponse_Error passes through", func() error {
			return messages.InvokeResponse_Error{Type: "Planner.NoConnection", Message: "connection c-1 not found"}
		}, 0, "Planner.NoConnection", "connection c-1 not found", false},
		// Only an unwrapped InvokeResponse_Error value passes through, as in aws-lambda-go.
		{"InvokeResponse_Error wrapped", func() error {
			return fmt.Errorf("plan: %w", messages.InvokeResponse_Error{Type: "Planner.NoConnection", Message: "connection c-1 not found"})
		}, 0, "wrapError", "plan: messages.InvokeResponse_Error{", false},
		{"InvokeResponse_Error pointer", func() error {
			return &messages.InvokeResponse_Error{Type: "Planner.NoConnection", Message: "connection c-1 not found"}
		}, 0, "InvokeResponse_Error", "messages.InvokeResponse_Error{", false},
		{"panic with InvokeResponse_Error passes through", func() {
			panic(messages.InvokeResponse_Error{Type: "Planner.NoConnection", Message: "connection c-1 not found"})
		}, 0, "Planner.NoConnection", "connection c-1 not found", false},
		{"panic with string", func() { panic("kaboom") }, 0, "string", "kaboom", true},
		{"panic with error", func() { panic(errors.New("nil map")) }, 0, "errorString", "nil map", true},
		{"runtime panic", func() { var m map[string]int; m["x"] = 1 }, 0, "plainError", "assignment to entry in nil map", true},
		{"bad event JSON for handler type", func(n int) error { return nil }, 0, "UnmarshalTypeError", "", false},
		{"timeout", func(ctx context.Context) error { <-ctx.Done(); time.Sleep(10 * time.Millisecond); return nil },
			40 * time.Millisecond, ErrorTypeTimeout, "Task timed out after 0.04 seconds", false},
	}
	var fns []Function
	for i, tc := range tests {
		fns = append(fns, Function{Name: fmt.Sprintf("fn%d", i), Handler: NewHandler(tc.handler), Timeout: tc.timeout})
	}
	fns = append(fns, Function{Name: "echo", Handler: recorder(nil)})
	h := newHarness(t, Options{}, fns...)

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String(fmt.Sprintf("fn%d", i)), Payload: []byte(`{"a":1}`)})
			if err != nil {
				t.Fatalf("Invoke returned an API error for a function error: %v", err)
			}
			if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" {
				t.Fatalf("status %d, FunctionError %v; want 200 Unhandled", out.StatusCode, out.FunctionError)
			}
			var body messages.InvokeResponse_Error
			if err := json.Unmarshal(out.Payload, &body); err != nil {
				t.Fatalf("payload %q: %v", out.Payload, err)
			}
			if body.Type != tc.wantType || !strings.Contains(body.Message, tc.wantMsg) {
				t.Errorf("errorType %q errorMessage %q; want %q containing %q", body.Type, body.Message, tc.wantType, tc.wantMsg)
			}
			if got := len(body.StackTrace) > 0; got != tc.wantStack {
				t.Errorf("stackTrace present = %v, want %v (%s)", got, tc.wantStack, out.Payload)
			}
		})
	}

	// A panic must not take the server down: the next call still works.
	out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo")})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("after panics: err %v, function error %v", err, out.FunctionError)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "stack=") {
		t.Errorf("panic not logged at error level with its stack:\n%s", logs)
	}
}

func TestPanicStackPointsAtHandler(t *testing.T) {
	h := newHarness(t, Options{}, Function{Name: "p", Handler: NewHandler(func() { panic("here") })})
	out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	var body messages.InvokeResponse_Error
	if err := json.Unmarshal(out.Payload, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.StackTrace) == 0 || !strings.HasSuffix(body.StackTrace[0].Path, "http_test.go") {
		t.Errorf("top frame should be the panicking handler in http_test.go, got %s", out.Payload)
	}
	for _, f := range body.StackTrace {
		if strings.Contains(f.Path, "/lambdalocal/") && !strings.HasSuffix(f.Path, "_test.go") {
			t.Errorf("stack goes on into the local runtime (%s:%d %s): %s", f.Path, f.Line, f.Label, out.Payload)
		}
	}
}

func TestEventInvocationRunsAsynchronously(t *testing.T) {
	ch := make(chan seen, 1)
	h := newHarness(t, Options{}, Function{Name: "planner", Handler: recorder(ch)})
	out, err := h.invoke(t, &lambdasdk.InvokeInput{
		FunctionName:   aws.String("planner"),
		InvocationType: types.InvocationTypeEvent,
		Payload:        []byte(`{"run":"r-1"}`),
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 || out.FunctionError != nil {
		t.Errorf("status %d payload %q function error %v; want 202, empty", out.StatusCode, out.Payload, out.FunctionError)
	}
	s := receive(t, ch, "async handler")
	if string(s.Event) != `{"run":"r-1"}` || !s.HasDeadline {
		t.Errorf("handler saw %+v", s)
	}
	if reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); reqID != s.RequestID {
		t.Errorf("202 request id %q != handler's AwsRequestID %q", reqID, s.RequestID)
	}
}

func TestAsyncRetries(t *testing.T) {
	const delay = 20 * time.Millisecond
	type call struct {
		id string
		at time.Time
	}
	tests := []struct {
		name         string
		failAttempts int // attempts that fail before one succeeds
		wantAttempts int
	}{
		{"always failing: two retries", 100, 3},
		{"panicking counts as failing", -1, 3},
		{"succeeds on first retry", 1, 2},
		{"succeeds at once", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := make(chan call, 10)
			var mu sync.Mutex
			n := 0
			handler := NewHandler(func(ctx context.Context) error {
				lc := requestIDFrom(ctx)
				calls <- call{lc, time.Now()}
				mu.Lock()
				defer mu.Unlock()
				n++
				if tc.failAttempts < 0 {
					panic("always")
				}
				if n <= tc.failAttempts {
					return errors.New("transient")
				}
				return nil
			})
			h := newHarness(t, Options{AsyncRetryDelay: delay}, Function{Name: "planner", Handler: handler})
			start := time.Now()
			if _, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("planner"), InvocationType: types.InvocationTypeEvent}); err != nil {
				t.Fatal(err)
			}
			var got []call
			for range tc.wantAttempts {
				got = append(got, receive(t, calls, "attempt"))
			}
			select { // no further attempt beyond Lambda's two retries
			case c := <-calls:
				t.Fatalf("unexpected attempt %d at %s", len(got)+1, c.at.Sub(start))
			case <-time.After(6 * delay):
			}
			for i, c := range got {
				if c.id != got[0].id {
					t.Errorf("attempt %d request id %s, want the first attempt's %s", i+1, c.id, got[0].id)
				}
				if i > 0 { // backoff doubles: delay, then 2*delay
					if gap, want := c.at.Sub(got[i-1].at), delay<<(i-1); gap < want {
						t.Errorf("attempt %d came %s after the previous one, want >= %s", i+1, gap, want)
					}
				}
			}
			if tc.wantAttempts == 3 && !strings.Contains(h.logs.String(), "no retries left") {
				t.Errorf("final failure not logged:\n%s", h.logs.String())
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	called := make(chan seen, 1)
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(called)})
	out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 204 {
		t.Errorf("status %d, want 204", out.StatusCode)
	}
	select {
	case <-called:
		t.Error("DryRun ran the handler")
	case <-time.After(20 * time.Millisecond):
	}
}

func TestPayloadRules(t *testing.T) {
	ch := make(chan seen, 4)
	big := func(n int) []byte { // a JSON string of exactly n bytes
		return []byte(`"` + strings.Repeat("a", n-2) + `"`)
	}
	h := newHarness(t, Options{},
		Function{Name: "echo", Handler: recorder(ch)},
		Function{Name: "huge", Handler: NewHandler(func() (string, error) { return strings.Repeat("x", MaxSyncPayload), nil })},
	)
	tests := []struct {
		name    string
		fn      string
		typ     types.InvocationType
		payload []byte
		wantErr any // pointer to the expected SDK error type, or nil
	}{
		{"sync at the 6 MB quota", "echo", types.InvocationTypeRequestResponse, big(MaxSyncPayload), nil},
		{"sync over the 6 MB quota", "echo", types.InvocationTypeRequestResponse, big(MaxSyncPayload + 1), new(*types.RequestTooLargeException)},
		{"async at the 1 MB quota", "echo", types.InvocationTypeEvent, big(MaxAsyncPayload), nil},
		{"async over the 1 MB quota", "echo", types.InvocationTypeEvent, big(MaxAsyncPayload + 1), new(*types.RequestTooLargeException)},
		{"invalid JSON sync", "echo", types.InvocationTypeRequestResponse, []byte(`{"a":`), new(*types.InvalidRequestContentException)},
		{"invalid JSON async", "echo", types.InvocationTypeEvent, []byte(`hello`), new(*types.InvalidRequestContentException)},
		{"empty payload becomes {}", "echo", types.InvocationTypeRequestResponse, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String(tc.fn), InvocationType: tc.typ, Payload: tc.payload})
			switch target := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				s := receive(t, ch, "handler")
				if tc.payload == nil && string(s.Event) != "{}" {
					t.Errorf("empty payload arrived as %q", s.Event)
				}
			case **types.RequestTooLargeException:
				if !errors.As(err, target) {
					t.Fatalf("err = %v (%T), want RequestTooLargeException", err, err)
				}
			case **types.InvalidRequestContentException:
				if !errors.As(err, target) {
					t.Fatalf("err = %v (%T), want InvalidRequestContentException", err, err)
				}
			}
		})
	}

	t.Run("response over 6 MB", func(t *testing.T) {
		out, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("huge")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), ErrorTypeResponseTooLarge) {
			t.Errorf("FunctionError %v payload %.200s", out.FunctionError, out.Payload)
		}
	})
}

func TestConcurrencyLimit(t *testing.T) {
	started, release := make(chan struct{}, 4), make(chan struct{})
	var mu sync.Mutex
	running, peak := 0, 0
	block := NewHandler(func() {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		started <- struct{}{}
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	})
	h := newHarness(t, Options{MaxConcurrency: 1}, Function{Name: "worker", Handler: block, Timeout: 5 * time.Second})

	firstDone := make(chan error, 1)
	go func() {
		_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("worker")})
		firstDone <- err
	}()
	receive(t, started, "first invocation")

	// Sync beyond the limit is throttled, as reserved concurrency does.
	_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("worker")})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Fatalf("err = %v (%T), want TooManyRequestsException", err, err)
	}
	if tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("Reason = %q", tm.Reason)
	}
	// Async beyond the limit waits for a slot instead.
	if _, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatalf("async: %v", err)
	}
	select {
	case <-started:
		t.Fatal("async invocation ran beyond the concurrency limit")
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	if err := receive(t, firstDone, "first invocation result"); err != nil {
		t.Fatal(err)
	}
	receive(t, started, "queued async invocation")
	if peak != 1 {
		t.Errorf("peak concurrency %d, want 1", peak)
	}
}

func TestClientContextAndTenant(t *testing.T) {
	ch := make(chan seen, 1)
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(ch)})
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"caller":"api"}}`))
	if _, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), ClientContext: aws.String(cc)}); err != nil {
		t.Fatal(err)
	}
	if s := receive(t, ch, "handler"); s.Custom["caller"] != "api" {
		t.Errorf("client context custom = %v", s.Custom)
	}
	_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), ClientContext: aws.String("not base64!")})
	var ic *types.InvalidRequestContentException
	if !errors.As(err, &ic) {
		t.Errorf("bad client context: err = %v", err)
	}
}

func TestHTTPAfterClose(t *testing.T) {
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(nil)})
	if err := h.rt.Close(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []types.InvocationType{types.InvocationTypeEvent, types.InvocationTypeRequestResponse} {
		_, err := h.invoke(t, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: typ})
		var se *types.ServiceException
		if !errors.As(err, &se) {
			t.Errorf("%s after Close: err = %v (%T), want ServiceException", typ, err, err)
		}
	}
}

func TestOtherRoutes(t *testing.T) {
	h := newHarness(t, Options{}, Function{Name: "echo", Handler: recorder(nil)})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/2015-03-31/functions/echo", http.StatusNotFound},
		{http.MethodGet, "/2015-03-31/functions/echo/invocations", http.StatusMethodNotAllowed},
		{http.MethodPost, "/2015-03-31/functions//invocations", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusNotFound},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, h.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || resp.Header.Get("X-Amzn-Errortype") == "" {
			t.Errorf("%s %s: %d %q, want %d with an error type", tc.method, tc.path, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), tc.want)
		}
	}
	// Invalid invocation type is a client error, not a crash.
	req, _ := http.NewRequest(http.MethodPost, h.url+"/2015-03-31/functions/echo/invocations", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Invocation-Type", "Sometimes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad invocation type: %d", resp.StatusCode)
	}
}
