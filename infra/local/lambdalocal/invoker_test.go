package lambdalocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
)

type plainHandler struct{}

func (plainHandler) Invoke(_ context.Context, p []byte) ([]byte, error) { return p, nil }

// A lambda.NewHandler value is refused, whichever way it was built; a
// NewHandler value or any other lambda.Handler is taken. This also checks
// the public behaviour isNewHandlerValue relies on.
func TestRegisterRefusesLambdaNewHandlerValues(t *testing.T) {
	fn := func() error { return nil }
	for name, h := range map[string]lambda.Handler{
		"lambda.NewHandler":            lambda.NewHandler(fn),
		"lambda.NewHandlerWithOptions": lambda.NewHandlerWithOptions(fn, lambda.WithSetEscapeHTML(true)),
		"lambda.NewHandler(Handler)":   lambda.NewHandler(plainHandler{}),
	} {
		rt := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err := rt.Register(Function{Name: "f", Handler: h}); !errors.Is(err, errSharedHandler) {
			t.Errorf("Register(%s) = %v, want %v", name, err, errSharedHandler)
		}
		if len(rt.Functions()) != 0 {
			t.Errorf("Register(%s) added a function", name)
		}
	}
	for name, h := range map[string]lambda.Handler{
		"NewHandler":    NewHandler(fn),
		"plainHandler":  plainHandler{},
		"*plainHandler": &plainHandler{},
	} {
		rt := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err := rt.Register(Function{Name: "f", Handler: h}); err != nil {
			t.Errorf("Register(%s) = %v", name, err)
		}
	}
	rt := New(Options{Logger: slog.New(slog.DiscardHandler)}, Function{Name: "f", Handler: NewHandler(fn)})
	if err := rt.Replace(Function{Name: "f", Handler: lambda.NewHandler(fn)}); !errors.Is(err, errSharedHandler) {
		t.Errorf("Replace with a lambda.NewHandler value = %v, want %v", err, errSharedHandler)
	}
}

// aws-lambda-go's Handler.Invoke hands out a buffer that its next call
// reuses; responses the runtime returns must not change afterwards.
func TestResponsesAreNotOverwrittenByLaterCalls(t *testing.T) {
	echo := NewHandler(func(s string) (string, error) { return s, nil })
	first, err := echo.Invoke(context.Background(), []byte(`"AAAA"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := echo.Invoke(context.Background(), []byte(`"BBBB"`)); err != nil {
		t.Fatal(err)
	}
	if string(first) != `"AAAA"` {
		t.Fatalf("first response became %s after a second call", first)
	}

	invoke, err := newInvoker(plainHandler{})
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`"x"`)
	out, _ := invoke(context.Background(), in)
	if in[0] = 'y'; string(out) != `"x"` {
		t.Error("plain handler's response not copied")
	}
}

// NewHandler relies on a lambda.NewHandler value's response staying intact
// until that same value is called again, whatever other values do in the
// meantime (in aws-lambda-go v1.55.1 each value has its own buffer pool).
// Should a release share response buffers between values, this fails.
func TestLambdaNewHandlerValuesDoNotShareResponses(t *testing.T) {
	echo := func(s string) (string, error) { return s, nil }
	a, b := lambda.NewHandler(echo), lambda.NewHandler(echo)
	out, err := a.Invoke(context.Background(), []byte(`"AAAA"`))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := b.Invoke(context.Background(), []byte(`"BBBB"`)); err != nil {
			t.Fatal(err)
		}
	}
	if string(out) != `"AAAA"` {
		t.Fatalf("one lambda.NewHandler value's response became %s after calls of another: NewHandler must not reuse handler values while a response is copied out", out)
	}
}

// NewHandler behaves as lambda.NewHandlerWithOptions: options apply, an
// invalid handler function reports why on every call, errors come back
// unchanged, and a panic reaches the caller (the runtime recovers it)
// without spoiling later calls.
func TestNewHandlerIsLambdaNewHandler(t *testing.T) {
	ctx := context.Background()
	html := NewHandler(func() (string, error) { return "<&>", nil }, lambda.WithSetEscapeHTML(true))
	if out, err := html.Invoke(ctx, []byte(`{}`)); err != nil || string(out) != `"\u003c\u0026\u003e"` {
		t.Errorf("WithSetEscapeHTML: %s, %v", out, err)
	}
	bad := NewHandler(func(a, b, c int) {})
	_, errNew := bad.Invoke(ctx, []byte(`{}`))
	_, errLambda := lambda.NewHandler(func(a, b, c int) {}).Invoke(ctx, []byte(`{}`))
	if errNew == nil || errLambda == nil || errNew.Error() != errLambda.Error() {
		t.Errorf("invalid handler: %v, lambda.NewHandler's %v", errNew, errLambda)
	}
	sentinel := errors.New("boom")
	if _, err := NewHandler(func() error { return sentinel }).Invoke(ctx, nil); err != sentinel {
		t.Errorf("error = %v, want the handler's own", err)
	}
	calls := 0
	flaky := NewHandler(func() (int, error) {
		if calls++; calls == 1 {
			panic("first call")
		}
		return calls, nil
	})
	func() {
		defer func() {
			if v := recover(); v != "first call" {
				t.Errorf("recovered %v, want the handler's panic", v)
			}
		}()
		_, _ = flaky.Invoke(ctx, nil)
	}()
	if out, err := flaky.Invoke(ctx, nil); err != nil || string(out) != "2" {
		t.Errorf("after a panic: %s, %v", out, err)
	}
}

// Many concurrent invocations of one function must each get their own
// response; calling one lambda.NewHandler value's Invoke concurrently
// mixes them up (aws/aws-lambda-go#639).
func TestConcurrentInvocationsKeepTheirResponses(t *testing.T) {
	rt := New(Options{Logger: slog.New(slog.DiscardHandler)},
		Function{Name: "echo", Handler: NewHandler(func(s string) (string, error) { return s, nil })})
	defer rt.Close()
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			s := fmt.Sprintf("payload-%04d", i)
			want := fmt.Sprintf("%q", s)
			out, err := rt.Invoke(context.Background(), "echo", []byte(fmt.Sprintf("%q", s)))
			if err != nil || string(out) != want {
				t.Errorf("invocation %d: got %s, %v; want %s", i, out, err, want)
			}
		})
	}
	wg.Wait()
}
