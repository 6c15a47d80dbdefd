package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
)

const account = "000000000000" // sqslocal's default

// env is one sqslocal server behind httptest with a real SDK client.
type env struct {
	c        *sqs.Client
	receives atomic.Int64 // ReceiveMessage calls seen by the server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{}
	srv := sqslocal.New(sqslocal.Options{Hook: func(op string) error {
		if op == "ReceiveMessage" {
			e.receives.Add(1)
		}
		return nil
	}})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close() // ends long polls first, so ts.Close need not wait
		ts.Close()
	})
	e.c = sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(ts.URL),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
	return e
}

func (e *env) queue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	return *out.QueueUrl
}

// send puts the bodies on the queue, ten per call, each with a Number
// message attribute "n" holding its index.
func (e *env) send(t testing.TB, url string, bodies ...string) {
	t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j := i; j < min(i+10, len(bodies)); j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{
				Id:          aws.String(strconv.Itoa(j)),
				MessageBody: aws.String(bodies[j]),
				MessageAttributes: map[string]types.MessageAttributeValue{
					"n": {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(j))},
				},
			})
		}
		out, err := e.c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
	}
}

// depth returns the queue's visible + in-flight + delayed message counts.
func (e *env) depth(t testing.TB, url string) int {
	t.Helper()
	out, err := e.c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		v, _ := strconv.Atoi(out.Attributes[k])
		n += v
	}
	return n
}

// expire ends the visibility timeout of in-flight messages at once
// (ChangeMessageVisibilityBatch to 0), as if it had run out. The tests'
// queues keep SQS's default 30 s visibility timeout, which no loaded machine
// makes a processed message outlive before its delete (with a 1 s one, a
// slow delete meant a second delivery); once the poller is done with a
// failed delivery, a test expires it so that it comes back at once. A
// message the poller deleted has no current receipt handle: expire fails.
func (e *env) expire(t testing.TB, url string, msgs ...events.SQSMessage) {
	t.Helper()
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		var entries []types.ChangeMessageVisibilityBatchRequestEntry
		for i, m := range msgs[:n] {
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: 0,
			})
		}
		out, err := e.c.ChangeMessageVisibilityBatch(context.Background(), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil {
			t.Fatalf("ChangeMessageVisibilityBatch: %v", err)
		}
		for _, f := range out.Failed {
			t.Fatalf("ChangeMessageVisibilityBatch: %s: %s (was the message deleted?)", aws.ToString(f.Code), aws.ToString(f.Message))
		}
		msgs = msgs[n:]
	}
}

func bodies(prefix string, n int) []string {
	b := make([]string, n)
	for i := range b {
		b[i] = prefix + strconv.Itoa(i)
	}
	return b
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// patience is how long a test waits for something that must happen: far
// longer than it takes, so that only a failure, not a loaded machine, runs
// out of it.
const patience = time.Minute

// eventually polls cond every 10 ms until it holds, failing after patience.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", patience, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor waits for done to be closed, failing after patience.
func waitFor(t testing.TB, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("timed out after %v waiting for %s", patience, what)
	}
}

// recorder is a Go func standing in for the worker: it decodes every event
// with aws-lambda-go's type and keeps what it saw.
type recorder struct {
	mu       sync.Mutex
	seen     map[string][]events.SQSMessage // by body, one entry per delivery
	batches  int
	cur, max int
	// decide returns the response for a batch, or an error for a function
	// error. Nil: success with an empty batchItemFailures list.
	decide func(ev events.SQSEvent, call int) ([]byte, error)
	delay  time.Duration
	// hold, if set, makes each invocation wait (up to patience) until hold
	// invocations have run at once, so a concurrency limit is reached
	// however slow the machine is.
	hold int
}

func (r *recorder) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string][]events.SQSMessage{}
	}
	r.batches++
	call := r.batches
	r.cur++
	r.max = max(r.max, r.cur)
	for _, m := range ev.Records {
		r.seen[m.Body] = append(r.seen[m.Body], m)
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cur--
		r.mu.Unlock()
	}()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	for deadline := time.Now().Add(patience); r.hold > 0 && time.Now().Before(deadline); {
		r.mu.Lock()
		reached := r.max >= r.hold
		r.mu.Unlock()
		if reached {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if r.decide != nil {
		return r.decide(ev, call)
	}
	return []byte(`{"batchItemFailures":[]}`), nil
}

func (r *recorder) deliveries(body string) []events.SQSMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[body]
}

