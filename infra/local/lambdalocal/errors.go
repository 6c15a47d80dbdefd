package lambdalocal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strings"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// ServiceError is an error of the Lambda service itself (the invocation never
// ran, or could not be accepted), as opposed to a [FunctionError]. Its Code is
// the Lambda API error code, so the HTTP front end can answer in the shape the
// SDK turns into the matching typed error (e.g. *types.ResourceNotFoundException).
type ServiceError struct {
	StatusCode int    // HTTP status Lambda answers with
	Code       string // Lambda error code, e.g. "ResourceNotFoundException"
	Message    string
	// Reason is set for TooManyRequestsException (Lambda's ThrottleReason).
	Reason string
}

func (e *ServiceError) Error() string {
	if e.Message == "" {
		return "lambdalocal: " + e.Code
	}
	return "lambdalocal: " + e.Code + ": " + e.Message
}

// Is matches on Code, so callers can write errors.Is(err, ErrFunctionNotFound)
// while each returned error still carries its own message.
func (e *ServiceError) Is(target error) bool {
	t, ok := target.(*ServiceError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; the errors actually returned carry a message.
var (
	ErrFunctionNotFound      = &ServiceError{StatusCode: http.StatusNotFound, Code: "ResourceNotFoundException"}
	ErrRequestTooLarge       = &ServiceError{StatusCode: http.StatusRequestEntityTooLarge, Code: "RequestTooLargeException"}
	ErrInvalidRequestContent = &ServiceError{StatusCode: http.StatusBadRequest, Code: "InvalidRequestContentException"}
	ErrInvalidParameter      = &ServiceError{StatusCode: http.StatusBadRequest, Code: "InvalidParameterValueException"}
	ErrTooManyRequests       = &ServiceError{StatusCode: http.StatusTooManyRequests, Code: "TooManyRequestsException"}
	// ErrClosed is returned for new asynchronous invocations once Close has
	// begun. Lambda has no such state; ServiceException (500) is the closest.
	ErrClosed = &ServiceError{StatusCode: http.StatusInternalServerError, Code: "ServiceException"}
)

func serviceErr(sentinel *ServiceError, format string, args ...any) *ServiceError {
	e := *sentinel
	e.Message = fmt.Sprintf(format, args...)
	return &e
}

// Error types that Lambda itself (not the handler) reports as function errors.
const (
	// ErrorTypeTimeout is what Lambda reports when a handler outlives its timeout.
	ErrorTypeTimeout = "Sandbox.Timedout"
	// ErrorTypeResponseTooLarge is what Lambda reports for a synchronous
	// response larger than the 6 MB quota.
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	// ErrorTypeExit is what Lambda reports when the runtime process dies
	// during an invocation (here: Runtime.Kill).
	ErrorTypeExit = "Runtime.ExitError"
	// ErrorTypeShutdown is local-only: the Runtime was closed and its bound
	// expired before the handler returned.
	ErrorTypeShutdown = "Runtime.Shutdown"
)

// FunctionError is an invocation that ran and failed: the handler returned an
// error, panicked, timed out or returned too large a response. Its fields are
// those of the error payload Lambda returns to the caller.
type FunctionError struct {
	Function   string
	RequestID  string
	Type       string // errorType, e.g. "errorString", "string" for panic("..."), "Sandbox.Timedout"
	Message    string // errorMessage
	StackTrace []*messages.InvokeResponse_Error_StackFrame
	// Panicked reports that the handler panicked; the value is in Err or Message.
	Panicked bool
	// Err is the handler's own error (or the panic value, if it was an error),
	// kept for errors.Is/As by in-process callers. Nil for Lambda-made errors.
	Err error
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("lambdalocal: function %s (request %s) failed: %s: %s", e.Function, e.RequestID, e.Type, e.Message)
}

func (e *FunctionError) Unwrap() error { return e.Err }

// Payload is the response body Lambda sends for this error along with
// X-Amz-Function-Error: Unhandled; it is built from aws-lambda-go's own
// message type so the JSON is byte-for-byte the same shape.
func (e *FunctionError) Payload() []byte {
	b, err := json.Marshal(messages.InvokeResponse_Error{Message: e.Message, Type: e.Type, StackTrace: e.StackTrace})
	if err != nil { // cannot happen for strings and ints; keep a valid body anyway
		b, _ = json.Marshal(messages.InvokeResponse_Error{Message: err.Error(), Type: "Runtime.SerializationError"})
	}
	return b
}

// handlerError converts a handler's returned error as aws-lambda-go's
// runtime does (lambdaErrorResponse in its lambda/errors.go): a
// messages.InvokeResponse_Error value passes through, anything else, even
// a pointer to or a wrapping of one, gets the name of its dynamic type as
// errorType and its Error() as errorMessage.
func handlerError(err error) *FunctionError {
	if ire, ok := err.(messages.InvokeResponse_Error); ok {
		return &FunctionError{Type: ire.Type, Message: ire.Message, StackTrace: ire.StackTrace, Err: err}
	}
	return &FunctionError{Type: typeName(err), Message: err.Error(), Err: err}
}

// panicError converts a recovered panic value as aws-lambda-go's runtime
// does (lambdaPanicResponse): a messages.InvokeResponse_Error value passes
// through; anything else gets its type name as errorType, its %v as
// errorMessage, and the stack. It must be called from the deferred function
// that recovered.
func panicError(v any) *FunctionError {
	fe := &FunctionError{Panicked: true}
	if ire, ok := v.(messages.InvokeResponse_Error); ok {
		fe.Type, fe.Message, fe.StackTrace = ire.Type, ire.Message, ire.StackTrace
	} else {
		fe.Type, fe.Message, fe.StackTrace = typeName(v), fmt.Sprintf("%v", v), panicStack()
	}
	if err, ok := v.(error); ok {
		fe.Err = err
	} else {
		fe.Err = fmt.Errorf("panic: %v", v)
	}
	return fe
}

// typeName is the errorType of an error or panic value, computed as
// aws-lambda-go's getErrorType computes it: the name of the value's type,
// or of the type it points to. The local runtime must produce the same
// string, so it takes it from the same place: reflect's Type.Name (which
// also spells generic types' arguments, unlike %T).
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// panicStack captures the panicking goroutine's stack, skipping runtime
// frames, in aws-lambda-go's stack frame format (path, line, label). It
// ends where the handler was called from this package: what is below is
// the local runtime, not the function's code. (The Go runtime's trace goes
// on through its own frames to main, and starts with its panic handling:
// only the handler's frames are the same.)
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs) // skip runtime.Callers, panicStack, panicError, the recovering func
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, ownFuncPrefix) && !strings.HasSuffix(f.File, "_test.go") {
			break
		}
		if !strings.HasPrefix(f.Function, "runtime.") {
			out = append(out, stackFrame(f))
		}
		if !more {
			break
		}
	}
	return out
}

