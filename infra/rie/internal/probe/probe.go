// Package probe is a Lambda handler that succeeds, fails, panics or
// outlives its timeout as its event asks. The rie tests run it both under
// the local runtime (lambdalocal) and as a real bootstrap under
// aws-lambda-rie, and compare what the two answer for every case.
package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Event picks the case. N is only there so that {"N":"x"} is an event
// aws-lambda-go fails to decode before the handler runs.
type Event struct {
	Case string
	N    int
}

// Result is what the ok case returns: characters JSON encoders escape
// differently, to show the handler's encoding options are the same.
type Result struct {
	Case     string
	Greeting string
	Ratio    float64
}

// Cases are every Case Handle knows.
var Cases = []string{
	"ok", "null", "reader",
	"error", "pointer-error", "value-error", "generic-error", "wrapped-error",
	"invoke-error", "invoke-error-pointer", "invoke-error-wrapped",
	"panic", "panic-error", "panic-runtime", "panic-invoke-error",
	"timeout",
}

// PointerError is an error type with a pointer receiver.
type PointerError struct{ Bucket string }

func (e *PointerError) Error() string { return "quota exceeded for " + e.Bucket }

// ValueError is an error type with a value receiver.
type ValueError string

func (e ValueError) Error() string { return "invalid: " + string(e) }

// GenericError is a generic error type: its errorType names its type argument.
type GenericError[T any] struct{ Value T }

func (e GenericError[T]) Error() string { return fmt.Sprintf("bad value %v", e.Value) }

var invokeError = messages.InvokeResponse_Error{Type: "Planner.NoConnection", Message: "connection c-1 not found"}

// Handle answers as ev.Case asks.
func Handle(ctx context.Context, ev Event) (any, error) {
	switch ev.Case {
	case "ok":
		return Result{Case: ev.Case, Greeting: "<b>héllo</b> & \u2028 \"bye\"", Ratio: 1e21}, nil
	case "null":
		return nil, nil
	case "reader":
		return strings.NewReader("raw bytes, not JSON"), nil
	case "error":
		return nil, errors.New("boom")
	case "pointer-error":
		return nil, &PointerError{Bucket: "raw"}
	case "value-error":
		return nil, ValueError("x")
	case "generic-error":
		return nil, GenericError[int]{Value: 7}
	case "wrapped-error":
		return nil, fmt.Errorf("plan: %w", errors.New("x"))
	case "invoke-error":
		return nil, invokeError
	case "invoke-error-pointer":
		e := invokeError
		return nil, &e
	case "invoke-error-wrapped":
		return nil, fmt.Errorf("plan: %w", invokeError)
	case "panic":
		panic("kaboom")
	case "panic-error":
		panic(errors.New("nil map"))
	case "panic-runtime":
		var m map[string]int
		m["x"] = 1
		return nil, nil
	case "panic-invoke-error":
		panic(invokeError)
	case "timeout":
		deadline, _ := ctx.Deadline()
		time.Sleep(time.Until(deadline) + 500*time.Millisecond)
		return "too late", nil
	}
	return nil, fmt.Errorf("unknown case %q", ev.Case)
}
