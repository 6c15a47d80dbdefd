// Package httpapi is the REST API: it turns API Gateway HTTP API events
// (payload 2.0) into use-case calls and their results or errors into JSON
// responses. It holds no business rules.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/apperr"
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
	caller string // the token's sub claim
}

type handlerFunc func(ctx context.Context, r request) (status int, body any, err error)

type route struct {
	Route
	handle handlerFunc
}

// API serves every route. Build it with New.
type API struct {
	routes map[string]route
	log    *slog.Logger
}

// UseCases are the use cases behind the API.
type UseCases struct {
	Connections Connections
	Datasets    Datasets
	Schedules   Schedules
	Runs        Runs
}

// New returns the API over the given use cases.
func New(uc UseCases, log *slog.Logger) *API {
	a := &API{routes: map[string]route{}, log: log}
	a.add(Route{Method: "GET", Path: "/health", Public: true}, health)
	a.addConnections(uc.Connections)
	a.addDatasets(uc.Datasets)
	a.addSchedules(uc.Schedules, uc.Runs)
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
		if ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
			req.caller = ev.RequestContext.Authorizer.JWT.Claims["sub"]
		}
		if req.caller == "" { // API Gateway's authorizer rejects these first; never trust that alone
			return respond(http.StatusUnauthorized, errorBody{Message: "a bearer token with a sub claim is required"}), nil
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

func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json"},
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil { // only our own types get here: a bug, not input
			b = []byte(`{"Message":"internal error: response not encodable"}`)
			resp.StatusCode = http.StatusInternalServerError
		}
		resp.Body = string(b) + "\n"
	}
	return resp
}

func health(context.Context, request) (int, any, error) {
	return http.StatusOK, map[string]string{"Status": "ok"}, nil
}

// decode reads the JSON body into v strictly: unknown fields are errors that
// name the field, and so are wrongly typed values. Fields in fixed are known
// but may not be set here.
func decode(r request, v any, fixed ...string) error {
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			return apperr.Invalid("", "body is not valid base64")
		}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return apperr.Invalid("", "a JSON body is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return apperr.Invalid("", "body must hold one JSON object")
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return apperr.Invalid("", "body must be a JSON object")
		}
		return apperr.Invalid(typeErr.Field, "must be a JSON %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if slices.Contains(fixed, field) {
			return apperr.Invalid(field, "cannot be changed")
		}
		return apperr.Invalid(field, "is not a known field")
	}
	return apperr.Invalid("", "body is not valid JSON")
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
