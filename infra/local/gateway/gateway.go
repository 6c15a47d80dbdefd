// Package gateway is the local stand-in for the API Gateway HTTP API in
// front of the API Lambda: Lambda proxy integration, payload format 2.0, JWT
// authorizer.
//
// It exists so that the API handler runs locally behind the same contract it
// meets on AWS: it receives the same events.APIGatewayV2HTTPRequest JSON
// (lower-cased comma-joined headers, cookies split out, decoded query and path
// parameters, base64 bodies for non-text content types, string-rendered JWT
// claims), through the same JSON round trip as a Lambda invocation, and its
// response is read by the same rules (structured or inferred response,
// cookies, base64 bodies, multiValueHeaders ignored). Gateway-generated
// answers (404, 401, 403, 413, 500, 503) have API Gateway's bodies, so a
// client written against the local API behaves the same against AWS.
package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/local/localauth"
)

// Defaults, each overridable with an Option.
const (
	// DefaultTimeout is the HTTP API's default (and maximum) integration
	// timeout for Lambda: 30 s (REST APIs have 29 s).
	DefaultTimeout = 30 * time.Second
	// MaxBodyBytes is the HTTP API's request payload quota, 10 MB.
	MaxBodyBytes        = 10 << 20
	DefaultAccountID    = "123456789012"
	DefaultAPIID        = "localapi00"
	DefaultRegion       = "us-east-1"
	DefaultFunctionName = "s3connections-api"
	// Stage is the only stage a local API has; HTTP APIs auto-deploy it.
	Stage = "$default"
)

// Option configures a Gateway.
type Option func(*config)

type config struct {
	logger       *slog.Logger
	timeout      time.Duration
	maxBody      int64
	now          func() time.Time
	accountID    string
	apiID        string
	region       string
	functionName string
	concurrency  int
}

// WithLogger sets where the one-line-per-request JSON log goes (default:
// a slog JSON handler on stderr).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithTimeout sets the integration timeout; the handler's context carries it
// as deadline and the client gets 503 when it passes.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxBodyBytes sets the request body limit above which the answer is 413.
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithClock sets the source of requestContext.time; tokens are checked with
// the Verifier's own clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithAccountID sets requestContext.accountId and the account in the function ARN.
func WithAccountID(id string) Option { return func(c *config) { c.accountID = id } }

// WithAPIID sets requestContext.apiId.
func WithAPIID(id string) Option { return func(c *config) { c.apiID = id } }

// WithRegion sets the region in the invoked function ARN.
func WithRegion(r string) Option { return func(c *config) { c.region = r } }

// WithFunctionName sets the function name in the invoked function ARN.
func WithFunctionName(n string) Option { return func(c *config) { c.functionName = n } }

// WithConcurrency lets n invocations of fn run at once; fn must then be safe
// for concurrent use.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// Gateway is an http.Handler playing the HTTP API in front of one Lambda handler.
type Gateway struct {
	routes []compiledRoute
	fn     lambda.Handler
	v      *localauth.Verifier
	cfg    config
	arn    string
	// sem bounds concurrent invocations: one by default, as aws-lambda-go's
	// Handler.Invoke returns a slice of a pooled buffer that the next Invoke
	// may overwrite (one at a time is also what a single Lambda execution
	// environment does). WithConcurrency raises it for a fn that is safe for
	// concurrent use, such as the local Lambda runtime's.
	sem chan struct{}

	// Identifier sources, replaced in tests to make events reproducible.
	requestID func() string            // requestContext.requestId, apigw-requestid
	traceID   func(t time.Time) string // x-amzn-trace-id
	lambdaID  func() string            // lambdacontext AwsRequestID
}

