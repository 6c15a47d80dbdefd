// Package faults makes the local emulators misbehave the way AWS services
// do on a bad day: an Injector wraps the HTTP handler of the local S3, SQS
// or (through Proxy) DynamoDB Local and, for a configured share of the
// requests it is told to target, answers with the service's own retryable
// errors (500 InternalError, 503 SlowDown, throttling), resets the
// connection before the request reaches the service or after the service
// has acted on it (the response is lost), or adds latency. Tests change the
// configuration while the platform runs and read back what was injected.
package faults

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is one way a request can fail.
type Fault int

// The faults, in the order Counts reports them.
const (
	None Fault = iota
	// ServerError answers 500 with the service's internal-error code.
	ServerError
	// Throttle answers with the service's throttling error (S3: 503 SlowDown).
	Throttle
	// ResetBefore resets the connection before the service sees the request.
	ResetBefore
	// ResetAfter lets the service handle the request, then resets the
	// connection instead of answering: the client cannot tell whether the
	// request took effect, and retries it.
	ResetAfter
	numFaults
)

func (f Fault) String() string {
	return [...]string{"none", "server-error", "throttle", "reset-before", "reset-after"}[f]
}

// Protocol is how a service spells its errors.
type Protocol int

// The protocols of the services the platform calls.
const (
	S3       Protocol = iota // REST-XML
	DynamoDB                 // JSON 1.0, X-Amz-Target DynamoDB_20120810.<Op>
	SQS                      // JSON 1.0, X-Amz-Target AmazonSQS.<Op>
)

// Config says which faults to inject and how often. The zero value
// injects nothing.
type Config struct {
	// ErrorRate is the share of targeted requests answered with an error,
	// ServerError or Throttle with equal chance.
	ErrorRate float64
	// ResetRate is the share of targeted requests whose connection is
	// reset, ResetBefore or ResetAfter with equal chance.
	ResetRate float64
	// LatencyRate is the share of targeted requests delayed by a random
	// time of up to Latency before they are handled.
	LatencyRate float64
	Latency     time.Duration
	// Decide, when set, is asked first for each targeted request with its
	// operation name (e.g. "UploadPartCopy", "TransactWriteItems"); a
	// result other than None is injected. Tests use it to fail a chosen
	// call deterministically, or to act (kill a function) at that moment.
	Decide func(op string) Fault
}

// Injector is an http.Handler that injects faults in front of next. It is
// safe for concurrent use; SetConfig takes effect for the next request.
type Injector struct {
	protocol Protocol
	next     http.Handler
	target   func(*http.Request) bool
	cfg      atomic.Pointer[Config]

	requests atomic.Int64
	delayed  atomic.Int64
	injected [numFaults]atomic.Int64
	mu       sync.Mutex
	byOp     map[string]int64 // injected faults per operation
	calls    map[string]int64 // targeted requests per operation
	buckets  map[string]int64 // targeted S3 requests per "operation bucket"
}

// New wraps next, a handler speaking protocol. target picks the requests
// that may be faulted (nil: all of them); the others pass untouched.
func New(protocol Protocol, next http.Handler, target func(*http.Request) bool) *Injector {
	in := &Injector{protocol: protocol, next: next, target: target, byOp: map[string]int64{}, calls: map[string]int64{}, buckets: map[string]int64{}}
	in.cfg.Store(&Config{})
	return in
}

// SetConfig replaces the configuration.
func (in *Injector) SetConfig(c Config) { in.cfg.Store(&c) }

// Counts is what an Injector has done so far.
type Counts struct {
	Requests int64            // targeted requests seen
	Injected map[Fault]int64  // faults injected, by kind (latency excluded)
	Delayed  int64            // requests delayed
	ByOp     map[string]int64 // faults injected, by operation
	Calls    map[string]int64 // targeted requests, by operation
	// ByBucket counts targeted S3 requests by operation and bucket
	// ("ListObjectsV2 my-bucket"), to tell which bucket a census read.
	ByBucket map[string]int64
}