func failures(ids ...string) []byte {
	var resp events.SQSEventResponse
	resp.BatchItemFailures = []events.SQSBatchItemFailure{}
	for _, id := range ids {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	b, _ := json.Marshal(resp)
	return b
}

func TestAllMessagesProcessedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	const n = 500
	e.send(t, url, bodies("task-", n)...)

	rec := &recorder{}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, Logger: testLogger(t)})
	eventually(t, "all messages processed", func() bool { return p.Stats().Succeeded >= n })
	p.Stop()

	if d := e.depth(t, url); d != 0 {
		t.Errorf("queue still holds %d messages", d)
	}
	wantARN := "arn:aws:sqs:us-east-1:" + account + ":tasks"
	for i, b := range bodies("task-", n) {
		got := rec.deliveries(b)
		if len(got) != 1 {
			t.Fatalf("%s delivered %d times, want 1", b, len(got))
		}
		m := got[0]
		sum := md5.Sum([]byte(b))
		switch {
		case m.EventSource != "aws:sqs", m.EventSourceARN != wantARN, m.AWSRegion != "us-east-1":
			t.Fatalf("record source = %q %q %q", m.EventSource, m.EventSourceARN, m.AWSRegion)
		case m.Md5OfBody != hex.EncodeToString(sum[:]):
			t.Fatalf("md5OfBody = %s", m.Md5OfBody)
		case m.MessageId == "" || m.ReceiptHandle == "":
			t.Fatalf("no messageId or receiptHandle: %+v", m)
		case m.Attributes["ApproximateReceiveCount"] != "1", m.Attributes["SentTimestamp"] == "",
			m.Attributes["ApproximateFirstReceiveTimestamp"] == "", m.Attributes["SenderId"] != account:
			t.Fatalf("attributes = %v", m.Attributes)
		case m.MessageAttributes["n"].DataType != "Number" || *m.MessageAttributes["n"].StringValue != strconv.Itoa(i):
			t.Fatalf("messageAttributes = %+v", m.MessageAttributes)
		case m.Md5OfMessageAttributes == "":
			t.Fatal("no md5OfMessageAttributes")
		}
	}
	s := p.Stats()
	if s.Received != n || s.Succeeded != n || s.Failed != 0 || s.BatchFailures != 0 || s.DeleteErrors != 0 {
		t.Errorf("stats = %+v", s)
	}
	if s.Invocations >= n/2 { // batches of up to 10: far fewer invocations than messages
		t.Errorf("%d invocations for %d messages: batching is not happening", s.Invocations, n)
	}
}

func TestPartialBatchFailureRedeliversOnlyFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	const n = 30
	all := bodies("m", n)
	e.send(t, url, all...)
	failing := func(body string) bool { i, _ := strconv.Atoi(body[1:]); return i%3 == 0 }

	rec := &recorder{decide: func(ev events.SQSEvent, _ int) ([]byte, error) {
		var ids []string
		for _, m := range ev.Records {
			if failing(m.Body) && m.Attributes["ApproximateReceiveCount"] == "1" {
				ids = append(ids, m.MessageId)
			}
		}
		return failures(ids...), nil
	}}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, Logger: testLogger(t)})
	// Every first delivery handled: the failures reported, the successes
	// deleted. Then the failures' visibility timeout ends.
	eventually(t, "the first deliveries handled", func() bool { return p.Stats().Failed >= n/3 && e.depth(t, url) == n/3 })
	var failed []events.SQSMessage
	for _, b := range all {
		if failing(b) {
			failed = append(failed, rec.deliveries(b)[0])
		}
	}
	e.expire(t, url, failed...)
	eventually(t, "all messages processed", func() bool { return p.Stats().Succeeded >= n })
	p.Stop()

	for _, b := range all {
		got := rec.deliveries(b)
		want := 1
		if failing(b) {
			want = 2
		}
		if len(got) != want {
			t.Errorf("%s delivered %d times, want %d", b, len(got), want)
		} else if want == 2 && got[1].Attributes["ApproximateReceiveCount"] != "2" {
			t.Errorf("%s redelivered with ApproximateReceiveCount %s", b, got[1].Attributes["ApproximateReceiveCount"])
		}
	}
	if s := p.Stats(); s.Failed != n/3 || s.Succeeded != n || s.BatchFailures != 0 {
		t.Errorf("stats = %+v", s)
	}
	if d := e.depth(t, url); d != 0 {
		t.Errorf("queue still holds %d messages", d)
	}
}

