// Package lambdalocal is the platform's local stand-in for AWS Lambda.
//
// On AWS the API, planner and worker functions run on Lambda and call one
// another with lambda:Invoke. Locally the very same code runs in one process:
// each function is registered with a [Runtime] under its name, its handler
// being [NewHandler](fn), fn what the function's main passes to lambda.Start,
// and the Runtime serves the Lambda Invoke REST API
// (POST /2015-03-31/functions/{FunctionName}/invocations), so an
// aws-sdk-go-v2 Lambda client whose BaseEndpoint points at it works unchanged.
// In-process callers (the local SQS poller and scheduler) use
// [Runtime.Invoke] and [Runtime.InvokeAsync] directly.
//
// What is mirrored from Lambda, because platform code depends on it:
//
//   - every invocation gets a lambdacontext.LambdaContext (fresh AwsRequestID,
//     InvokedFunctionArn) and a context deadline from Function.Timeout
//     (default 3 s, Lambda's default); a handler still running at its deadline
//     is reported as a "Sandbox.Timedout" function error;
//   - handler errors and panics become function errors with the payload that
//     aws-lambda-go's runtime reports ({"errorMessage","errorType"[,"stackTrace"]}:
//     errorType is the error's or panic value's type name, computed as its
//     getErrorType does, and only an unwrapped messages.InvokeResponse_Error
//     value passes through as is); over HTTP they come back as 200 with
//     X-Amz-Function-Error: Unhandled, so InvokeOutput.FunctionError is set
//     exactly as on AWS. infra/rie's tests compare these answers with the
//     Go runtime's under aws-lambda-rie;
//   - InvocationType Event (202, run later, two retries on error with a
//     doubling delay, or Function.Async.MaximumRetryAttempts), RequestResponse
//     (default) and DryRun (204);
//   - on-failure destinations (Function.Async.OnFailure): an asynchronous
//     event that failed every attempt is sent, through Options.Destinations
//     (the local SQS, sqslocal.ARNSender), as Lambda's invocation record
//     ([InvocationRecord]: version "1.0", requestContext with condition
//     RetriesExhausted and approximateInvokeCount, the event as
//     requestPayload, the last error as responsePayload), so the platform's
//     consumer of the planner's failures runs as on AWS;
//   - payload quotas: 6 MB synchronous request and response, 1 MB
//     asynchronous request (413 RequestTooLargeException); a body that is not
//     JSON is rejected with 400 InvalidRequestContentException; an empty body
//     is passed to the handler as {};
//   - unknown functions yield 404 ResourceNotFoundException, and an optional
//     per-function concurrency limit yields 429 TooManyRequestsException, both
//     in the REST-JSON error shape the SDK decodes into its typed errors.
//
// What is deliberately not mirrored: versions and aliases (any qualifier runs
// the one registered handler and X-Amz-Executed-Version is always $LATEST),
// the account and region inside an ARN (only the function name is used),
// authentication (SigV4 signatures are not checked), X-Amz-Log-Type: Tail
// (accepted, but no X-Amz-Log-Result is returned: logs go to the process's
// slog logger), dead-letter queues (DeadLetterConfig), on-success
// destinations, MaximumEventAgeInSeconds (so no EventAgeExceeded record;
// an event without an on-failure destination that exhausts its retries is
// logged at error level), and process isolation: concurrent invocations of one function share one
// process and its globals (on AWS each gets its own execution environment),
// a timed-out or panicking handler cannot be killed, so a timed-out handler
// goroutine keeps running until it returns, holding its concurrency slot,
// and a panic does not reset any global state. A panic's stackTrace lists
// the function's frames only: the Go runtime's also lists its own panic
// handling above them and its invoke loop down to main below.
//
// [NewHandler] runs fn through aws-lambda-go's public
// lambda.NewHandlerWithOptions, so events are decoded, results encoded and
// signatures checked by the same code as on AWS, and calls it only through
// its public Invoke method: nothing reaches into aws-lambda-go's internals.
// It gives each concurrent invocation a handler value of its own, as Lambda
// gives each its own execution environment, because one lambda.NewHandler
// value hands back response buffers that concurrent invocations would
// overwrite (aws-lambda-go v1.55.1, aws/aws-lambda-go#639). Register
// refuses such a value; any other lambda.Handler is called concurrently,
// as is.
//
// Payloads are never logged; each attempt is logged with the function name,
// request id, invocation type, attempt, duration and any error.
package lambdalocal
