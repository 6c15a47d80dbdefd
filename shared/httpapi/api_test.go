package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// stubConnections answers every use case with err, recording the input it got.
type stubConnections struct {
	Connections
	err     error
	created connection.CreateInput
}

func (s *stubConnections) Create(_ context.Context, _ string, in connection.CreateInput) (connection.View, error) {
	s.created = in
	return connection.View{ConnectionName: in.ConnectionName}, s.err
}

func event(routeKey, sub, body string, b64 bool) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RouteKey: routeKey, Body: body, IsBase64Encoded: b64}
	ev.RequestContext.RequestID = "req-1"
	if sub != "" {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"cognito:username": sub, "sub": "sub-of-" + sub}},
		}
	}
	return ev
}

func TestHandleMapsOutcomes(t *testing.T) {
	const okBody = `{"ConnectionName":"abc","S3Bucket":"b","ConnectionAccessType":"bucket_policy"}`
	testCases := []struct {
		name     string
		ev       events.APIGatewayV2HTTPRequest
		err      error
		status   int
		contains string
	}{
		{"created", event("POST /connections", "alice", okBody, false), nil, 201, `"abc"`},
		{"base64 body", event("POST /connections", "alice", base64.StdEncoding.EncodeToString([]byte(okBody)), true), nil, 201, `"abc"`},
		{"bad base64", event("POST /connections", "alice", "%%%", true), nil, 400, "base64"},
		{"no sub", event("POST /connections", "", okBody, false), nil, 401, "token"},
		{"unknown route", event("GET /nothing", "alice", "", false), nil, 404, "no route"},
		{"invalid", event("POST /connections", "alice", okBody, false), apperr.Invalid("S3Bucket", "bad"), 400, `"Field":"S3Bucket"`},
		{"not found", event("POST /connections", "alice", okBody, false), apperr.NotFound("gone"), 404, "gone"},
		{"conflict", event("POST /connections", "alice", okBody, false), apperr.Conflict("ConnectionName", "taken"), 409, "taken"},
		{"forbidden", event("POST /connections", "alice", okBody, false), apperr.Forbidden("owner only"), 403, "owner only"},
		{"internal", event("POST /connections", "alice", okBody, false), errors.New("dynamodb exploded at 10.0.0.1"), 500, `"RequestId":"req-1"`},
		{"wrong type", event("POST /connections", "alice", `{"S3Bucket":1}`, false), nil, 400, `"Field":"S3Bucket"`},
		{"unknown field", event("POST /connections", "alice", `{"Bucket":"x"}`, false), nil, 400, `"Field":"Bucket"`},
		{"array body", event("POST /connections", "alice", `[]`, false), nil, 400, "JSON object"},
		{"truncated", event("POST /connections", "alice", `{"S3Bucket":`, false), nil, 400, "not valid JSON"},
		{"empty", event("POST /connections", "alice", ``, false), nil, 400, "required"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			api := New(UseCases{Connections: &stubConnections{err: tc.err}}, slog.New(slog.NewJSONHandler(&logs, nil)))
			resp, err := api.Handle(context.Background(), tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.contains) {
				t.Fatalf("%d %s, want %d with %s", resp.StatusCode, resp.Body, tc.status, tc.contains)
			}
			if tc.status == 500 {
				if strings.Contains(resp.Body, "exploded") {
					t.Errorf("internal error leaked to the caller: %s", resp.Body)
				}
				if !strings.Contains(logs.String(), "exploded") || !strings.Contains(logs.String(), "req-1") {
					t.Errorf("internal error not logged with its request: %s", logs.String())
				}
			}
		})
	}
}

func (s *stubConnections) Delete(context.Context, string, string) error { return s.err }

// A 204 has no content: no body and no content type that would announce one.
func TestNoContentHasNoContentType(t *testing.T) {
	api := New(UseCases{Connections: &stubConnections{}}, slog.New(slog.DiscardHandler))
	ev := event("DELETE /connections/{id}", "alice", "", false)
	ev.PathParameters = map[string]string{"id": "0193f5a4-7b1e-7c3d-9e2f-0123456789ab"}
	resp, err := api.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 204 || resp.Body != "" || len(resp.Headers) != 0 {
		t.Fatalf("%d %q %v, want 204 without body or headers", resp.StatusCode, resp.Body, resp.Headers)
	}
}

// POST /schedules/{id}/run reads no fields: any is a 400 naming it, before
// the schedule is looked up (the use cases here would panic if called).
func TestRunNowRefusesBodyFields(t *testing.T) {
	api := New(UseCases{}, slog.New(slog.DiscardHandler))
	for body, field := range map[string]string{`{"Force":true}`: "Force", `{"RunId":"x"}`: "RunId", `[]`: "", `{`: ""} {
		ev := event("POST /schedules/{id}/run", "alice", body, false)
		ev.PathParameters = map[string]string{"id": "0193f5a4-7b1e-7c3d-9e2f-0123456789ab"}
		resp, err := api.Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || field != "" && !strings.Contains(resp.Body, `"Field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %q", body, resp.StatusCode, resp.Body, field)
		}
	}
}
