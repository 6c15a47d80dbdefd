package stslocal

import (
	"net/http"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/google/uuid"
)

// namespace is the XML namespace of every STS response.
const namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// version is the only STS API version there is.
const version = "2011-06-15"

// Server serves STS for the keys, roles and sessions of a registry.
type Server struct {
	registry *iamlocal.Registry
	now      func() time.Time
}

// Option configures a Server, for tests that need another clock.
type Option func(*Server)

// WithClock makes the server read the time from now: it decides signature
// expiry, session expiry and which sessions are still known.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New returns an STS endpoint for registry's principals, so local clients
// can start role sessions and learn who they are as they would in AWS.
func New(registry *iamlocal.Registry, opts ...Option) *Server {
	s := &Server{registry: registry, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP answers one STS Query request: it authenticates the caller,
// then runs the action its Action parameter names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	params, body, err := iamlocal.ReadQuery(r)
	if err != nil {
		iamlocal.WriteQueryError(w, namespace, requestID, err)
		return
	}
	now := s.now()
	caller, err := s.registry.Authenticate(r, body, "sts", now)
	if err != nil {
		iamlocal.WriteQueryError(w, namespace, requestID, err)
		return
	}
	var result any
	switch action := params.Get("Action"); {
	case params.Get("Version") != version:
		err = iamlocal.InvalidAction(action, params.Get("Version"))
	case action == "AssumeRole":
		result, err = s.assumeRole(caller, params, now)
	case action == "GetCallerIdentity":
		result = getCallerIdentity(caller)
	default:
		err = iamlocal.InvalidAction(action, version)
	}
	if err != nil {
		iamlocal.WriteQueryError(w, namespace, requestID, err)
		return
	}
	iamlocal.WriteQueryResult(w, namespace, requestID, params.Get("Action"), result)
}