// ownFuncPrefix is how the names of this package's functions start:
// "<package path>.".
var ownFuncPrefix = func() string {
	pc, _, _, _ := runtime.Caller(0)
	name := runtime.FuncForPC(pc).Name() // <package path>.init.func1
	slash := strings.LastIndex(name, "/")
	return name[:slash+strings.Index(name[slash:], ".")+1]
}()

// stackFrame shortens a frame like aws-lambda-go does: the path keeps only
// the package path's worth of directories and the label drops the package.
func stackFrame(f runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	path, label := f.File, f.Function
	i := len(path)
	for n := strings.Count(label, "/") + 2; n > 0; n-- {
		j := strings.LastIndex(path[:i], "/")
		if j < 0 {
			i = -1
			break
		}
		i = j
	}
	path = path[i+1:]
	label = label[strings.LastIndex(label, "/")+1:]
	label = label[strings.Index(label, ".")+1:]
	return &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(f.Line), Label: label}
}

// formatStack renders a panic's stack on one line for the log.
func formatStack(e *FunctionError) string {
	var b strings.Builder
	for i, f := range e.StackTrace {
		if i > 0 {
			b.WriteString(" <- ")
		}
		fmt.Fprintf(&b, "%s (%s:%d)", f.Label, f.Path, f.Line)
	}
	return b.String()
}

// ErrorCode is the Lambda API error code, as smithy.APIError names it: a
// caller (the local Scheduler's dead-letter events) reads it as it would
// read the SDK's error.
func (e *ServiceError) ErrorCode() string { return e.Code }

// ErrorMessage is the error's message, as smithy.APIError names it.
func (e *ServiceError) ErrorMessage() string { return e.Message }
