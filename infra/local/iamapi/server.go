package iamapi

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/google/uuid"
)

// namespace is the XML namespace of every IAM response.
const namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// version is the IAM API version the SDK and the CLI send.
const version = "2010-05-08"

// EndpointEnv is the variable that points the SDK and the CLI at this
// endpoint, as AWS_ENDPOINT_URL_<SERVICE> does for every service.
const EndpointEnv = "AWS_ENDPOINT_URL_IAM"

// Server serves the IAM role actions for the principals and roles of a
// registry.
type Server struct {
	registry *iamlocal.Registry
	now      func() time.Time
}

// Option configures a Server, for tests that need another clock.
type Option func(*Server)

// WithClock makes the server read the time from now: it decides signature
// expiry, session expiry and roles' CreateDate.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New returns an IAM endpoint for registry's accounts, so that their
// owners manage roles with the real SDK and CLI, as in AWS.
func New(registry *iamlocal.Registry, opts ...Option) *Server {
	s := &Server{registry: registry, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// action runs one IAM action for caller; a nil result sends an empty
// response (ResponseMetadata only).
type action func(s *Server, caller iamlocal.Principal, params url.Values) (any, error)

// actions are the IAM actions served.
var actions = map[string]action{
	"CreateRole":             (*Server).createRole,
	"GetRole":                (*Server).getRole,
	"UpdateAssumeRolePolicy": (*Server).updateAssumeRolePolicy,
	"DeleteRole":             (*Server).deleteRole,
	"PutRolePolicy":          (*Server).putRolePolicy,
	"GetRolePolicy":          (*Server).getRolePolicy,
	"DeleteRolePolicy":       (*Server).deleteRolePolicy,
	"ListRolePolicies":       (*Server).listRolePolicies,
}

// ServeHTTP answers one IAM Query request: it authenticates the caller,
// then runs the action its Action parameter names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	fail := func(err error) { iamlocal.WriteQueryError(w, namespace, requestID, err) }
	if r.Method != http.MethodPost {
		fail(&iamlocal.Error{Status: http.StatusMethodNotAllowed, Code: "InvalidAction", Message: "IAM takes POST requests only."})
		return
	}
	params, body, err := iamlocal.ReadQuery(r)
	if err != nil {
		fail(err)
		return
	}
	caller, err := s.registry.Authenticate(r, body, "iam", s.now())
	if err != nil {
		fail(err)
		return
	}
	name := params.Get("Action")
	run, ok := actions[name]
	if !ok || params.Get("Version") != version {
		fail(iamlocal.InvalidAction(name, params.Get("Version")))
		return
	}
	result, err := run(s, caller, params)
	if err != nil {
		fail(err)
		return
	}
	iamlocal.WriteQueryResult(w, namespace, requestID, name, result)
}

// authorize refuses (AccessDenied) unless caller's identity policies
// allow action on the role arn of caller's account; the account's root
// may do anything, as in AWS.
func authorize(caller iamlocal.Principal, action, arn string) error {
	if caller.ARN == iamlocal.Root(caller.Account) {
		return nil
	}
	req := iamlocal.Request{Principal: caller, Action: action, Resource: arn, ResourceAccount: caller.Account}
	if iamlocal.Allowed(req, nil) {
		return nil
	}
	return &iamlocal.Error{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, arn)}
}

// roleARN is the ARN of account's role name under path.
func roleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

// target is the role an action (other than CreateRole) names, once the
// caller may act on it: authorization comes first, so a caller without
// permissions cannot learn which roles exist.
func (s *Server) target(caller iamlocal.Principal, action string, params url.Values) (iamlocal.Role, error) {
	name, err := roleName(params)
	if err != nil {
		return iamlocal.Role{}, err
	}
	role, lookupErr := s.registry.RoleNamed(caller.Account, name)
	arn := role.ARN
	if lookupErr != nil {
		arn = roleARN(caller.Account, "/", name)
	}
	if err := authorize(caller, "iam:"+action, arn); err != nil {
		return iamlocal.Role{}, err
	}
	return role, lookupErr
}
