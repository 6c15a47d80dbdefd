package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The caller's id (the token's user name) is input too: one that is not a user id
// by the rule of AuthorizedUsers (access.ValidUser) gets a 401 in the API's
// error shape, whose message says so without echoing it, and nothing runs.
// Before this rule a 3,000-character sub made POST /connections answer 500
// (DynamoDB refuses the key) and the others were distinct users.
func TestCallerIDIsValidated(t *testing.T) {
	const body = `{"ConnectionName":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`
	testCases := []struct {
		name, sub string
		status    int
		message   string
	}{
		{"3,000 characters", strings.Repeat("a", 3000), 401, "not a valid user id"},
		{"NUL", "carol\x00", 401, "not a valid user id"},
		{"newline", "carol\n", 401, "not a valid user id"},
		{"trailing space", "carol ", 401, "not a valid user id"},
		{"hash", "carol#1", 401, "not a valid user id"},
		{"129 characters", strings.Repeat("c", 129), 401, "not a valid user id"},
		{"empty", "", 401, "cognito:username and sub claims) is required"},
		{"valid", "carol", 201, ""},
		{"valid, 128 characters of every kind", strings.Repeat("Az09_.@+-", 15)[:128], 201, ""},
	}
	api, logs := newWorldAPI()
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			resp, err := api.Handle(context.Background(), event("POST /connections", tc.sub, body, false))
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%d %s %v, want %d", resp.StatusCode, resp.Body, err, tc.status)
			}
			if logs.Len() > 0 {
				t.Errorf("logged: %s", logs.String())
			}
			if tc.status != http.StatusUnauthorized {
				return
			}
			checkUnauthorized(t, resp.Body, tc.sub, tc.message)
		})
	}
}

// checkUnauthorized checks a 401's body: the API's error shape, a message
// holding want, no control characters and no echo of the user name.
func checkUnauthorized(t *testing.T, body, sub, want string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not the API's error shape: %s", body)
	}
	if !strings.Contains(e.Message, want) || e.Field != "" || e.RequestId != "" {
		t.Errorf("body %s, want a message with %q", body, want)
	}
	if sub != "" && strings.Contains(e.Message, sub) {
		t.Errorf("the message echoes the user name: %q", e.Message)
	}
	if strings.ContainsFunc(e.Message, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("a control character in the message %q", e.Message)
	}
}

// Every route but the public ones checks the caller before anything else,
// even before its path id.
func TestInvalidCallerIDOnEveryRoute(t *testing.T) {
	api, _ := newWorldAPI()
	for _, r := range Routes() {
		ev := event(r.Key(), "carol\n", "{}", false)
		if strings.Contains(r.Path, "{") {
			ev.PathParameters = map[string]string{"id": "not-a-uuid", "runId": "not-a-uuid"}
		}
		resp, err := api.Handle(context.Background(), ev)
		want := http.StatusUnauthorized
		if r.Public {
			want = http.StatusOK
		}
		if err != nil || resp.StatusCode != want {
			t.Errorf("%s: %d %s %v, want %d", r.Key(), resp.StatusCode, resp.Body, err, want)
		}
	}
}

// The caller is the user pool's user name, from an ID token
// (cognito:username) or an access token (username), and only while the
// name belongs to the sub it was first seen with: a later user of the same
// name (an administrator deleted the first and made another) is refused,
// whatever was shared with the name. A binding that cannot be read is a
// 500, logged, never a guess.
func TestCallerIsTheBoundUserName(t *testing.T) {
	const body = `{"ConnectionName":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`
	testCases := []struct {
		name    string
		claims  map[string]string
		status  int
		message string
	}{
		{"ID token", map[string]string{"cognito:username": "carol", "sub": "sub-of-carol", "token_use": "id"}, 201, ""},
		{"access token", map[string]string{"username": "carol", "sub": "sub-of-carol", "token_use": "access"}, 201, ""},
		{"username in an ID token", map[string]string{"username": "carol", "sub": "sub-of-carol", "token_use": "id"}, 401, "is required"},
		{"sub alone", map[string]string{"sub": "carol"}, 401, "is required"},
		{"no sub", map[string]string{"cognito:username": "carol"}, 401, "is required"},
		{"a later user of the name", map[string]string{"cognito:username": "carol", "sub": "another-carol"}, 401, "belonged to another user"},
		{"binding unreadable", map[string]string{"cognito:username": "bind-fails", "sub": "sub-of-bind-fails"}, 500, "internal error"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			api, logs := newWorldAPI()
			ev := event("POST /connections", "", body, false)
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: tc.claims},
			}
			resp, err := api.Handle(context.Background(), ev)
			if err != nil || resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.message) {
				t.Fatalf("%d %s %v, want %d with %q", resp.StatusCode, resp.Body, err, tc.status, tc.message)
			}
			if tc.status == http.StatusInternalServerError && (strings.Contains(resp.Body, "10.0.0.1") || !strings.Contains(logs.String(), "10.0.0.1")) {
				t.Errorf("want the failure logged, not answered: %s / %s", resp.Body, logs.String())
			}
		})
	}
}
