package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/google/uuid"
)

// The token's user name is input too. The gateway's authorizer accepts any
// signed token (it cannot know what a user id is), so the api function
// turns away a name that is not a user id by the rule of AuthorizedUsers:
// 401 in the API's error shape, a message that says so without echoing
// the name, never a 500 (a 3,000-character id was one: DynamoDB refused
// the key) nor a second user spelled like an existing one (a trailing
// space, a NUL). The tokens are minted by the local user pool
// (localauth), which signs any non-empty name.
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

// Users are their names in the pool (cognito:username), not their opaque
// subs: alice shares with "idn-bob" and bob, whose token's sub is a UUID,
// sees it. A later user of the pool with bob's name (another sub) is
// refused, whatever was shared with the name, until an operator releases
// the name; then the new user has it and the old sub is refused. The local
// pool's issuer follows the API's address (a free port here, not 8080).
func TestUsersAreTheirNames(t *testing.T) {
	ctx := context.Background()
	const alice, bob = "idn-alice", "idn-bob"
	in := policyConn(platformlocal.DemoBucket)
	in["AuthorizedUsers"] = []string{bob}
	id := mustCreate(t, alice, in)
	if status, out := call(t, bob, "GET", "/connections/"+id, nil); status != http.StatusOK {
		t.Fatalf("bob, by name: %d %v", status, out)
	}
	if status, _ := call(t, localauth.Sub(bob), "GET", "/connections/"+id, nil); status != http.StatusNotFound {
		t.Fatalf("bob's sub as a name: %d, want 404 (it is no user anything was shared with)", status)
	}
	later := localauth.User{Name: bob, Sub: uuid.NewString()}
	asLater := func() (int, map[string]any) {
		tok, err := plat.Issuer.TokenFor(later, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		status, out, _ := send(t, "Bearer "+tok, "GET", "/connections/"+id, nil)
		return status, out
	}
	if status, out := asLater(); status != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(out["Message"]), "belonged to another user") {
		t.Fatalf("a later user named bob: %d %v, want 401", status, out)
	}
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if released, err := metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table).ReleaseUser(ctx, bob); err != nil || !released {
		t.Fatalf("release bob: %v %v", released, err)
	}
	if status, out := asLater(); status != http.StatusOK {
		t.Fatalf("the new bob after the release: %d %v", status, out)
	}
	if status, _ := call(t, bob, "GET", "/connections/"+id, nil); status != http.StatusUnauthorized {
		t.Fatalf("the first bob after the release: %d, want 401", status)
	}
	var doc struct{ Issuer string }
	resp, err := http.Get(localauth.IssuerOf(plat.APIURL) + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer != plat.APIURL+"/local-user-pool" || doc.Issuer != plat.Issuer.Issuer {
		t.Fatalf("discovery %+v %v: want the issuer under %s, the tokens'", doc, err, plat.APIURL)
	}
}
