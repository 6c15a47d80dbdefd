package lambdalocal

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// EventInvokeConfig is a function's asynchronous invocation configuration
// (PutFunctionEventInvokeConfig): how often a failed event is retried, and
// where Lambda sends the record of an event that failed every attempt.
type EventInvokeConfig struct {
	// MaximumRetryAttempts is 0 to 2; nil means Lambda's default, 2.
	MaximumRetryAttempts *int
	// OnFailure is the ARN of the on-failure destination (an SQS queue
	// here); "" means none: the final failure is only logged.
	OnFailure string
}

// Destinations delivers invocation records to destination ARNs, as Lambda
// does with the function's execution role: for an SQS queue, record is the
// message body. The local platform sends them to the local SQS.
type Destinations interface {
	Deliver(ctx context.Context, arn string, record []byte) error
}

// Conditions of an invocation record (requestContext.condition).
const (
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// InvocationRecord is what Lambda sends to an on-failure destination: the
// event (requestPayload) and how its last attempt failed. Field names and
// nesting follow AWS's documented record (version "1.0").
type InvocationRecord struct {
	Version         string          `json:"version"`
	Timestamp       string          `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

// RequestContext says which invocation failed, why, and after how many tries.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is how the last attempt answered.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError"`
}

// retries is how often an event of fn is retried after its first attempt.
func (fn *function) retries() int {
	if n := fn.Async.MaximumRetryAttempts; n != nil {
		return *n
	}
	return AsyncRetries
}

// failureRecord is the on-failure record of inv after attempts tries that
// ended with ferr.
func failureRecord(inv *invocation, attempts int, ferr *FunctionError, at time.Time) ([]byte, error) {
	return json.Marshal(InvocationRecord{
		Version:   "1.0",
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: RequestContext{
			RequestID: inv.requestID, FunctionARN: inv.fn.arn + ":$LATEST",
			Condition: ConditionRetriesExhausted, ApproximateInvokeCount: attempts,
		},
		RequestPayload:  inv.payload,
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		ResponsePayload: ferr.Payload(),
	})
}

// sendFailure hands inv's record to its function's on-failure destination,
// if it has one; it reports whether the record was delivered.
func (r *Runtime) sendFailure(inv *invocation, attempts int, err error) bool {
	dest := inv.fn.Async.OnFailure
	if dest == "" || r.destinations == nil {
		return false
	}
	ferr, ok := err.(*FunctionError)
	if !ok {
		ferr = &FunctionError{Type: "Runtime.Unknown", Message: err.Error()}
	}
	log := r.log.With(slog.String("function", inv.fn.Name), slog.String("request_id", inv.requestID), slog.String("destination", dest))
	record, merr := failureRecord(inv, attempts, ferr, time.Now())
	if merr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		merr = r.destinations.Deliver(ctx, dest, record)
	}
	if merr != nil {
		log.Error("lambda on-failure destination not reached; the event is lost", slog.String("error", merr.Error()))
		return false
	}
	log.Warn("lambda async invocation failed, no retries left: record sent to the on-failure destination", slog.Int("attempts", attempts))
	return true
}
