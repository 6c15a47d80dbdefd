package lambdalocal

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// invokeFunc calls a handler and returns a response the caller owns.
type invokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// rawHandlerFunc is the shape of the function inside aws-lambda-go's
// NewHandler value: it hands back the response buffer before recycling it.
type rawHandlerFunc = func(context.Context, []byte) (io.Reader, error)

// newInvoker picks a safe way to call h concurrently.
//
// Why this exists: in aws-lambda-go v1.55.1, the Handler that
// lambda.NewHandler returns recycles its response buffer into a sync.Pool
// before Invoke returns, yet returns a slice of it (aws/aws-lambda-go#639).
// On AWS that is harmless (an execution environment runs one invocation at a
// time and copies the bytes out first); here several invocations of one
// function share the Handler, and another invocation's response can
// overwrite ours before we can copy it — the tests reproduce it.
//
// So for that handler type we call the function it wraps, which returns the
// buffer itself; we copy it out and only then release it. If
// a future aws-lambda-go changes that internal shape, we fall back to
// calling Invoke one at a time per function (serialized=true), trading
// parallelism for correct responses. Any other lambda.Handler is called
// directly and its response copied.
func newInvoker(h lambda.Handler) (invoke invokeFunc, serialized bool) {
	if raw, ok := awsLambdaGoRaw(h); ok {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			r, err := raw(ctx, payload)
			if err != nil {
				return nil, err
			}
			if r == nil {
				return nil, nil
			}
			if c, ok := r.(io.Closer); ok {
				defer c.Close() // recycles the buffer, after ReadAll copied it
			}
			return io.ReadAll(r)
		}, false
	}
	direct := func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return bytes.Clone(out), nil
	}
	if !isAWSLambdaGoHandler(h) {
		return direct, false
	}
	var mu sync.Mutex
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		return direct(ctx, payload)
	}, true
}

const awsLambdaGoPkg = "github.com/aws/aws-lambda-go/lambda"

func isAWSLambdaGoHandler(h lambda.Handler) bool {
	t := reflect.TypeOf(h)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == awsLambdaGoPkg
}

// awsLambdaGoRaw extracts the response-buffer-returning function embedded
// in aws-lambda-go's handler value (the unexported field handlerFunc of
// *lambda.handlerOptions), if h is one and the field has the known shape.
func awsLambdaGoRaw(h lambda.Handler) (rawHandlerFunc, bool) {
	if !isAWSLambdaGoHandler(h) {
		return nil, false
	}
	v := reflect.ValueOf(h)
	if v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f := v.Elem().FieldByName("handlerFunc")
	rawType := reflect.TypeFor[rawHandlerFunc]()
	if !f.IsValid() || f.Kind() != reflect.Func || !f.Type().ConvertibleTo(rawType) || f.IsNil() {
		return nil, false
	}
	// The field is unexported, so reflect will not call it directly; view
	// the same memory through a fresh (exported) Value of its type.
	fn := reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
	raw, ok := fn.Convert(rawType).Interface().(rawHandlerFunc)
	return raw, ok && raw != nil
}
