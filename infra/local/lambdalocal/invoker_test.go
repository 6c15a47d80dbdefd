package lambdalocal

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
)

type plainHandler struct{}

func (plainHandler) Invoke(_ context.Context, p []byte) ([]byte, error) { return p, nil }

func TestNewInvokerPicksTheUnpooledPath(t *testing.T) {
	if _, ok := awsLambdaGoRaw(lambda.NewHandler(func() error { return nil })); !ok {
		t.Fatal("aws-lambda-go's handler internals changed: invocations of one function are now serialized; revisit invoker.go")
	}
	if _, serialized := newInvoker(lambda.NewHandler(func() error { return nil })); serialized {
		t.Error("NewHandler handler serialized")
	}
	invoke, serialized := newInvoker(plainHandler{})
	if serialized {
		t.Error("plain handler serialized")
	}
	in := []byte(`"x"`)
	out, _ := invoke(context.Background(), in)
	if in[0] = 'y'; string(out) != `"x"` {
		t.Error("plain handler's response not copied")
	}
}

// aws-lambda-go's Handler.Invoke hands out a buffer that its next call
// reuses; responses the runtime returns must not change afterwards.
func TestResponsesAreNotOverwrittenByLaterCalls(t *testing.T) {
	echo := lambda.NewHandler(func(s string) (string, error) { return s, nil })
	invoke, _ := newInvoker(echo)
	first, err := invoke(context.Background(), []byte(`"AAAA"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := invoke(context.Background(), []byte(`"BBBB"`)); err != nil {
		t.Fatal(err)
	}
	if string(first) != `"AAAA"` {
		t.Fatalf("first response became %s after a second call", first)
	}
}

// Many concurrent invocations of one aws-lambda-go handler must each get
// their own response; calling Handler.Invoke directly mixes them up
// (aws/aws-lambda-go#639).
func TestConcurrentInvocationsKeepTheirResponses(t *testing.T) {
	rt := New(Options{Logger: slog.New(slog.DiscardHandler)},
		Function{Name: "echo", Handler: lambda.NewHandler(func(s string) (string, error) { return s, nil })})
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
