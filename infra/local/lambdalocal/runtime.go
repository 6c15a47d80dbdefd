package lambdalocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// Lambda's quotas and defaults, mirrored so that code which works locally does
// not break on AWS for a reason the local runtime hid.
const (
	// MaxSyncPayload is the request and response quota of a synchronous
	// (RequestResponse) invocation: 6 MB.
	MaxSyncPayload = 6 * 1024 * 1024
	// MaxAsyncPayload is the request quota of an asynchronous (Event)
	// invocation: 1 MB (raised from 256 KB in 2025).
	MaxAsyncPayload = 1024 * 1024
	// DefaultTimeout is Lambda's default function timeout.
	DefaultTimeout = 3 * time.Second
	// AsyncRetries is how often Lambda retries a failed asynchronous
	// invocation by default (MaximumRetryAttempts = 2).
	AsyncRetries = 2
	// DefaultAsyncRetryDelay is Lambda's wait before the first retry of a
	// failed asynchronous invocation; the second retry waits twice as long.
	DefaultAsyncRetryDelay = time.Minute
	// DefaultShutdownTimeout bounds how long Close waits for in-flight work.
	DefaultShutdownTimeout = 30 * time.Second
)

// Invocation types, as sent in X-Amz-Invocation-Type.
const (
	InvocationTypeRequestResponse = "RequestResponse"
	InvocationTypeEvent           = "Event"
	InvocationTypeDryRun          = "DryRun"
)

// Function is one deployable Lambda function: the handler the function's
// main would pass to lambda.Start, under the name it has on AWS.
type Function struct {
	Name string
	// Handler runs the function: NewHandler(fn), given the fn the
	// function's main passes to lambda.Start. Any other lambda.Handler
	// (e.g. one that forwards to the function's bootstrap in another
	// process) is called as is, by concurrent invocations at once, and its
	// response copied. A value of lambda.NewHandler itself is refused:
	// concurrent invocations would overwrite its responses (see NewHandler).
	Handler lambda.Handler
	// Timeout is the per-invocation deadline, as configured on Lambda;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Async is the function's asynchronous invocation configuration:
	// retries and on-failure destination.
	Async EventInvokeConfig
}

// Options configures a Runtime. The zero value is usable.
type Options struct {
	// Region and AccountID build the function ARNs handlers see in
	// lambdacontext; defaults "us-east-1" and "000000000000".
	Region    string
	AccountID string
	// Logger receives one record per invocation attempt; default slog.Default().
	Logger *slog.Logger
	// MaxConcurrency caps concurrent invocations of each function, like
	// reserved concurrency: synchronous invocations beyond it are throttled
	// (TooManyRequestsException), asynchronous ones wait for a free slot.
	// Zero means unlimited.
	MaxConcurrency int
	// AsyncRetryDelay is the wait before the first retry of a failed
	// asynchronous invocation; each further retry doubles it. Zero means
	// DefaultAsyncRetryDelay (Lambda's one minute); tests use milliseconds.
	AsyncRetryDelay time.Duration
	// ShutdownTimeout bounds Close; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Destinations delivers the records of asynchronous invocations that
	// failed every attempt to their function's Async.OnFailure; nil
	// delivers none (the failure is only logged).
	Destinations Destinations
}

// Runtime runs registered Functions the way Lambda would and serves the
// Lambda Invoke API over HTTP. It is safe for concurrent use.
type Runtime struct {
	region, account string
	log             *slog.Logger
	maxConcurrency  int
	retryDelay      time.Duration
	shutdownTimeout time.Duration
	destinations    Destinations

	mu     sync.RWMutex
	fns    map[string]*function
	closed bool // Close has begun: no new asynchronous invocations

	// base is the parent of every handler context; it is canceled when
	// Close finishes (or gives up), which is the local "sandbox shutdown".
	base context.Context
	kill context.CancelFunc
	work inflight

	closeOnce sync.Once
	closeErr  error
}

type function struct {
	Function
	arn    string
	invoke invokeFunc    // calls Handler, returning a response of its own (invoker.go)
	slots  chan struct{} // concurrency semaphore; nil when unlimited

	running sync.Map // *context.CancelCauseFunc of each running attempt, for Kill
}

// errKilled is the cause of a context canceled by Kill.
var errKilled = errors.New("killed")

