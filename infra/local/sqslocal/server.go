package sqslocal

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// AccountID appears in queue URLs and ARNs. Default "000000000000".
	AccountID string
	// Region appears in queue ARNs. Default "us-east-1".
	Region string
	// BaseURL is the scheme and host used to build queue URLs, e.g.
	// "http://127.0.0.1:4566". Empty means "http://" plus the Host of each
	// request, which is right for httptest servers; it can also be set later
	// with SetBaseURL once the listener's address is known.
	BaseURL string
	// Hook, if set, runs before every operation with the operation name
	// (e.g. "SendMessage"). A non-nil result fails the operation: an
	// *APIError (ErrThrottled, ErrInternal, or any other) is returned as is,
	// any other error as a 500 InternalFailure. It is the seam for fault
	// injection and may also sleep to add latency. It must be safe for
	// concurrent use.
	Hook func(op string) error
}

// Server is an in-memory SQS endpoint. Create it with New and serve it with
// any net/http server; it is safe for concurrent use.
//
// Locking: s.mu guards the queue map and is a leaf lock (never held while a
// queue lock is taken); queue locks are never nested.
type Server struct {
	accountID string
	region    string
	hook      func(string) error

	mu      sync.RWMutex
	baseURL string
	queues  map[string]*queue

	gen       atomic.Uint64
	closed    chan struct{}
	closeOnce sync.Once
}

// New returns an empty Server.
func New(opts Options) *Server {
	s := &Server{
		accountID: opts.AccountID,
		region:    opts.Region,
		hook:      opts.Hook,
		baseURL:   strings.TrimRight(opts.BaseURL, "/"),
		queues:    make(map[string]*queue),
		closed:    make(chan struct{}),
	}
	if s.accountID == "" {
		s.accountID = "000000000000"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	return s
}

// SetBaseURL sets the scheme and host used in queue URLs returned from now on.
// Requests are resolved by the path of their QueueUrl, so URLs handed out
// earlier, or with another host, keep working.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// Close ends all long polls at once and makes later receives return without
// waiting, so that an http.Server or httptest.Server in front of it can shut
// down promptly. Other operations keep working.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// ServeHTTP implements the AWS JSON 1.0 protocol of SQS.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		// Readiness probe for the local platform.
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "sqslocal\n")
		return
	}
	reqID := newUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonSQS.")
	h := handlers[op]
	if r.Method != http.MethodPost || !ok || h == nil {
		msg := fmt.Sprintf("sqslocal speaks the AWS JSON 1.0 protocol only (POST with X-Amz-Target: AmazonSQS.<Operation>); got %s %q", r.Method, target)
		writeError(w, &APIError{Status: 400, Type: "UnknownOperationException", QueryCode: "InvalidAction", Message: msg})
		return
	}
	if s.hook != nil {
		if err := s.hook(op); err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				ae = &APIError{Status: 500, Type: "InternalFailure", Receiver: true, Message: err.Error()}
			}
			writeError(w, ae)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
	if err != nil {
		writeError(w, &APIError{Status: 400, Type: "SerializationException", Message: "cannot read request body: " + err.Error()})
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	rc := &request{s: s, ctx: r.Context(), base: s.base(r)}
	out, apiErr := h(rc, body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, &APIError{Status: 500, Type: "InternalFailure", Receiver: true, Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Write(b)
}

// writeError sends e the way SQS does over the JSON protocol: the shape name
// in "__type" (the SDK maps it to a typed error) and the Query-compatible
// code in x-amzn-query-error (the SDK reports it as ErrorCode()).
func writeError(w http.ResponseWriter, e *APIError) {
	fault := "Sender"
	if e.Receiver {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", e.code()+";"+fault)
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{"com.amazonaws.sqs#" + e.Type, e.Message})
	w.Write(b)
}

// request carries per-request state into the operation handlers.
type request struct {
	s    *Server
	ctx  context.Context
	base string
}

func (s *Server) base(r *http.Request) string {
	s.mu.RLock()
	b := s.baseURL
	s.mu.RUnlock()
	if b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (rc *request) queueURL(q *queue) string {
	return rc.base + "/" + rc.s.accountID + "/" + q.name
}

func (s *Server) arn(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + s.accountID + ":" + name
}

// queueByURL resolves a QueueUrl by its path (/<account>/<name>), whatever
// its host, so clients may use localhost, 127.0.0.1 or a container name.
func (s *Server) queueByURL(raw *string) (*queue, *APIError) {
	if raw == nil || *raw == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return nil, errf(404, "InvalidAddress", "", "The address %s is not valid for this endpoint.", *raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != s.accountID {
		return nil, errQueueDoesNotExist()
	}
	return s.queueByName(parts[len(parts)-1])
}

func (s *Server) queueByName(name string) (*queue, *APIError) {
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// queueByArn finds a queue of this server by ARN, or nil.
func (s *Server) queueByArn(arn string) *queue {
	prefix := s.arn("")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil
	}
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	return q
}

// decode unmarshals a request body, mapping failures to the error SQS's
// JSON front end returns for malformed input.
func decode(body []byte, v any) *APIError {
	if err := json.Unmarshal(body, v); err != nil {
		return &APIError{Status: 400, Type: "SerializationException", Message: err.Error()}
	}
	return nil
}

// newUUID returns a random (version 4) UUID string, used for MessageIds and
// request ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// millis formats t as SQS timestamps of messages: epoch milliseconds.
func millis(t time.Time) string {
	return fmt.Sprint(t.UnixMilli())
}
