// Package httpapi is the REST API: it turns API Gateway HTTP API events
// (payload 2.0) into use-case calls and their results or errors into JSON
// responses. It holds no business rules.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/google/uuid"
)

// Route is one method and path template of the API, as API Gateway routes it.
type Route struct {
	Method string
	Path   string
	// Public routes have no JWT authorizer.
	Public bool
}

// Key is the route key API Gateway sends, e.g. "GET /connections/{id}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// request is what a route handler sees of an event.
type request struct {
	events.APIGatewayV2HTTPRequest
	caller string // the token's user name (callers.of)
}

type handlerFunc func(ctx context.Context, r request) (status int, body any, err error)

type route struct {
	Route
	handle handlerFunc
}

// API serves every route. Build it with New.
type API struct {
	routes  map[string]route
	callers *callers
	log     *slog.Logger
}

// UseCases are the use cases behind the API.
type UseCases struct {
	Connections Connections
	Datasets    Datasets
	Schedules   Schedules
	Runs        Runs
	Domains     Domains
	Identities  Identities
}

// New returns the API over the given use cases.
func New(uc UseCases, log *slog.Logger) *API {
	a := &API{routes: map[string]route{}, callers: newCallers(uc.Identities), log: log}
	a.add(Route{Method: "GET", Path: "/health", Public: true}, health)
	a.addConnections(uc.Connections)
	a.addDatasets(uc.Datasets)
	a.addSchedules(uc.Schedules, uc.Runs)
	a.addDomains(uc.Domains)
	return a
}

func (a *API) add(r Route, h handlerFunc) { a.routes[r.Key()] = route{Route: r, handle: h} }

// Routes lists the served routes, sorted by path then method: the list the
// gateway (local or API Gateway) routes and the OpenAPI document describes.
func (a *API) Routes() []Route {
	out := make([]Route, 0, len(a.routes))
	for _, r := range a.routes {
		out = append(out, r.Route)
	}
	slices.SortFunc(out, func(x, y Route) int {
		if c := strings.Compare(x.Path, y.Path); c != 0 {
			return c
		}
		return strings.Compare(x.Method, y.Method)
	})
	return out
}

// Handle serves one API Gateway event. It returns an error only for events
// it cannot answer at all; every request gets a response.
func (a *API) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	rt, ok := a.routes[ev.RouteKey]
	if !ok {
		return respond(http.StatusNotFound, errorBody{Message: "no route " + ev.RouteKey}), nil
	}
	req := request{APIGatewayV2HTTPRequest: ev}
	if !rt.Public {
		caller, msg, err := a.callers.of(ctx, ev)
		if err != nil {
			return a.fail(ctx, ev, err), nil
		}
		if msg != "" {
			return respond(http.StatusUnauthorized, errorBody{Message: msg}), nil
		}
		req.caller = caller
	}
	for param, id := range ev.PathParameters {
		if param != domainParam && !isID(id) { // no resource has it: not worth a lookup that DynamoDB may refuse (keys over 2 KB)
			kind, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/"), "/")
			return respond(http.StatusNotFound, errorBody{Message: strings.TrimSuffix(kind, "s") + " not found: ids are UUIDs"}), nil
		}
	}
	status, body, err := rt.handle(ctx, req)
	if err != nil {
		return a.fail(ctx, ev, err), nil
	}
	return respond(status, body), nil
}

type errorBody struct {
	Message   string
	Field     string `json:",omitempty"`
	RequestId string `json:",omitempty"`
}

// fail maps a domain error to its status; anything else is logged and
// answered with a bare 500 that names the request, never the cause.
func (a *API) fail(ctx context.Context, ev events.APIGatewayV2HTTPRequest, err error) events.APIGatewayV2HTTPResponse {
	var e *apperr.Error
	if errors.As(err, &e) {
		status := map[apperr.Kind]int{
			apperr.KindInvalid:   http.StatusBadRequest,
			apperr.KindNotFound:  http.StatusNotFound,
			apperr.KindConflict:  http.StatusConflict,
			apperr.KindForbidden: http.StatusForbidden,
		}[e.Kind]
		if status != 0 {
			return respond(status, errorBody{Message: e.Message, Field: e.Field})
		}
	}
	a.log.ErrorContext(ctx, "request failed",
		"route", ev.RouteKey, "path", ev.RawPath, "requestId", ev.RequestContext.RequestID, "error", err)
	return respond(http.StatusInternalServerError, errorBody{
		Message: "internal error", RequestId: ev.RequestContext.RequestID,
	})
}