// validName is Lambda's function-name pattern (CreateFunction).
var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// New returns a Runtime with fns registered. It panics if a Function is
// invalid, since that is a wiring mistake in the local entry point; use
// Register to add functions with an error instead.
func New(opts Options, fns ...Function) *Runtime {
	r := &Runtime{
		region:          orDefault(opts.Region, "us-east-1"),
		account:         orDefault(opts.AccountID, "000000000000"),
		log:             opts.Logger,
		maxConcurrency:  opts.MaxConcurrency,
		retryDelay:      opts.AsyncRetryDelay,
		shutdownTimeout: opts.ShutdownTimeout,
		destinations:    opts.Destinations,
		fns:             make(map[string]*function),
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.retryDelay <= 0 {
		r.retryDelay = DefaultAsyncRetryDelay
	}
	if r.shutdownTimeout <= 0 {
		r.shutdownTimeout = DefaultShutdownTimeout
	}
	r.base, r.kill = context.WithCancel(context.Background())
	if err := r.Register(fns...); err != nil {
		panic(err)
	}
	return r
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Register adds functions; all or none are added. Names must be valid Lambda
// function names and unique.
func (r *Runtime) Register(fns ...Function) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	added := make(map[string]*function, len(fns))
	for _, f := range fns {
		switch {
		case !validName.MatchString(f.Name):
			return fmt.Errorf("lambdalocal: invalid function name %q", f.Name)
		case added[f.Name] != nil || r.fns[f.Name] != nil:
			return fmt.Errorf("lambdalocal: function %q registered twice", f.Name)
		}
		fn, err := r.newFunction(f)
		if err != nil {
			return err
		}
		added[f.Name] = fn
	}
	maps.Copy(r.fns, added)
	return nil
}

func (r *Runtime) newFunction(f Function) (*function, error) {
	if f.Handler == nil {
		return nil, fmt.Errorf("lambdalocal: function %q has no handler", f.Name)
	}
	invoke, err := newInvoker(f.Handler)
	if err != nil {
		return nil, fmt.Errorf("lambdalocal: function %q: %w", f.Name, err)
	}
	if f.Timeout <= 0 {
		f.Timeout = DefaultTimeout
	}
	if n := f.Async.MaximumRetryAttempts; n != nil && (*n < 0 || *n > AsyncRetries) {
		return nil, fmt.Errorf("lambdalocal: function %q: MaximumRetryAttempts %d is not within 0 to %d", f.Name, *n, AsyncRetries)
	}
	fn := &function{Function: f, arn: r.FunctionARN(f.Name), invoke: invoke}
	if r.maxConcurrency > 0 {
		fn.slots = make(chan struct{}, r.maxConcurrency)
	}
	return fn, nil
}

// Replace swaps a registered function's handler and timeout, like a
// deployment of new code: e.g. a handler that forwards to the function's
// real bootstrap in another process. Invocations in flight finish on the
// old handler.
func (r *Runtime) Replace(f Function) error {
	fn, err := r.newFunction(f)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fns[f.Name] == nil {
		return fmt.Errorf("lambdalocal: function %q is not registered", f.Name)
	}
	r.fns[f.Name] = fn
	return nil
}

// Kill ends every running invocation of the function at once, as if its
// sandboxes died (out of memory, a crash): each reports Runtime.ExitError
// to its caller, and asynchronous ones are retried as Lambda retries them.
// The handlers see their context canceled; what they had done stays done.
// It returns how many invocations it killed.
func (r *Runtime) Kill(name string) int {
	r.mu.RLock()
	fn := r.fns[name]
	r.mu.RUnlock()
	if fn == nil {
		return 0
	}
	n := 0
	fn.running.Range(func(k, _ any) bool {
		(*k.(*context.CancelCauseFunc))(errKilled)
		n++
		return true
	})
	return n
}

// Functions returns the registered function names, sorted.
func (r *Runtime) Functions() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.fns))
	for n := range r.fns {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// FunctionARN returns the unqualified ARN the function has in this runtime,
// e.g. for configuring callers that invoke by ARN.
func (r *Runtime) FunctionARN(name string) string {
	return "arn:aws:lambda:" + r.region + ":" + r.account + ":function:" + name
}

// Invoke runs the function synchronously in-process, as InvocationType
// RequestResponse would. name may be a name or (partial) ARN. A failed
// invocation returns a *FunctionError; a rejected one a *ServiceError. If ctx
// ends first Invoke returns ctx.Err(), but the handler keeps running to its
// own deadline, as on Lambda, where a caller hanging up does not stop it.
func (r *Runtime) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	inv, err := r.prepare(name, "", payload, InvocationTypeRequestResponse)
	if err != nil {
		r.logRejected(name, InvocationTypeRequestResponse, err)
		return nil, err
	}
	return r.invokeSync(ctx, inv)
}

