package eventbridgelocal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
	"github.com/google/uuid"
)

// Options configures a Server.
type Options struct {
	// Region appears in ARNs and events; default "us-east-1".
	Region string
	// IAM authenticates callers (SigV4, service "events") and decides
	// them with their identity policies and the bus's policy. Nil: every
	// request acts as DefaultAccount's root (tests of the API alone).
	IAM            *iamlocal.Registry
	DefaultAccount string
	// Deliver sends an event to a target that is not a bus of this server
	// (an SQS queue, a Lambda function). It should hand the work off and
	// return; an error is retried within the target's RetryPolicy, then
	// the event goes to the target's dead-letter queue. Nil: such targets
	// fail with NO_RESOURCE.
	Deliver func(ctx context.Context, d Delivery) error
	// DeadLetter sends a failed delivery to the SQS queue queueARN, with
	// the message attributes EventBridge sets. Nil: the event is logged
	// and dropped.
	DeadLetter func(ctx context.Context, queueARN, body string, attrs map[string]string) error
	// Record, when set, receives every event a bus accepts, one JSON line
	// each ({"bus": <ARN>, "event": {...}}): what `make run` shows.
	Record io.Writer
	Logger *slog.Logger
	Now    func() time.Time
	// RetryDelay is the wait before the first retry of a failed delivery,
	// doubled each time up to a minute; default one second.
	RetryDelay time.Duration
}

// Delivery is one event on its way to one target.
type Delivery struct {
	Target  string // the target's ARN
	RoleArn string // what EventBridge would assume ("" for none)
	Rule    string // the rule's ARN
	Input   string // what the target receives: the event, or the target's Input/InputPath
	Attempt int    // from 1
}

// DeliveryError is an error of Deliver that says what EventBridge would
// report (ERROR_CODE of the dead-letter message) and whether to retry.
type DeliveryError struct {
	Code      string // NO_PERMISSIONS, NO_RESOURCE, THROTTLING, ...
	Message   string
	Retriable bool
}

func (e *DeliveryError) Error() string { return e.Code + ": " + e.Message }

// Server is an in-memory EventBridge endpoint (AWS JSON 1.1). Create it
// with New, serve it with any net/http server, Close it when done.
type Server struct {
	opts Options
	ctx  context.Context // parent of every delivery
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	buses map[string]*bus // by ARN
	recMu sync.Mutex
}

// New returns a Server; every account has its default bus.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.DefaultAccount == "" {
		opts.DefaultAccount = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Server{opts: opts, ctx: ctx, stop: stop, buses: map[string]*bus{}}
}

// Close stops the deliveries in flight and waits for them.
func (s *Server) Close() {
	s.stop()
	s.wg.Wait()
}

// apiError is an error as EventBridge sends it over JSON 1.1.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

func errValidation(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", msg}
}

func errNotFound(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFoundException", msg}
}

func errDenied(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "AccessDeniedException", msg}
}

type handler func(s *Server, who iamlocal.Principal, body []byte) (any, *apiError)

var handlers = map[string]handler{
	"CreateEventBus":    (*Server).createEventBus,
	"DeleteEventBus":    (*Server).deleteEventBus,
	"DescribeEventBus":  (*Server).describeEventBus,
	"PutPermission":     (*Server).putPermission,
	"PutRule":           (*Server).putRule,
	"DeleteRule":        (*Server).deleteRule,
	"DescribeRule":      (*Server).describeRule,
	"PutTargets":        (*Server).putTargets,
	"RemoveTargets":     (*Server).removeTargets,
	"ListTargetsByRule": (*Server).listTargetsByRule,
	"PutEvents":         (*Server).putEvents,
}

// ServeHTTP answers one request: POST /, X-Amz-Target AWSEvents.<Op>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, errValidation("cannot read the request"))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSEvents.")
	h := handlers[op]
	if r.Method != http.MethodPost || !ok || h == nil {
		writeError(w, &apiError{http.StatusBadRequest, "UnknownOperationException", "Operation not supported by the local EventBridge: " + op})
		return
	}
	who, e := s.authenticate(r, body)
	if e != nil {
		writeError(w, e)
		return
	}
	out, e := h(s, who, body)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) authenticate(r *http.Request, body []byte) (iamlocal.Principal, *apiError) {
	if s.opts.IAM == nil {
		return rootOf(s.opts.DefaultAccount), nil
	}
	who, err := s.opts.IAM.Authenticate(r, body, "events", s.opts.Now())
	var ie *iamlocal.Error
	if errors.As(err, &ie) {
		typ := map[string]string{"InvalidClientTokenId": "UnrecognizedClientException", "SignatureDoesNotMatch": "InvalidSignatureException"}[ie.Code]
		if typ == "" {
			typ = ie.Code
		}
		return who, &apiError{ie.Status, typ, ie.Message}
	} else if err != nil {
		return who, &apiError{http.StatusForbidden, "UnrecognizedClientException", err.Error()}
	}
	return who, nil
}

// rootOf is an account acting as itself: its root, or EventBridge
// forwarding its events, whose identity side always allows.
func rootOf(account string) iamlocal.Principal {
	return iamlocal.Principal{Account: account, ARN: iamlocal.Root(account), Policies: []policy.Document{iamlocal.Admin()}}
}

// allowed decides action on b (or one of its rules) for who, with b's
// policy and the request's condition keys.
func allowed(who iamlocal.Principal, action, resource string, b *bus, ctx map[string]string) bool {
	return iamlocal.Allowed(iamlocal.Request{Principal: who, Action: action, Resource: resource, ResourceAccount: b.account, Context: ctx}, b.policy)
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errValidation("the request is not valid JSON: " + err.Error())
	}
	return nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"__type": e.typ, "message": e.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"__type":"InternalException","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var nameRule = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func checkName(field, v string) *apiError {
	if !nameRule.MatchString(v) {
		return errValidation("1 validation error detected: Value '" + v + "' at '" + field + "' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most 64")
	}
	return nil
}