// New returns a Gateway serving routes with fn. v checks the tokens of every
// non-public route and provides the JWKS; it may be nil only when every route
// is public. New panics on an invalid route table (bad path, duplicate route
// key, missing verifier), a programming error to catch at start-up.
func New(routes []Route, fn lambda.Handler, v *localauth.Verifier, opts ...Option) *Gateway {
	cfg := config{
		logger:       slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		timeout:      DefaultTimeout,
		maxBody:      MaxBodyBytes,
		now:          time.Now,
		accountID:    DefaultAccountID,
		apiID:        DefaultAPIID,
		region:       DefaultRegion,
		functionName: DefaultFunctionName,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if fn == nil {
		panic("gateway: nil lambda handler")
	}
	g := &Gateway{
		fn:        fn,
		v:         v,
		cfg:       cfg,
		arn:       fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", cfg.region, cfg.accountID, cfg.functionName),
		sem:       make(chan struct{}, max(cfg.concurrency, 1)),
		requestID: newRequestID,
		traceID:   newTraceID,
		lambdaID:  uuid.NewString,
	}
	keys := map[string]bool{}
	for _, r := range routes {
		c := compile(r)
		if keys[c.key] {
			panic("gateway: duplicate route " + c.key)
		}
		keys[c.key] = true
		if !c.Public && v == nil {
			panic("gateway: route " + c.key + " needs an authorizer but the verifier is nil")
		}
		g.routes = append(g.routes, c)
	}
	return g
}

// Gateway-generated answers, with the bodies API Gateway sends.
const (
	msgNotFound     = `{"message":"Not Found"}`
	msgUnauthorized = `{"message":"Unauthorized"}`
	msgForbidden    = `{"message":"Forbidden"}`
	msgInternal     = `{"message":"Internal Server Error"}`
	msgTooLong      = `{"message":"Request Too Long"}`
	msgUnavailable  = `{"message":"Service Unavailable"}`
)

// logEntry collects what the per-request log line reports. Never the
// Authorization header, the body, or the query string (which may hold
// secrets): method, path, route, status, duration and the two request ids.
type logEntry struct {
	route    string
	lambdaID string
	err      error
	warning  string // a contract problem that AWS would not report either
}

// ServeHTTP answers one request as the HTTP API would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := g.requestID()
	var le logEntry
	status := g.serve(w, r, reqID, &le)

	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", reqID),
	}
	if le.route != "" {
		attrs = append(attrs, slog.String("route", le.route))
	}
	if le.lambdaID != "" {
		attrs = append(attrs, slog.String("lambda_request_id", le.lambdaID))
	}
	level := slog.LevelInfo
	if le.warning != "" {
		attrs = append(attrs, slog.String("warning", le.warning))
		level = slog.LevelWarn
	}
	if le.err != nil {
		attrs = append(attrs, slog.String("error", le.err.Error()))
		if status >= 500 {
			level = slog.LevelError
		} else {
			level = slog.LevelWarn
		}
	}
	g.cfg.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, reqID string, le *logEntry) int {
	if st, ok := g.serveWellKnown(w, r); ok {
		return st
	}
	w.Header().Set("Apigw-Requestid", reqID)

	if r.ContentLength > g.cfg.maxBody {
		return writeTooLarge(w, g.cfg.maxBody)
	}

	route, params := g.match(r.Method, r.URL.Path)
	if route == nil {
		return writeMessage(w, http.StatusNotFound, msgNotFound, nil)
	}
	le.route = route.key

	var auth *authorizerDesc
	if !route.Public {
		claims, scopes, err := g.v.Verify(r.Header.Get("Authorization"))
		if err != nil {
			le.err = err
			var te *localauth.TokenError
			if errors.As(err, &te) {
				// The HTTP API tells the client why in www-authenticate
				// (Bearer scope="" error="invalid_token" error_description=...).
				hdr := http.Header{}
				hdr.Set("Www-Authenticate", fmt.Sprintf(`Bearer scope="%s" error="invalid_token" error_description="%s"`,
					strings.Join(route.Scopes, " "), te.Description))
				return writeMessage(w, http.StatusUnauthorized, msgUnauthorized, hdr)
			}
			return writeMessage(w, http.StatusUnauthorized, msgUnauthorized, nil)
		}
		auth = &authorizerDesc{JWT: jwtDesc{Claims: claims}}
		if len(route.Scopes) > 0 {
			if !anyIn(scopes, route.Scopes) {
				le.err = fmt.Errorf("token scopes %v include none of the route's %v", scopes, route.Scopes)
				return writeMessage(w, http.StatusForbidden, msgForbidden, nil)
			}
			auth.JWT.Scopes = scopes
			if auth.JWT.Scopes == nil {
				auth.JWT.Scopes = []string{}
			}
		}
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.maxBody+1))
	if err != nil {
		le.err = fmt.Errorf("read request body: %w", err)
		return writeMessage(w, http.StatusBadRequest, `{"message":"Bad Request"}`, nil)
	}
	if int64(len(body)) > g.cfg.maxBody {
		return writeTooLarge(w, g.cfg.maxBody)
	}

	now := g.cfg.now()
	ev := g.buildEvent(r, route, params, auth, body, reqID, now)
	payload, err := json.Marshal(ev)
	if err != nil { // cannot happen: strings, maps and bools only
		le.err = err
		return writeMessage(w, http.StatusInternalServerError, msgInternal, nil)
	}

	le.lambdaID = g.lambdaID()
	out, err := g.invoke(r.Context(), payload, le.lambdaID)
	if err != nil {
		le.err = err
		if errors.Is(err, errTimeout) {
			return writeMessage(w, http.StatusServiceUnavailable, msgUnavailable, nil)
		}
		if errors.Is(err, lambdalocal.ErrRequestTooLarge) {
			// Lambda refused an event over its 6 MB quota: API Gateway
			// answers 413 (observed: x-amzn-ErrorType BadRequestException).
			w.Header().Set("x-amzn-ErrorType", "BadRequestException")
			return writeMessage(w, http.StatusRequestEntityTooLarge, msgTooLong, nil)
		}
		return writeMessage(w, http.StatusInternalServerError, msgInternal, nil)
	}
	resp, err := parseResponse(out)
	if err != nil {
		le.err = err
		return writeMessage(w, http.StatusInternalServerError, msgInternal, nil)
	}
	if resp.ignoredMultiValueHeaders {
		le.warning = "handler returned multiValueHeaders; an HTTP API with payload 2.0 ignores them: use headers (comma-joined values) or cookies"
	}
	return resp.write(w)
}

