package lambdalocal

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// NewHandler returns the lambda.Handler to register for a function whose
// main calls lambda.Start(handlerFunc) or
// lambda.StartWithOptions(handlerFunc, options...): it runs handlerFunc
// exactly as lambda.NewHandlerWithOptions(handlerFunc, options...) does
// (the same decoding of the event, encoding of the result and validation
// of the function's signature), and any number of invocations may call it
// at once, each getting a response of its own.
//
// Why the handler lambda.NewHandler returns is not enough: its Invoke
// hands back a slice of a response buffer that it has already put back
// into the handler's pool for the next invocation to reuse (aws-lambda-go
// v1.55.1, aws/aws-lambda-go#639). The Go runtime's invoke loop never calls
// Invoke (it sends the buffer, then recycles it), and on AWS an execution
// environment runs one invocation at a time anyway; but here concurrent
// invocations of a function would share the value, and another
// invocation's response could overwrite ours before it is copied.
//
// So NewHandler keeps a set of lambda.NewHandlerWithOptions values, like
// Lambda's warm execution environments: each invocation takes one, runs
// it, copies its response out and only then hands it back; a handler that
// panics is dropped, as the Go runtime's process exits after a panic. That
// relies only on a value's response staying intact until that value is
// called again, which its sequential callers (the go1.x runtime's RPC mode,
// lambda.Function) rely on too; TestLambdaNewHandlerValuesDoNotShareResponses
// fails on a release that breaks it. Handler values are cheap to build
// and hold no state of the function (its clients, caches and globals are in
// handlerFunc's closure).
//
// lambda.Options that only the Go runtime's invoke loop acts on
// (WithContext, WithContextValue) have no effect here; WithEnableSIGTERM
// would register its callbacks once per handler value, so leave it to the
// function's main.
func NewHandler(handlerFunc any, options ...lambda.Option) lambda.Handler {
	h := &handler{}
	h.idle.New = func() any { return lambda.NewHandlerWithOptions(handlerFunc, options...) }
	return h
}

// handler is what NewHandler returns.
type handler struct {
	idle sync.Pool // of lambda.Handler, each one in use by one invocation at a time
}

// Invoke runs the function; the response is the caller's.
func (h *handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	env := h.idle.Get().(lambda.Handler)
	out, err := env.Invoke(ctx, payload) // a panic skips the Put below: env is dropped
	out = bytes.Clone(out)
	h.idle.Put(env)
	return out, err
}

// invokeFunc calls a handler and returns a response the caller owns.
type invokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// errSharedHandler is why Register refuses a value of lambda.NewHandler.
var errSharedHandler = errors.New("a lambda.NewHandler value returns responses that concurrent invocations overwrite (aws/aws-lambda-go#639): register lambdalocal.NewHandler(fn) instead")

// newInvoker returns how the runtime calls h. A NewHandler value already
// returns a response of its own; any other lambda.Handler (e.g. one that
// forwards to another process) is called directly, concurrently, and its
// response copied. A value of lambda.NewHandler is refused (see NewHandler).
func newInvoker(h lambda.Handler) (invokeFunc, error) {
	if h, ok := h.(*handler); ok {
		return h.Invoke, nil
	}
	if isNewHandlerValue(h) {
		return nil, errSharedHandler
	}
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return bytes.Clone(out), nil
	}, nil
}

// isNewHandlerValue reports whether h was built by aws-lambda-go's
// lambda.NewHandler(WithOptions): NewHandler returns such a value
// unchanged (so that lambda.StartHandler(lambda.NewHandler(f)) does not
// wrap it twice) and wraps anything else in a new one. It only catches a
// wiring mistake: should a future aws-lambda-go wrap every value, the test
// of this check fails, and nothing else changes.
func isNewHandlerValue(h lambda.Handler) bool {
	return lambda.NewHandler(h) == h
}
