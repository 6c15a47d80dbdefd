// Package eventsource is the local stand-in for a Lambda SQS event source
// mapping: it feeds the worker function from the task queue on this machine
// the way Lambda feeds it on AWS, so that the worker's batching, partial
// failures, retries and dead-lettering behave the same locally.
//
// [Start] runs pollers that long-poll the queue with ReceiveMessage (up to
// BatchSize messages, all system and message attributes), build the exact
// SQS event JSON Lambda sends (Records with messageId, receiptHandle, body,
// attributes, messageAttributes, md5OfMessageAttributes, md5OfBody,
// eventSource "aws:sqs", eventSourceARN, awsRegion), invoke the function
// synchronously, and then, as with FunctionResponseTypes
// ReportBatchItemFailures on AWS:
//
//   - delete, with one DeleteMessageBatch, every message of the batch except
//     those the response lists in batchItemFailures;
//   - delete nothing when the invocation fails (a function error, a timeout,
//     a rejected invocation) or the response makes Lambda fail the whole
//     batch: a response that is not a JSON object, or an itemIdentifier that
//     is missing, null, empty, not a string or not a messageId of the batch.
//     An empty or null response, or an empty or null batchItemFailures list,
//     is a full success.
//
// Messages left on the queue reappear after its visibility timeout and,
// once their receive count passes the queue's maxReceiveCount, are moved to
// its dead-letter queue by the queue itself (sqslocal implements redrive;
// this package never sends to a DLQ).
//
// Concurrency follows the mapping's ScalingConfig.MaximumConcurrency: never
// more than MaxConcurrency invocations run at once. A poller takes a
// concurrency slot before it receives and hands it to the invocation, so no
// message is ever held, with its visibility timeout running, while waiting
// for a free slot. Like Lambda, the mapping starts with five pollers (fewer
// if MaxConcurrency is lower), adds one whenever a receive returns a full
// batch, up to MaxConcurrency, and drops back to five when receives come
// back empty; on an empty queue the pollers sit in long polls, so an idle
// mapping costs a few requests per WaitTime, not a busy loop.
//
// An invocation rejected by throttling (TooManyRequestsException, e.g. the
// function's reserved concurrency is lower than MaxConcurrency) is retried
// with backoff until the batch's visibility timeout is about to expire, as
// Lambda does; then the batch is left to reappear.
//
// [Poller.Stop] stops receiving and waits, at most Options.StopTimeout, for
// the invocations in flight and their deletes, so Ctrl-C does not turn
// finished work into redeliveries; past the bound it cancels their context
// and leaves their messages on the queue. Cancelling the context given to
// Start stops receiving too, but in-flight work keeps running until it ends
// or Stop bounds it.
//
// Not mirrored: FIFO queues (sqslocal has none), batching windows and batch
// sizes above 10, event filtering, the gradual scale-up rate (Lambda adds up
// to 300 pollers a minute; locally a poller is added at once), and the
// backoff Lambda applies to a mapping whose invocations keep failing without
// ReportBatchItemFailures.
package eventsource