// InvokeAsync queues the function to run in the background, as
// InvocationType Event would: on a function error it is retried twice (or
// Async.MaximumRetryAttempts times), after AsyncRetryDelay and twice that,
// and a final failure's record goes to the function's on-failure
// destination (Async.OnFailure), or is logged when it has none. It returns the request id the
// attempts share, or why the event was not accepted (also logged, for the
// fire-and-forget caller that ignores it).
func (r *Runtime) InvokeAsync(name string, payload []byte) (requestID string, err error) {
	inv, err := r.prepare(name, "", payload, InvocationTypeEvent)
	if err == nil {
		err = r.enqueue(inv)
	}
	if err != nil {
		r.logRejected(name, InvocationTypeEvent, err)
		return "", err
	}
	return inv.requestID, nil
}

// Close stops accepting asynchronous invocations and waits, at most
// ShutdownTimeout, for everything in flight (running handlers, queued
// events and pending retries) so Ctrl-C does not cut work short. It then
// cancels every handler context. It returns an error if the bound expired.
// Synchronous invocations are still accepted until Close returns, so
// in-flight work can finish calling other functions.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		defer r.kill()

		timer := time.NewTimer(r.shutdownTimeout)
		defer timer.Stop()
		for {
			idle, _ := r.work.idle()
			if idle == nil {
				return
			}
			select {
			case <-idle:
			case <-timer.C:
				_, n := r.work.idle()
				r.closeErr = fmt.Errorf("lambdalocal: %d invocation(s) still in flight after %s; their contexts were canceled", n, r.shutdownTimeout)
				r.log.Warn("lambda runtime shutdown timed out", slog.Int("in_flight", n), slog.Duration("timeout", r.shutdownTimeout))
				return
			}
		}
	})
	return r.closeErr
}

// invocation is one accepted request; its attempts share the request id, as
// Lambda's retries of one asynchronous event do.
type invocation struct {
	fn            *function
	requestID     string
	kind          string // InvocationType*
	arn           string // InvokedFunctionArn: qualified if the caller qualified
	payload       []byte
	clientContext *lambdacontext.ClientContext
	tenantID      string
}

// prepare resolves the target and checks the payload against Lambda's rules,
// so every path (HTTP or in-process) rejects the same things.
func (r *Runtime) prepare(target, qualifier string, payload []byte, kind string) (*invocation, error) {
	name, q, ok := parseFunctionName(target)
	if q == "" {
		q = qualifier
	}
	var fn *function
	if ok {
		r.mu.RLock()
		fn = r.fns[name]
		r.mu.RUnlock()
	}
	if fn == nil {
		if !ok {
			return nil, serviceErr(ErrFunctionNotFound, "Function not found: %s", target)
		}
		return nil, serviceErr(ErrFunctionNotFound, "Function not found: %s", qualify(r.FunctionARN(name), q))
	}
	limit := MaxSyncPayload
	if kind == InvocationTypeEvent {
		limit = MaxAsyncPayload
	}
	if len(payload) > limit {
		return nil, serviceErr(ErrRequestTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		payload = []byte("{}") // what Lambda hands a function invoked without a payload
	} else {
		var raw json.RawMessage
		if err := json.Unmarshal(payload, &raw); err != nil {
			return nil, serviceErr(ErrInvalidRequestContent, "Could not parse request body into json: %v", err)
		}
		payload = raw // a copy: the caller may reuse its buffer once we return
	}
	return &invocation{
		fn:        fn,
		requestID: uuid.NewString(),
		kind:      kind,
		arn:       qualify(fn.arn, q),
		payload:   payload,
	}, nil
}

func qualify(arn, qualifier string) string {
	if qualifier == "" {
		return arn
	}
	return arn + ":" + qualifier
}

// parseFunctionName accepts every FunctionName form the Invoke API does:
// "name", "name:qualifier", "123456789012:function:name[:qualifier]",
// "arn:aws:lambda:region:account:function:name[:qualifier]" (and the
// shorter forms Lambda's pattern allows). Account and region are ignored.
func parseFunctionName(id string) (name, qualifier string, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) >= 3 && parts[0] == "arn" {
		if !strings.HasPrefix(parts[1], "aws") || parts[2] != "lambda" {
			return "", "", false
		}
		parts = parts[3:]
	}
	if i := slices.Index(parts, "function"); i >= 0 && i < len(parts)-1 {
		parts = parts[i+1:]
	}
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		name, qualifier = parts[0], parts[1]
	default:
		return id, "", false
	}
	return name, qualifier, validName.MatchString(name)
}