// TestWholeBatchFailures: a function error or a response Lambda rejects
// leaves every message of the batch on the queue, successes included.
func TestWholeBatchFailures(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name     string
		response func(ev events.SQSEvent) ([]byte, error)
	}{
		{"function error", func(events.SQSEvent) ([]byte, error) { return nil, errors.New("boom") }},
		{"bogus itemIdentifier", func(ev events.SQSEvent) ([]byte, error) {
			return failures(ev.Records[0].MessageId, "not-in-this-batch"), nil
		}},
		{"empty itemIdentifier", func(events.SQSEvent) ([]byte, error) { return failures(""), nil }},
		{"unparsable response", func(events.SQSEvent) ([]byte, error) { return []byte(`{"batchItemFailures":`), nil }},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			url := e.queue(t, "tasks", nil)
			all := bodies("m", 5)
			e.send(t, url, all...)
			rec := &recorder{decide: func(ev events.SQSEvent, call int) ([]byte, error) {
				if call == 1 {
					return tc.response(ev)
				}
				return nil, nil // a Go handler that returns only an error answers null
			}}
			// One slot and a batch of 5: the first invocation gets every message.
			p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, MaxConcurrency: 1, BatchSize: 5, Logger: testLogger(t)})
			eventually(t, "the failed batch handled", func() bool { return p.Stats().Failed >= 5 })
			var first []events.SQSMessage
			for _, b := range all {
				first = append(first, rec.deliveries(b)[0])
			}
			e.expire(t, url, first...)
			eventually(t, "all messages processed", func() bool { return p.Stats().Succeeded >= 5 })
			p.Stop()
			for _, b := range all {
				if got := rec.deliveries(b); len(got) != 2 {
					t.Errorf("%s delivered %d times, want 2", b, len(got))
				}
			}
			if s := p.Stats(); s.BatchFailures != 1 || s.Failed != 5 || s.Invocations != 2 {
				t.Errorf("stats = %+v", s)
			}
			if d := e.depth(t, url); d != 0 {
				t.Errorf("queue still holds %d messages", d)
			}
		})
	}
}

func TestMaxConcurrencyNeverExceeded(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name                      string
		maxConcurrency, batchSize int
		messages                  int
	}{
		{"small limit, single messages", 3, 1, 150},
		{"platform default of 90", 0, 10, 2000},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			url := e.queue(t, "tasks", nil)
			e.send(t, url, bodies("m", tc.messages)...)
			limit := tc.maxConcurrency
			if limit == 0 {
				limit = DefaultMaxConcurrency
			}
			rec := &recorder{delay: time.Millisecond, hold: limit}
			p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke,
				MaxConcurrency: tc.maxConcurrency, BatchSize: tc.batchSize, Logger: testLogger(t)})
			eventually(t, "all messages processed", func() bool { return p.Stats().Succeeded >= int64(tc.messages) })
			p.Stop()
			rec.mu.Lock()
			peak := rec.max
			rec.mu.Unlock()
			if peak > limit {
				t.Errorf("%d concurrent invocations, limit %d", peak, limit)
			}
			// The pollers scale up until the limit is reached.
			if peak < limit {
				t.Errorf("peak concurrency %d, want %d", peak, limit)
			}
		})
	}
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dlq := e.queue(t, "tasks-dlq", nil)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:%s:tasks-dlq","maxReceiveCount":"2"}`, account)
	url := e.queue(t, "tasks", map[string]string{"RedrivePolicy": policy})
	e.send(t, url, "poison", "fine")
	rec := &recorder{decide: func(ev events.SQSEvent, _ int) ([]byte, error) {
		var ids []string
		for _, m := range ev.Records {
			if m.Body == "poison" {
				ids = append(ids, m.MessageId)
			}
		}
		return failures(ids...), nil
	}}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, Logger: testLogger(t)})
	defer p.Stop()
	for i := range 2 { // maxReceiveCount failed deliveries; the next receive moves it
		eventually(t, fmt.Sprintf("failed delivery %d of the poison message handled", i+1), func() bool { return p.Stats().Failed > int64(i) })
		e.expire(t, url, rec.deliveries("poison")[i])
	}

	var dead []types.Message
	eventually(t, "the poison message in the DLQ", func() bool {
		out, err := e.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &dlq, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		dead = out.Messages
		return len(dead) > 0
	})
	if *dead[0].Body != "poison" {
		t.Errorf("DLQ holds %q", *dead[0].Body)
	}
	if got := len(rec.deliveries("poison")); got != 2 {
		t.Errorf("poison delivered %d times, want maxReceiveCount = 2", got)
	}
	if got := len(rec.deliveries("fine")); got != 1 {
		t.Errorf("fine delivered %d times, want 1", got)
	}
	eventually(t, "an empty source queue", func() bool { return e.depth(t, url) == 0 })
}

func TestStopWaitsForInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	e.send(t, url, "slow")
	started, release := make(chan struct{}), make(chan struct{})
	invoke := func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-release
		return nil, nil
	}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: invoke, Logger: testLogger(t)})
	<-started
	stopped := make(chan struct{})
	go func() {
		p.Stop()
		close(stopped)
	}()
	// A quiet period for a negative check: a slow machine only makes it
	// weaker (Stop may not have got far), never wrong.
	select {
	case <-stopped:
		t.Fatal("Stop returned while an invocation was running")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	waitFor(t, "Stop to return after the invocation ended", stopped)
	if s := p.Stats(); s.Succeeded != 1 || s.DeleteErrors != 0 {
		t.Errorf("stats = %+v", s)
	}
	if d := e.depth(t, url); d != 0 {
		t.Errorf("the finished message was not deleted: depth %d", d)
	}
	p.Stop() // idempotent
}

func TestStopIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	e.send(t, url, "stuck")
	started := make(chan struct{})
	invoke := func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: invoke, StopTimeout: 200 * time.Millisecond, Logger: testLogger(t)})
	<-started
	begin := time.Now()
	p.Stop()
	// The invocation ends only when Stop cancels it, which it must do after
	// the 200ms StopTimeout; a Stop that ignored it would take the 30 s of
	// DefaultStopTimeout, far more than a loaded machine adds.
	took := time.Since(begin)
	if took < 200*time.Millisecond || took >= DefaultStopTimeout {
		t.Errorf("Stop took %v with a 200ms StopTimeout", took)
	}
	// Returning sooner than StopTimeout + stopGrace, Stop had waited for the
	// cancelled invocation to finish. Later, its grace ran out first (a slow
	// machine): the invocation may still be finishing.
	if took >= 200*time.Millisecond+stopGrace {
		eventually(t, "the cancelled invocation to finish", func() bool { return p.Stats().Failed == 1 })
	}
	if s := p.Stats(); s.Failed != 1 || s.Succeeded != 0 {
		t.Errorf("stats = %+v", s)
	}
	if d := e.depth(t, url); d != 1 {
		t.Errorf("the cancelled message should stay on the queue: depth %d", d)
	}
}

// TestIdleQueueLongPolls: an empty queue costs a handful of receives per
// WaitTime.
func TestIdleQueueLongPolls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	begin := time.Now()
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: (&recorder{}).invoke, Logger: testLogger(t)})
	time.Sleep(1500 * time.Millisecond) // time for a busy loop to show
	p.Stop()
	// Each of the minPollers pollers has a receive open from the start,
	// and starts another one only after the last waited DefaultWaitTime on
	// the empty queue: the time that passed, however long a loaded machine
	// made it, bounds the receives.
	took := time.Since(begin)
	if n, most := e.receives.Load(), int64(minPollers)*(1+int64(took/DefaultWaitTime)); n > most {
		t.Errorf("%d ReceiveMessage calls in %v on an empty queue, more than %d: busy loop", n, took, most)
	}
}

// TestStopDoesNotWaitForLongPolls: Stop cancels the receives open on an
// idle queue instead of letting them run out.
func TestStopDoesNotWaitForLongPolls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	const wait = 20 * time.Second // the longest long poll
	begin := time.Now()
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: (&recorder{}).invoke, WaitTime: wait, Logger: testLogger(t)})
	eventually(t, "every poller's long poll to start", func() bool { return e.receives.Load() >= minPollers })
	p.Stop()
	// The polls started after begin, so they could not have run out before
	// begin + wait: a Stop that returns earlier did not wait for them.
	if took := time.Since(begin); took >= wait {
		t.Errorf("Stop returned %v after Start on an idle queue: it waited for the %v long polls", took, wait)
	}
}

// TestContextEndsReceiving: cancelling Start's context stops receiving.
func TestContextEndsReceiving(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	ctx, cancel := context.WithCancel(t.Context())
	rec := &recorder{}
	p := Start(ctx, Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, Logger: testLogger(t)})
	cancel()
	pollersDone := make(chan struct{})
	go func() {
		p.pollers.Wait()
		close(pollersDone)
	}()
	waitFor(t, "every poller to stop after the cancel", pollersDone)
	e.send(t, url, "late")
	// A quiet period for a negative check: a slow machine only makes it
	// weaker, never wrong.
	time.Sleep(200 * time.Millisecond)
	p.Stop()
	if got := len(rec.deliveries("late")); got != 0 {
		t.Errorf("message sent after cancel delivered %d times", got)
	}
}

func TestThrottledInvocationsAreRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	e.send(t, url, "m")
	var calls atomic.Int32
	invoke := func(ctx context.Context, _ []byte) ([]byte, error) {
		if calls.Add(1) <= 3 {
			return nil, fmt.Errorf("invoke: %w", lambdalocal.ErrTooManyRequests)
		}
		return nil, nil
	}
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: invoke, Logger: testLogger(t)})
	eventually(t, "the message processed", func() bool { return p.Stats().Succeeded == 1 })
	p.Stop()
	if s := p.Stats(); s.Throttles != 3 || s.Invocations != 1 || s.BatchFailures != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestWithLambdaLocal wires the mapping to a handler registered in the
// local Lambda runtime, as the local platform does with the worker: the
// handler's events.SQSEventResponse and its errors go through lambdalocal.
func TestWithLambdaLocal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "tasks", nil)
	e.send(t, url, "ok-1", "retry-once", "ok-2", "error-once")
	var mu sync.Mutex
	seen := map[string]int{}
	var failed []events.SQSMessage // the messages the handler failed
	handler := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		var retry []events.SQSMessage
		for _, m := range ev.Records {
			seen[m.Body]++
			if m.Body == "error-once" && seen[m.Body] == 1 {
				failed = append(failed, ev.Records...) // the whole batch
				return resp, errors.New("worker crashed")
			}
			if m.Body == "retry-once" && seen[m.Body] == 1 {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				retry = append(retry, m)
			}
		}
		failed = append(failed, retry...)
		return resp, nil
	}
	rt := lambdalocal.New(lambdalocal.Options{Logger: testLogger(t)},
		lambdalocal.Function{Name: "s3connections-worker", Handler: lambdalocal.NewHandler(handler), Timeout: time.Minute})
	t.Cleanup(func() { _ = rt.Close() })
	p := Start(t.Context(), Options{
		QueueURL: url, SQS: e.c, FunctionARN: rt.FunctionARN("s3connections-worker"), Logger: testLogger(t),
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
			return rt.Invoke(ctx, "s3connections-worker", payload)
		},
	})
	// Every first delivery handled: the failures reported, the rest deleted.
	// Then the failures' visibility timeout ends.
	eventually(t, "the first deliveries handled", func() bool {
		mu.Lock()
		delivered, nFailed := len(seen), len(failed)
		mu.Unlock()
		return delivered == 4 && p.Stats().Failed == int64(nFailed) && e.depth(t, url) == nFailed
	})
	mu.Lock()
	first := slices.Clone(failed)
	mu.Unlock()
	e.expire(t, url, first...)
	eventually(t, "every message processed", func() bool { return e.depth(t, url) == 0 })
	p.Stop()
	mu.Lock()
	defer mu.Unlock()
	if seen["retry-once"] != 2 || seen["error-once"] != 2 {
		t.Errorf("deliveries = %v", seen)
	}
	if s := p.Stats(); s.BatchFailures < 1 {
		t.Errorf("stats = %+v, want the function error counted", s)
	}
}

// With a batching window, one invocation gathers up to BatchSize messages
// from several receives, and every message is deleted once processed
// (DeleteMessageBatch takes ten at a time).
func TestBatchingWindowGathersLargeBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.queue(t, "window", nil)
	all := bodies("w", 250)
	e.send(t, url, all...)
	rec := &recorder{}
	// A window long enough that no loaded machine cuts a batch short.
	p := Start(t.Context(), Options{QueueURL: url, SQS: e.c, Invoke: rec.invoke, MaxConcurrency: 1,
		BatchSize: 100, BatchingWindow: time.Minute, Logger: testLogger(t)})
	eventually(t, "all messages processed", func() bool { return p.Stats().Succeeded >= 250 })
	p.Stop()
	if s := p.Stats(); s.Invocations != 3 || s.Received != 250 {
		t.Errorf("stats = %+v, want 250 messages in 3 invocations (100, 100, 50)", s)
	}
	for _, b := range all {
		if got := rec.deliveries(b); len(got) != 1 {
			t.Errorf("%s delivered %d times, want 1", b, len(got))
		}
	}
	if d := e.depth(t, url); d != 0 {
		t.Errorf("queue still holds %d messages", d)
	}
}
