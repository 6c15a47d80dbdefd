package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// The token's sub is input too. The gateway's authorizer accepts any signed
// token with a sub (it cannot know what a user id is), so the api function
// turns away a sub that is not a user id by the rule of AuthorizedUsers:
// 401 in the API's error shape, a message that says so without echoing
// the sub, never a 500 (a 3,000-character sub was one: DynamoDB refused
// the key) nor a second user spelled like an existing one (a trailing
// space, a NUL). The tokens are minted by the local user pool
// (localauth), which signs any non-empty sub.
func TestTokenSubMustBeAUserID(t *testing.T) {
	const owner = "ident-owner"
	id := mustCreate(t, owner, policyConn(platformlocal.DemoBucket))
	testCases := []struct {
		name, sub string
	}{
		{"3,000 characters", strings.Repeat("s", 3000)},
		{"NUL", owner + "\x00"},
		{"newline", owner + "\n"},
		{"trailing space", owner + " "},
		{"hash", owner + "#2"},
		{"129 characters", strings.Repeat("s", 129)},
	}
	requests := []struct{ method, path string }{
		{"POST", "/connections"}, {"GET", "/connections"}, {"GET", "/connections/" + id},
	}
	for _, tc := range testCases {
		for _, r := range requests {
			t.Run(fmt.Sprintf("%s %s as %s", r.method, strings.Replace(r.path, id, "{id}", 1), tc.name), func(t *testing.T) {
				var body any
				if r.method == "POST" {
					body = policyConn(platformlocal.DemoBucket) // a name of its own: only the sub is at fault
				}
				status, out := call(t, tc.sub, r.method, r.path, body)
				msg, _ := out["Message"].(string)
				if status != http.StatusUnauthorized || !strings.Contains(msg, "not a valid user id") {
					t.Fatalf("%d %.300v, want 401 saying the token's user id is not valid", status, out)
				}
				if strings.Contains(msg, tc.sub) || strings.ContainsAny(msg, "\x00\n") {
					t.Errorf("the message echoes the sub: %q", msg)
				}
			})
		}
	}
	// The longest valid sub is a user like any other.
	valid := "ident-" + strings.Repeat("v", 122)
	if status, out := call(t, valid, "POST", "/connections", policyConn(platformlocal.DemoBucket)); status != http.StatusCreated {
		t.Fatalf("a valid 128-character sub: %d %v", status, out)
	}
	if status, out := call(t, owner, "GET", "/connections/"+id, nil); status != http.StatusOK {
		t.Fatalf("the owner: %d %v", status, out)
	}
}
