package httpapi

import (
	"context"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/access"
)

// Identities binds user names to the user pool's subs (package access):
// the metadata store.
type Identities interface {
	BindUser(ctx context.Context, user, sub string) (bool, error)
}

// callers tells who calls: the token's user name, if it is a user id and
// still belongs to the user it was first seen with.
type callers struct {
	ids Identities // nil: names are not bound (tests of the routes alone)
	// bound remembers the bindings this process has read, so that a warm
	// function reads each user's binding once. Bindings never change but by
	// an operator's release, after which the released name's old sub is
	// refused by the store anyway: a remembered pair is still the binding.
	mu    sync.Mutex
	bound map[string]string
}

// maxBound bounds the remembered bindings (a warm function serves few users).
const maxBound = 10_000

func newCallers(ids Identities) *callers { return &callers{ids: ids, bound: map[string]string{}} }

// of returns the caller's id, or the message of the 401 that a request
// without a valid one gets, or an error if the binding cannot be read.
// API Gateway's authorizer has checked the token, but it cannot know what
// a user id is: a name that is not one (access.ValidUser, the rule of
// AuthorizedUsers) is no caller either. The message never echoes the
// claims, which may be long or hold control bytes.
func (c *callers) of(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (caller, unauthorized string, err error) {
	user, sub := claimsOf(ev)
	switch {
	case user == "" || sub == "":
		return "", "a bearer token of a user pool user (with cognito:username and sub claims) is required", nil
	case !access.ValidUser(user):
		return "", "the token's user name is not a valid user id: " + access.UserRule, nil
	}
	if c.ids == nil || c.remembered(user, sub) {
		return user, "", nil
	}
	ok, err := c.ids.BindUser(ctx, user, sub)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "this user name belonged to another user of the pool; an operator must release it (make release-user) before it can be used again", nil
	}
	c.remember(user, sub)
	return user, "", nil
}

// claimsOf returns the user name and sub of the token: cognito:username in
// an ID token, username in an access token (Cognito names it so there).
func claimsOf(ev events.APIGatewayV2HTTPRequest) (user, sub string) {
	if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		return "", ""
	}
	claims := ev.RequestContext.Authorizer.JWT.Claims
	user = claims["cognito:username"]
	if user == "" && claims["token_use"] == "access" {
		user = claims["username"]
	}
	return user, claims["sub"]
}

func (c *callers) remembered(user, sub string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bound[user] == sub
}

func (c *callers) remember(user, sub string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bound) >= maxBound {
		clear(c.bound)
	}
	c.bound[user] = sub
}
