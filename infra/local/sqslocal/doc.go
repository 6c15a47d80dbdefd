// Package sqslocal is a small in-process Amazon SQS endpoint for the local
// platform and for tests.
//
// No SQS emulator that installs here speaks the AWS JSON 1.0 protocol that
// github.com/aws/aws-sdk-go-v2/service/sqs uses since v1.27 (POST /,
// Content-Type application/x-amz-json-1.0, X-Amz-Target AmazonSQS.<Op>), so
// this package implements one as an [http.Handler]. Point the real SDK client
// at it with BaseEndpoint set to the server URL:
//
//	srv := sqslocal.New(sqslocal.Options{})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	defer srv.Close() // runs first: releases long polls so ts.Close does not wait
//	client := sqs.New(sqs.Options{
//		Region:       "us-east-1",
//		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
//		BaseEndpoint: aws.String(ts.URL),
//	})
//
// Everything is kept in memory: queues and messages are lost when the
// process exits. Close the Server before shutting down the http.Server in
// front of it (e.g. http.Server.RegisterOnShutdown(srv.Close)): Shutdown
// waits for requests in flight, and a long poll can last 20 seconds.
//
// A Server is safe for concurrent use; each queue has its own
// lock, a list of visible messages and a heap of delayed / in-flight messages
// ordered by the time they become visible, so a receive costs O(k log n) for
// k messages and never scans the whole queue.
//
// # Implemented
//
// Standard queues with: CreateQueue (idempotent when the given attributes
// match, QueueNameExists otherwise), GetQueueUrl, ListQueues (prefix and
// pagination), GetQueueAttributes, SetQueueAttributes, DeleteQueue,
// PurgeQueue, TagQueue, UntagQueue, ListQueueTags, ListDeadLetterSourceQueues,
// SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage,
// DeleteMessageBatch, ChangeMessageVisibility and ChangeMessageVisibilityBatch.
//
// Semantics follow SQS: visibility timeouts (queue default and per receive),
// receipt handles that change on every receive, queue and per-message
// DelaySeconds, long polling (WaitTimeSeconds or the queue's
// ReceiveMessageWaitTimeSeconds) that returns as soon as a message is visible
// and ends when the request context is cancelled, redrive to a dead-letter
// queue once a receive would take ApproximateReceiveCount past
// maxReceiveCount, MessageRetentionPeriod expiry, MaximumMessageSize, the
// allowed-character rule for bodies, message attributes with
// MD5OfMessageAttributes computed as AWS does, system attributes
// (ApproximateReceiveCount, ApproximateFirstReceiveTimestamp, SentTimestamp,
// SenderId, AWSTraceHeader, DeadLetterQueueSourceArn, MessageGroupId), and
// batch calls whose entries fail one by one in Failed. Errors use the JSON
// protocol shape plus the x-amzn-query-error header, so the SDK returns typed
// errors such as *types.QueueDoesNotExist.
//
// A DeleteMessage with a stale receipt handle (the message has been received
// again since) succeeds without deleting, which the SQS documentation allows
// ("the request will succeed, but the message might not be deleted"); this
// surfaces consumers that run past their visibility timeout. Deleting a
// message that is already gone succeeds, as in SQS.
//
// # Not implemented
//
// FIFO queues (names ending in .fifo or FifoQueue=true are rejected with
// UnsupportedOperation), authentication and signature checks (any
// credentials are accepted), policies and RedriveAllowPolicy (stored and
// reported, not enforced), KMS encryption (KmsMasterKeyId is stored and
// reported only), message move tasks, permissions (AddPermission,
// RemovePermission), the 60-second limits on PurgeQueue and on re-creating a
// deleted queue, the 12-hour cap on a message's total visibility timeout,
// ReceiveRequestAttemptId (FIFO only; ignored), the AWS Query (XML)
// protocol, and persistence. Messages a
// redrive moves keep their original SentTimestamp; their retention expiry is
// checked when they are about to be delivered, so until then they may still
// be counted in ApproximateNumberOfMessages.
//
// # Fault injection
//
// Options.Hook runs before every operation; returning an error makes the
// operation fail with it (an *APIError such as ErrThrottled or ErrInternal is
// sent as is, any other error as a 500 InternalFailure). A hook may also
// sleep to add latency.
//
// # Delivering to a queue ARN
//
// [ARNSender] is the client side of what AWS services do with a queue
// ARN they were given (a Lambda on-failure destination, an EventBridge
// Scheduler dead-letter queue): GetQueueUrl from the ARN's account and
// name, then SendMessage, through the real SDK client. The local Lambda
// and Scheduler stand-ins deliver through it.
package sqslocal
