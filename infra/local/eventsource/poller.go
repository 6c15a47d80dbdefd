package eventsource

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
)

// Defaults, chosen to match the platform's event source mapping on AWS
// except WaitTime, which is short locally so that Stop and tests are quick.
const (
	DefaultBatchSize      = 10
	DefaultMaxConcurrency = 90
	DefaultWaitTime       = time.Second
	DefaultStopTimeout    = 30 * time.Second

	maxBatchSize = 10 // ReceiveMessage's limit; larger batches need a batching window
	// maxWindowBatchSize is Lambda's limit for standard queues with a window.
	maxWindowBatchSize = 10000
	minPollers         = 5 // Lambda starts, and idles, with five concurrent batches
	maxWait            = 20 * time.Second

	// stopGrace is how long Stop still waits after cancelling invocations
	// that outlived StopTimeout, so that an invoker which honours its
	// context can finish cleanly while one that ignores it cannot hang Stop.
	stopGrace = 2 * time.Second
	// defaultVisibility is assumed when the queue's VisibilityTimeout
	// cannot be read; it is SQS's default.
	defaultVisibility = 30 * time.Second
	// startTimeout bounds the GetQueueAttributes call Start makes.
	startTimeout = 5 * time.Second
)

// Options configure a Poller. QueueURL, SQS and Invoke are required.
type Options struct {
	// QueueURL is the queue the mapping reads.
	QueueURL string
	// SQS is a real SDK client, pointed at sqslocal locally.
	SQS *sqs.Client
	// Invoke runs the function synchronously with an SQS event payload and
	// returns its response, or an error for a failed invocation: e.g. a
	// closure over lambdalocal's Runtime.Invoke(ctx, "s3connections-worker", payload).
	// It is called from many goroutines at once.
	Invoke func(ctx context.Context, payload []byte) ([]byte, error)
	// FunctionARN is logged, to say which function the mapping feeds.
	FunctionARN string
	// QueueARN is every record's eventSourceARN. Empty: the queue's
	// QueueArn attribute, read once by Start.
	QueueARN string
	// Region is every record's awsRegion. Empty: the SQS client's region.
	Region string
	// BatchSize is the most messages per invocation: 1..10, or up to
	// 10,000 with a BatchingWindow. Default 10.
	BatchSize int
	// BatchingWindow (MaximumBatchingWindowInSeconds) lets a batch gather
	// messages from several receives. Locally a batch stops gathering when
	// it is full, the window has passed, or the queue has stayed empty for
	// QuietGather, so a sparse queue is not delayed by the whole window as
	// on AWS.
	BatchingWindow time.Duration
	// MaxConcurrency caps concurrent invocations (the mapping's
	// ScalingConfig.MaximumConcurrency, the platform's data-load throttling
	// setting). Default 90. Lambda accepts 2 to 1000; locally 1 works too.
	MaxConcurrency int
	// WaitTime is the long-poll wait of each receive, in whole seconds from
	// 1 to 20 (a shorter one would be a busy loop). Default 1 s; Lambda
	// uses 20 s.
	WaitTime time.Duration
	// StopTimeout bounds how long Stop waits for invocations in flight.
	// Default 30 s.
	StopTimeout time.Duration
	// Logger receives the mapping's log records. Default slog.Default().
	// Payloads and bodies are never logged.
	Logger *slog.Logger
}

// Stats are counters since Start. A message delivered several times counts
// each time it is received.
type Stats struct {
	Received      int64 // messages received from the queue
	Succeeded     int64 // messages the function processed (and that were then deleted, unless DeleteErrors says otherwise)
	Failed        int64 // messages left on the queue: reported item failures plus every message of a failed batch
	Invocations   int64 // invocations that ran (throttled attempts excluded)
	BatchFailures int64 // invocations that failed as a whole: function error or invalid response
	Throttles     int64 // invocation attempts rejected with TooManyRequestsException
	DeleteErrors  int64 // processed messages whose delete failed; they will be delivered again
}