// invokeSync runs one synchronous attempt, throttling rather than queueing
// when the function is at its concurrency limit, as Lambda does.
func (r *Runtime) invokeSync(ctx context.Context, inv *invocation) ([]byte, error) {
	var err error
	switch {
	case r.base.Err() != nil:
		err = serviceErr(ErrClosed, "the local Lambda runtime is shut down")
	case !inv.fn.tryAcquire():
		e := serviceErr(ErrTooManyRequests, "Rate Exceeded.")
		e.Reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
		err = e
	}
	if err != nil {
		r.logRejected(inv.fn.Name, inv.kind, err)
		return nil, err
	}
	return r.attempt(ctx, inv, 1)
}

// enqueue accepts an asynchronous invocation unless Close has begun. The
// in-flight count is taken under the same lock Close sets closed with, so
// Close never misses work it should wait for.
func (r *Runtime) enqueue(inv *invocation) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return serviceErr(ErrClosed, "the local Lambda runtime is shutting down")
	}
	r.work.add()
	r.mu.Unlock()
	go r.runAsync(inv)
	return nil
}

// runAsync is Lambda's event queue for one event: wait for a concurrency
// slot, run, on a function error retry (twice by default) with a doubling
// delay, and send the record of the last failure to the on-failure
// destination.
func (r *Runtime) runAsync(inv *invocation) {
	defer r.work.done()
	delay := r.retryDelay
	for n := 1; ; n++ {
		if !inv.fn.acquire(r.base) {
			r.logDropped(inv, n, "runtime shut down while the event waited for a concurrency slot")
			return
		}
		_, err := r.attempt(context.Background(), inv, n)
		if err == nil {
			return
		}
		if n > inv.fn.retries() {
			if r.sendFailure(inv, n, err) {
				return
			}
			r.log.Error("lambda async invocation failed, no retries left",
				slog.String("function", inv.fn.Name), slog.String("request_id", inv.requestID),
				slog.Int("attempts", n), slog.String("error", err.Error()))
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.base.Done():
			t.Stop()
			r.logDropped(inv, n+1, "runtime shut down before the retry was due")
			return
		}
		delay *= 2
	}
}

// attempt runs the handler once. The caller must hold a concurrency slot;
// it is released when the handler goroutine actually returns, which for a
// timed-out handler may be long after attempt has reported the timeout.
func (r *Runtime) attempt(waitCtx context.Context, inv *invocation, n int) ([]byte, error) {
	start := time.Now()
	deadlineCtx, cancelDeadline := context.WithDeadline(r.base, start.Add(inv.fn.Timeout))
	ctx, kill := context.WithCancelCause(deadlineCtx)
	cancel := func() { kill(nil); cancelDeadline() }
	inv.fn.running.Store(&kill, struct{}{})
	lc := &lambdacontext.LambdaContext{AwsRequestID: inv.requestID, InvokedFunctionArn: inv.arn, TenantID: inv.tenantID}
	if inv.clientContext != nil {
		lc.ClientContext = *inv.clientContext
	}
	ctx = lambdacontext.NewContext(ctx, lc)

	// The handler goroutine stores its outcome then closes finished, so
	// several waiters can observe it without consuming anything.
	var (
		out      []byte
		ferr     *FunctionError
		finished = make(chan struct{})
	)
	r.work.add()
	go func() {
		defer r.work.done()
		defer inv.fn.release()
		defer cancel()
		defer inv.fn.running.Delete(&kill)
		out, ferr = call(ctx, inv.fn.invoke, inv.payload)
		close(finished)
	}()

	// outcome waits for the handler, or reports a timeout at its deadline.
	outcome := func() ([]byte, *FunctionError) {
		select {
		case <-finished:
			return out, ferr
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), errKilled) {
				return nil, r.deadlineError(ctx, inv) // a dead sandbox answers nothing
			}
			select {
			case <-finished: // returned as the deadline hit: keep its result
				return out, ferr
			default:
				return nil, r.deadlineError(ctx, inv)
			}
		}
	}
	select {
	case <-finished:
	case <-ctx.Done():
	case <-waitCtx.Done():
		select {
		case <-finished:
		default:
			// The caller hung up; the handler runs on, as on Lambda, and
			// its outcome is still logged.
			r.work.add()
			go func() {
				defer r.work.done()
				r.finish(inv, n, start, outcome)
			}()
			return nil, waitCtx.Err()
		}
	}
	return r.finish(inv, n, start, outcome)
}