// match picks the most specific route matching the request, as API Gateway does.
func (g *Gateway) match(method, path string) (*compiledRoute, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *compiledRoute
	var bestParams map[string]string
	for i := range g.routes {
		c := &g.routes[i]
		params, ok := c.match(method, parts)
		if !ok {
			continue
		}
		if best == nil || moreSpecific(c, best) {
			best, bestParams = c, params
		}
	}
	return best, bestParams
}

var errTimeout = errors.New("integration timed out")

// invoke calls the Lambda handler with the JSON event, as the Lambda service
// would: a context carrying the LambdaContext and the integration deadline,
// the raw payload in, the raw payload out. A panic is a function error.
func (g *Gateway) invoke(parent context.Context, payload []byte, lambdaID string) ([]byte, error) {
	// The invocation outlives a client that hangs up, as on AWS, but not the
	// integration timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), g.cfg.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       lambdaID,
		InvokedFunctionArn: g.arn,
	})

	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, errTimeout
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-g.sem }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("function panicked: %v", p)}
			}
		}()
		out, err := g.fn.Invoke(ctx, payload)
		if err != nil {
			done <- result{err: fmt.Errorf("function error: %w", err)}
			return
		}
		// Copy before the next invocation may reuse the handler's buffer.
		done <- result{out: bytes.Clone(out)}
	}()
	select {
	case res := <-done:
		return res.out, res.err
	case <-ctx.Done():
		return nil, errTimeout
	}
}

// serveWellKnown serves the user pool's JWKS (and a minimal OpenID discovery
// document) under the issuer's path, where a Cognito pool publishes them, and
// at /.well-known/jwks.json for convenience.
func (g *Gateway) serveWellKnown(w http.ResponseWriter, r *http.Request) (int, bool) {
	if g.v == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return 0, false
	}
	base := ""
	if u, err := url.Parse(g.v.Issuer()); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	var body []byte
	switch r.URL.Path {
	case "/.well-known/jwks.json", base + "/.well-known/jwks.json":
		body = g.v.JWKS()
	case base + "/.well-known/openid-configuration":
		body, _ = json.Marshal(map[string]any{
			"issuer":                                g.v.Issuer(),
			"jwks_uri":                              g.v.Issuer() + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"subject_types_supported":               []string{"public"},
			"response_types_supported":              []string{"token"},
		})
	default:
		return 0, false
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
	return http.StatusOK, true
}

func writeMessage(w http.ResponseWriter, status int, body string, extra http.Header) int {
	for k, vs := range extra {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
	return status
}

// writeTooLarge answers an oversized payload the way API Gateway was observed
// to: 413 with a plain-text body naming the limit (not a JSON message).
func writeTooLarge(w http.ResponseWriter, limit int64) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	fmt.Fprintf(w, "HTTP content length exceeded %d bytes.", limit)
	return http.StatusRequestEntityTooLarge
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// newRequestID makes an id shaped like API Gateway's ("LV7fzho-PHcEJPw="):
// 11 random bytes, URL-safe base64 with padding.
func newRequestID() string {
	b := make([]byte, 11)
	rand.Read(b)
	return base64.URLEncoding.EncodeToString(b)
}

// newTraceID makes an X-Ray trace header value: Root=1-<epoch hex>-<96 random bits>.
func newTraceID(t time.Time) string {
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%s", t.Unix(), hex.EncodeToString(b))
}

// hostOnly strips the port from a Host header value.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.Trim(host, "[]")
}

// isText reports whether API Gateway passes a body of this content type as a
// UTF-8 string rather than base64. AWS does not document the list; it was
// measured on a live HTTP API: text/*, application/json, application/xml and
// application/javascript are text; everything else, including a missing
// content type and application/x-www-form-urlencoded, is base64-encoded.
func isText(contentType string) bool {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript":
		return true
	}
	return false
}

// bodyField returns the event's body and isBase64Encoded for a request body.
func bodyField(contentType string, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	// A "text" body that is not UTF-8 could not survive the JSON event
	// unharmed; encode it rather than corrupt it.
	if isText(contentType) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func itoa(n int) string { return strconv.Itoa(n) }