// Poller is a running event source mapping. Its methods are safe for
// concurrent use.
type Poller struct {
	o          Options
	log        *slog.Logger
	waitSecs   int32
	visibility time.Duration
	maxPollers int32

	slots    chan struct{} // a token per invocation that may run; receivers take one first
	recvCtx  context.Context
	stopRecv context.CancelFunc
	workCtx  context.Context // outlives recvCtx so Stop can drain in-flight work
	stopWork context.CancelFunc

	pollers  sync.WaitGroup
	npollers atomic.Int32
	inflight sync.WaitGroup
	stopOnce sync.Once

	received, succeeded, failed, invocations, batchFailures, throttles, deleteErrors atomic.Int64
}

// Start begins polling o.QueueURL and returns at once. Receiving stops when
// ctx ends or Stop is called; call Stop to wait for the work in flight.
// Start panics if QueueURL, SQS or Invoke is missing: that is a wiring bug.
func Start(ctx context.Context, o Options) *Poller {
	if o.QueueURL == "" || o.SQS == nil || o.Invoke == nil {
		panic("eventsource: Options.QueueURL, SQS and Invoke are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger.With("queue", o.QueueURL, "function", o.FunctionARN)
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchSize > maxBatchSize && o.BatchingWindow <= 0 {
		log.Warn("eventsource: batch size above 10 needs a batching window; using 10", "batchSize", o.BatchSize)
		o.BatchSize = maxBatchSize
	}
	o.BatchSize = min(o.BatchSize, maxWindowBatchSize)
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.WaitTime <= 0 {
		o.WaitTime = DefaultWaitTime
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.Region == "" {
		o.Region = o.SQS.Options().Region
	}
	p := &Poller{
		o:          o,
		log:        log,
		waitSecs:   waitSeconds(o.WaitTime),
		visibility: defaultVisibility,
		maxPollers: int32(o.MaxConcurrency),
		slots:      make(chan struct{}, o.MaxConcurrency),
	}
	p.readQueueAttributes(ctx)
	p.recvCtx, p.stopRecv = context.WithCancel(ctx)
	p.workCtx, p.stopWork = context.WithCancel(context.WithoutCancel(ctx))

	n := min(int32(minPollers), p.maxPollers)
	p.npollers.Store(n)
	p.pollers.Add(int(n))
	for range n {
		go p.poll()
	}
	log.Info("eventsource: started", "eventSourceARN", p.o.QueueARN, "batchSize", o.BatchSize,
		"maxConcurrency", o.MaxConcurrency, "waitSeconds", p.waitSecs)
	return p
}

// waitSeconds rounds d up to whole seconds within ReceiveMessage's 1..20:
// WaitTimeSeconds 0 would be short polling, a busy loop on an empty queue.
func waitSeconds(d time.Duration) int32 {
	d = min(max(d, time.Second), maxWait)
	return int32((d + time.Second - 1) / time.Second)
}

// readQueueAttributes learns the queue's ARN (when not given) and its
// visibility timeout, which bounds how long a throttled batch is retried.
// Failure is not fatal: the mapping still works, with the default timeout.
func (p *Poller) readQueueAttributes(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	out, err := p.o.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(p.o.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil {
		p.log.Warn("eventsource: cannot read the queue's attributes; assuming a 30 s visibility timeout", "err", err)
		return
	}
	if p.o.QueueARN == "" {
		p.o.QueueARN = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	}
	if s, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)]); err == nil {
		p.visibility = time.Duration(s) * time.Second
	}
}

// Stop stops receiving, then waits at most Options.StopTimeout for the
// invocations in flight to finish and delete their messages. Past that it
// cancels them (their messages stay on the queue) and waits briefly more.
// It is safe to call more than once; later calls return at once.
func (p *Poller) Stop() {
	p.stopOnce.Do(func() {
		p.stopRecv()
		p.pollers.Wait()
		done := make(chan struct{})
		go func() {
			p.inflight.Wait()
			close(done)
		}()
		timer := time.NewTimer(p.o.StopTimeout)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			p.log.Warn("eventsource: invocations still running at the stop timeout; cancelling them", "stopTimeout", p.o.StopTimeout)
			p.stopWork()
			grace := time.NewTimer(stopGrace)
			defer grace.Stop()
			select {
			case <-done:
			case <-grace.C:
				p.log.Error("eventsource: invocations ignored cancellation; stopping without them")
			}
		}
		p.stopWork()
		s := p.Stats()
		p.log.Info("eventsource: stopped", "received", s.Received, "succeeded", s.Succeeded, "failed", s.Failed,
			"invocations", s.Invocations, "batchFailures", s.BatchFailures)
	})
}