// finish applies the response quota, stamps and logs the attempt's outcome.
func (r *Runtime) finish(inv *invocation, n int, start time.Time, outcome func() ([]byte, *FunctionError)) ([]byte, error) {
	out, ferr := outcome()
	if ferr == nil && inv.kind != InvocationTypeEvent && len(out) > MaxSyncPayload {
		out, ferr = nil, &FunctionError{Type: ErrorTypeResponseTooLarge,
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxSyncPayload)}
	}
	var err error
	if ferr != nil {
		ferr.Function, ferr.RequestID = inv.fn.Name, inv.requestID
		err = ferr
		out = nil
	}
	r.logAttempt(inv, n, time.Since(start), err)
	return out, err
}

func (r *Runtime) deadlineError(ctx context.Context, inv *invocation) *FunctionError {
	if errors.Is(context.Cause(ctx), errKilled) {
		return &FunctionError{Type: ErrorTypeExit, Message: fmt.Sprintf(
			"RequestId: %s Error: Runtime exited with error: signal: killed", inv.requestID)}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &FunctionError{Type: ErrorTypeTimeout, Message: fmt.Sprintf(
			"RequestId: %s Error: Task timed out after %.2f seconds", inv.requestID, inv.fn.Timeout.Seconds())}
	}
	return &FunctionError{Type: ErrorTypeShutdown, Message: fmt.Sprintf(
		"RequestId: %s Error: the local Lambda runtime shut down before the function returned", inv.requestID)}
}

// call invokes the handler, turning a panic into a function error like the
// Lambda Go runtime does (it then exits; the local runtime keeps serving).
func call(ctx context.Context, invoke invokeFunc, payload []byte) (out []byte, ferr *FunctionError) {
	defer func() {
		if v := recover(); v != nil {
			out, ferr = nil, panicError(v)
		}
	}()
	out, err := invoke(ctx, payload)
	if err != nil {
		return nil, handlerError(err)
	}
	return out, nil
}

func (f *function) tryAcquire() bool {
	if f.slots == nil {
		return true
	}
	select {
	case f.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (f *function) acquire(ctx context.Context) bool {
	if f.slots == nil {
		return ctx.Err() == nil
	}
	select {
	case f.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *function) release() {
	if f.slots != nil {
		<-f.slots
	}
}

// logAttempt records one attempt. Payloads are never logged: they carry
// customer data and credentials references.
func (r *Runtime) logAttempt(inv *invocation, n int, d time.Duration, err error) {
	attrs := []slog.Attr{
		slog.String("function", inv.fn.Name),
		slog.String("request_id", inv.requestID),
		slog.String("invocation_type", inv.kind),
		slog.Int("attempt", n),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000), // as the gateway's request lines
	}
	level := slog.LevelInfo
	var fe *FunctionError
	switch {
	case errors.As(err, &fe):
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error_type", fe.Type), slog.String("error", fe.Message))
		if fe.Panicked {
			level = slog.LevelError
			attrs = append(attrs, slog.String("stack", formatStack(fe)))
		}
	case err != nil:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", "caller stopped waiting: "+err.Error()))
	}
	r.log.LogAttrs(context.Background(), level, "lambda invocation", attrs...)
}

func (r *Runtime) logRejected(name, kind string, err error) {
	r.log.Warn("lambda invocation rejected", slog.String("function", name),
		slog.String("invocation_type", kind), slog.String("error", err.Error()))
}

func (r *Runtime) logDropped(inv *invocation, n int, why string) {
	r.log.Error("lambda async invocation dropped", slog.String("function", inv.fn.Name),
		slog.String("request_id", inv.requestID), slog.Int("attempt", n), slog.String("reason", why))
}

// inflight counts running work so Close can wait for zero. Unlike a
// sync.WaitGroup it allows new work to start while someone is waiting,
// which synchronous invocations during shutdown need.
type inflight struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops back to 0
}

func (t *inflight) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *inflight) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
	t.mu.Unlock()
}

// idle returns nil if nothing is in flight, else a channel closed when the
// count next reaches zero, and the current count.
func (t *inflight) idle() (<-chan struct{}, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		return nil, 0
	}
	return t.zero, t.n
}