// redirect is a body that answers with a redirect to Location (which it
// also holds, for a client that does not follow it).
type redirect struct{ Location string }

// respond answers with body as JSON; a nil body (204 No Content) has no
// content, so no content type either.
func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	if body == nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: status}
	}
	if rd, ok := body.(redirect); ok {
		resp := respondJSON(status, rd)
		resp.Headers["location"] = rd.Location
		return resp
	}
	return respondJSON(status, body)
}

func respondJSON(status int, body any) events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json"},
	}
	b, err := json.Marshal(body)
	if err != nil { // only our own types get here: a bug, not input
		b = []byte(`{"Message":"internal error: response not encodable"}`)
		resp.StatusCode = http.StatusInternalServerError
	}
	resp.Body = string(b) + "\n"
	return resp
}

func health(context.Context, request) (int, any, error) {
	return http.StatusOK, map[string]string{"Status": "ok"}, nil
}

// isID says whether s has the form of the ids the API hands out (UUIDs).
func isID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// decode reads the JSON body into v strictly: unknown fields are errors that
// name the field, and so are wrongly typed values and members given twice.
// The body must be one JSON object in UTF-8. Fields in fixed are known but
// may not be set here.
func decode(r request, v any, fixed ...string) error {
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			return apperr.Invalid("", "body is not valid base64")
		}
	}
	if !utf8.Valid(body) { // encoding/json would quietly turn it into U+FFFD
		return apperr.Invalid("", "body is not valid UTF-8")
	}
	body = bytes.Trim(body, " \t\r\n") // JSON's whitespace only: TrimSpace would pass a \f or a U+0085
	if len(body) == 0 {
		return apperr.Invalid("", "a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, end := dec.Token(); end != io.EOF { // More() misses a stray ] or }
			return apperr.Invalid("", "body must hold one JSON object")
		}
		if body[0] != '{' { // null: the only non-object that decodes into a struct
			return apperr.Invalid("", "body must be a JSON object")
		}
		if name := repeatedMember(body); name != "" {
			return apperr.Invalid(name, "is given more than once")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return apperr.Invalid("", "body must be a JSON object")
		}
		return apperr.Invalid(typeErr.Field, "must be a JSON %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field ")) // quoted with %q
		if uerr != nil {
			field = ""
		}
		if slices.Contains(fixed, field) {
			return apperr.Invalid(field, "cannot be changed")
		}
		return apperr.Invalid(field, "is not a known field")
	}
	return apperr.Invalid("", "body is not valid JSON")
}

// repeatedMember returns the first member name given twice in one object of
// the valid JSON text data, compared as encoding/json matches names to
// fields (ignoring case), or "" if there is none. Decoders disagree on which
// of the two counts (encoding/json takes the last), so neither may.
func repeatedMember(data []byte) string {
	type object struct {
		names   map[string]bool
		nameNow bool // the next token is a member name
	}
	var open []*object // nil for an array
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *object
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		switch tok {
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
			if len(open) > 0 && open[len(open)-1] != nil {
				open[len(open)-1].nameNow = true
			}
			continue
		case json.Delim('{'):
			open = append(open, &object{names: map[string]bool{}, nameNow: true})
			continue
		case json.Delim('['):
			open = append(open, nil)
			continue
		}
		if top == nil {
			continue
		}
		if top.nameNow {
			name, _ := tok.(string)
			folded := strings.ToUpper(strings.ToLower(name))
			if top.names[folded] {
				return name
			}
			top.names[folded] = true
		}
		top.nameNow = !top.nameNow
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// Routes lists every route the API serves, without building it: for the
// gateway and the infrastructure, which route to it.
func Routes() []Route { return New(UseCases{}, nil).Routes() }