// Stats returns the counters so far.
func (p *Poller) Stats() Stats {
	return Stats{
		Received:      p.received.Load(),
		Succeeded:     p.succeeded.Load(),
		Failed:        p.failed.Load(),
		Invocations:   p.invocations.Load(),
		BatchFailures: p.batchFailures.Load(),
		Throttles:     p.throttles.Load(),
		DeleteErrors:  p.deleteErrors.Load(),
	}
}

// poll is one poller: take a slot, receive, hand the batch and the slot to
// an invocation, repeat. A full batch adds a poller (the queue has a
// backlog); an empty one retires this poller if there are more than the
// minimum.
func (p *Poller) poll() {
	defer p.pollers.Done()
	var backoff time.Duration
	for {
		select {
		case p.slots <- struct{}{}:
		case <-p.recvCtx.Done():
			p.npollers.Add(-1)
			return
		}
		msgs, err := p.receive()
		switch {
		case err != nil:
			<-p.slots
			if p.recvCtx.Err() != nil {
				p.npollers.Add(-1)
				return
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			p.log.Warn("eventsource: ReceiveMessage failed; backing off", "err", err, "backoff", backoff)
			if !sleep(p.recvCtx, backoff) {
				p.npollers.Add(-1)
				return
			}
			continue
		case len(msgs) == 0:
			backoff = 0
			<-p.slots
			if p.retire() {
				return
			}
			continue
		}
		backoff = 0
		p.received.Add(int64(len(msgs)))
		if len(msgs) == p.o.BatchSize {
			p.grow()
		}
		p.inflight.Add(1)
		go p.process(msgs)
	}
}

// receive returns the next batch: one long-polling receive, then, with a
// batching window, more receives while the batch can grow (see Options).
// QuietGather is how long a batch that has messages keeps gathering once
// the queue looks empty: a planner sends a page's tasks in bursts, and a
// batch cut at the first empty receive held a fifth of the batch size,
// each batch costing the worker a commit and a completion check.
const QuietGather = 200 * time.Millisecond

func (p *Poller) receive() ([]types.Message, error) {
	var batch []types.Message
	deadline := time.Now().Add(p.o.BatchingWindow)
	wait := p.waitSecs
	var quietSince time.Time // since when receives have found the queue empty
	for {
		n := min(p.o.BatchSize-len(batch), maxBatchSize)
		out, err := p.o.SQS.ReceiveMessage(p.recvCtx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.o.QueueURL),
			MaxNumberOfMessages:         int32(n),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if len(batch) > 0 { // what was received is processed; the error shows again
				return batch, nil
			}
			return nil, err
		}
		batch = append(batch, out.Messages...)
		now := time.Now()
		if len(out.Messages) > 0 {
			quietSince = time.Time{}
		} else if quietSince.IsZero() {
			quietSince = now
		}
		if len(batch) == 0 || len(batch) >= p.o.BatchSize || !now.Before(deadline) ||
			!quietSince.IsZero() && now.Sub(quietSince) >= QuietGather {
			return batch, nil
		}
		if len(out.Messages) == 0 {
			time.Sleep(QuietGather / 4)
		}
		wait = 0
	}
}

// grow adds a poller unless there are already MaxConcurrency of them (more
// could never all hold a slot) or receiving has stopped.
func (p *Poller) grow() {
	for {
		n := p.npollers.Load()
		if n >= p.maxPollers || p.recvCtx.Err() != nil {
			return
		}
		if p.npollers.CompareAndSwap(n, n+1) {
			p.pollers.Add(1) // this poller is still counted, so Stop's Wait cannot have returned
			go p.poll()
			return
		}
	}
}

