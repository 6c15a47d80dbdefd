package sqslocal

import (
	"fmt"
	"net/http"
)

// APIError is an error as SQS returns it over the JSON protocol. It is
// exported so that Options.Hook can make an operation fail with any SQS error.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Type is the error shape name sent in "__type"; the SDK maps the
	// modelled ones (QueueDoesNotExist, RequestThrottled, ...) to typed errors.
	Type string
	// QueryCode is the legacy Query-protocol code sent in the
	// x-amzn-query-error header, which the SDK reports as ErrorCode().
	// Empty means the same as Type.
	QueryCode string
	// Receiver marks a server fault (Sender otherwise).
	Receiver bool
	// Message is the human-readable message.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sqslocal: %s: %s", e.code(), e.Message)
}

// code is what SQS reports as the error code (the Query-protocol code).
func (e *APIError) code() string {
	if e.QueryCode != "" {
		return e.QueryCode
	}
	return e.Type
}

// Errors a Hook can return to simulate service trouble. The SDK retries both.
var (
	// ErrThrottled is SQS's RequestThrottled (HTTP 403); the SDK treats it as
	// a throttling error.
	ErrThrottled = &APIError{Status: http.StatusForbidden, Type: "RequestThrottled", Message: "Request is throttled."}
	// ErrInternal is an HTTP 500 InternalFailure.
	ErrInternal = &APIError{Status: http.StatusInternalServerError, Type: "InternalFailure", Receiver: true, Message: "The request processing has failed because of an unknown error, exception or failure."}
)

func errf(status int, typ, queryCode, format string, args ...any) *APIError {
	return &APIError{Status: status, Type: typ, QueryCode: queryCode, Message: fmt.Sprintf(format, args...)}
}

// Constructors for the errors this package raises. Status codes and Query
// codes are those of the SQS Smithy model (aws-sdk-go-v2/service/sqs/schemas).

func errQueueDoesNotExist() *APIError {
	return errf(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errQueueNameExists(name string) *APIError {
	return errf(400, "QueueNameExists", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute(s): %s", name)
}

func errInvalidParameter(format string, args ...any) *APIError {
	return errf(400, "InvalidParameterValue", "", format, args...)
}

func errMissingParameter(name string) *APIError {
	return errf(400, "MissingParameter", "", "The request must contain the parameter %s.", name)
}

func errInvalidAttributeName(name string) *APIError {
	return errf(400, "InvalidAttributeName", "", "Unknown Attribute %s.", name)
}

func errInvalidAttributeValue(format string, args ...any) *APIError {
	return errf(400, "InvalidAttributeValue", "", format, args...)
}

func errReceiptHandleInvalid(h string) *APIError {
	return errf(404, "ReceiptHandleIsInvalid", "", "The input receipt handle %q is not a valid receipt handle.", h)
}

func errReceiptHandleExpired(h string) *APIError {
	return errInvalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", h)
}

func errMessageNotInflight() *APIError {
	return errf(400, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "Message is not in flight.")
}

func errInvalidMessageContents() *APIError {
	return errf(400, "InvalidMessageContents", "", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
}

func errUnsupported(format string, args ...any) *APIError {
	return errf(400, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", format, args...)
}

func errEmptyBatch() *APIError {
	return errf(400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one entry in the request.")
}

func errTooManyEntries(n int) *APIError {
	return errf(400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", n)
}

func errIdsNotDistinct(id string) *APIError {
	return errf(400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id %s repeated.", id)
}

func errInvalidBatchEntryID(id string) *APIError {
	return errf(400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. Invalid id: %q", id)
}

func errBatchTooLong(n, limit int) *APIError {
	return errf(400, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, n)
}