// Total is the number of faults injected.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c.Injected {
		n += v
	}
	return n
}

// Counts returns what was injected since the Injector was made.
func (in *Injector) Counts() Counts {
	c := Counts{Requests: in.requests.Load(), Injected: map[Fault]int64{}, ByOp: map[string]int64{}, Calls: map[string]int64{}, ByBucket: map[string]int64{}}
	for f := ServerError; f < numFaults; f++ {
		c.Injected[f] = in.injected[f].Load()
	}
	c.Delayed = in.delayed.Load()
	in.mu.Lock()
	for k, v := range in.byOp {
		c.ByOp[k] = v
	}
	for k, v := range in.calls {
		c.Calls[k] = v
	}
	for k, v := range in.buckets {
		c.ByBucket[k] = v
	}
	in.mu.Unlock()
	return c
}

func (in *Injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if in.target != nil && !in.target(r) {
		in.next.ServeHTTP(w, r)
		return
	}
	in.requests.Add(1)
	cfg := in.cfg.Load()
	op := Operation(in.protocol, r)
	in.mu.Lock()
	in.calls[op]++
	if in.protocol == S3 {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		in.buckets[op+" "+bucket]++
	}
	in.mu.Unlock()
	fault := None
	if cfg.Decide != nil {
		fault = cfg.Decide(op)
	}
	if fault == None {
		fault = draw(cfg)
	}
	if cfg.LatencyRate > 0 && cfg.Latency > 0 && rand.Float64() < cfg.LatencyRate {
		in.delayed.Add(1)
		if !sleep(r.Context(), time.Duration(rand.Int64N(int64(cfg.Latency)))) {
			return
		}
	}
	if fault != None {
		in.injected[fault].Add(1)
		in.mu.Lock()
		in.byOp[op]++
		in.mu.Unlock()
	}
	switch fault {
	case ServerError, Throttle:
		writeError(w, in.protocol, fault, r.Method == http.MethodHead)
	case ResetBefore:
		reset(w)
	case ResetAfter:
		rec := httptest.NewRecorder()
		in.next.ServeHTTP(rec, r)
		reset(w)
	default:
		in.next.ServeHTTP(w, r)
	}
}

// draw picks a random fault per the configured rates.
func draw(c *Config) Fault {
	x := rand.Float64()
	switch {
	case x < c.ErrorRate/2:
		return ServerError
	case x < c.ErrorRate:
		return Throttle
	case x < c.ErrorRate+c.ResetRate/2:
		return ResetBefore
	case x < c.ErrorRate+c.ResetRate:
		return ResetAfter
	}
	return None
}

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

// reset drops the client's connection with a TCP RST, so the client sees
// "connection reset by peer" as it would from a failing load balancer.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeError answers with the service's own error for fault.
func writeError(w http.ResponseWriter, p Protocol, fault Fault, head bool) {
	status, code, msg := http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
	var body bytes.Buffer
	switch p {
	case S3:
		if fault == Throttle {
			status, code, msg = http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(&body, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>fault-injected</RequestId></Error>`, code, msg)
	case DynamoDB, SQS:
		ns := "com.amazonaws.dynamodb.v20120810#"
		code, msg = "InternalServerError", "Internal server error"
		if p == SQS {
			ns, code = "com.amazonaws.sqs#", "InternalError"
		}
		if fault == Throttle {
			status, code, msg = http.StatusBadRequest, "ThrottlingException", "Rate of requests exceeds the allowed throughput."
			if p == SQS {
				code = "RequestThrottled"
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if p == SQS {
			w.Header().Set("x-amzn-query-error", code+";Receiver")
		}
		fmt.Fprintf(&body, `{"__type":%q,"message":%q}`, ns+code, msg)
	}
	w.Header().Set("x-amz-request-id", "fault-injected")
	w.WriteHeader(status)
	if !head {
		_, _ = w.Write(body.Bytes())
	}
}

// Proxy forwards every request to the service at base (e.g. DynamoDB
// Local, which runs in its own process), so an Injector can sit in front.
func Proxy(base string) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}
	return p, nil
}