// retire reports whether the calling poller should exit because the queue
// is idle and more than the minimum are running; it then uncounts it.
func (p *Poller) retire() bool {
	for {
		n := p.npollers.Load()
		if n <= min(int32(minPollers), p.maxPollers) {
			return false
		}
		if p.npollers.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// process invokes the function with one batch, applies the response and
// releases the batch's concurrency slot.
func (p *Poller) process(msgs []types.Message) {
	defer p.inflight.Done()
	defer func() { <-p.slots }()
	receivedAt := time.Now()

	ids := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		ids[deref(m.MessageId)] = true
	}
	payload, err := buildEvent(msgs, p.o.QueueARN, p.o.Region)
	if err != nil { // cannot happen for strings and byte slices; leave the batch to reappear
		p.failBatch(msgs, "cannot build the event", err)
		return
	}
	resp, err := p.invoke(payload, receivedAt)
	if err != nil {
		p.failBatch(msgs, "invocation failed", err)
		return
	}
	failed, err := failedItems(resp, ids)
	if err != nil {
		p.failBatch(msgs, "invalid batch item failures response", err)
		return
	}
	done := msgs
	if len(failed) > 0 {
		done = make([]types.Message, 0, len(msgs)-len(failed))
		for _, m := range msgs {
			if !failed[deref(m.MessageId)] {
				done = append(done, m)
			}
		}
		p.failed.Add(int64(len(msgs) - len(done)))
		p.log.Info("eventsource: batch item failures; those messages stay on the queue", "failed", len(msgs)-len(done), "batch", len(msgs))
	}
	p.succeeded.Add(int64(len(done)))
	p.delete(done)
}

// invoke calls the function, retrying throttled attempts with backoff while
// the batch's visibility timeout leaves room, as Lambda does.
func (p *Poller) invoke(payload []byte, receivedAt time.Time) ([]byte, error) {
	deadline := receivedAt.Add(p.visibility - p.visibility/10)
	backoff := 10 * time.Millisecond
	for {
		resp, err := p.o.Invoke(p.workCtx, payload)
		if err == nil || !isThrottle(err) {
			p.invocations.Add(1)
			return resp, err
		}
		p.throttles.Add(1)
		if time.Now().Add(backoff).After(deadline) || !sleep(p.workCtx, backoff) {
			return nil, err
		}
		backoff = min(2*backoff, time.Second)
	}
}

// isThrottle reports a TooManyRequestsException from lambdalocal in process
// or from a Lambda SDK client.
func isThrottle(err error) bool {
	if errors.Is(err, lambdalocal.ErrTooManyRequests) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "TooManyRequestsException"
}

func (p *Poller) failBatch(msgs []types.Message, what string, err error) {
	p.batchFailures.Add(1)
	p.failed.Add(int64(len(msgs)))
	p.log.Warn("eventsource: "+what+"; the whole batch stays on the queue", "batch", len(msgs), "err", err)
}

// delete removes processed messages with one DeleteMessageBatch. It runs on
// the work context so that Stop lets finished batches be deleted.
func (p *Poller) delete(msgs []types.Message) {
	for len(msgs) > maxBatchSize { // DeleteMessageBatch takes ten at most
		p.delete(msgs[:maxBatchSize])
		msgs = msgs[maxBatchSize:]
	}
	if len(msgs) == 0 {
		return
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	out, err := p.o.SQS.DeleteMessageBatch(p.workCtx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.o.QueueURL), Entries: entries})
	if err != nil {
		p.deleteErrors.Add(int64(len(msgs)))
		p.log.Warn("eventsource: DeleteMessageBatch failed; the processed messages will be delivered again", "batch", len(msgs), "err", err)
		return
	}
	for _, f := range out.Failed {
		p.deleteErrors.Add(1)
		p.log.Warn("eventsource: a processed message could not be deleted; it will be delivered again",
			"code", deref(f.Code), "message", deref(f.Message))
	}
}

// sleep waits d or until ctx ends; it reports whether the full d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
