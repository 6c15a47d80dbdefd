package localauth

import (
	"crypto/rsa"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Defaults of the local user pool. The issuer is an URL under the local API's
// address (IssuerOf) because a Cognito issuer is the URL under which the
// pool publishes its JWKS, and the local gateway serves the JWKS there too.
// DefaultIssuer is the issuer of the API's default address.
const (
	DefaultIssuer   = "http://127.0.0.1:8080" + issuerPath
	DefaultAudience = "s3connections-local"
	issuerPath      = "/local-user-pool"
)

// IssuerOf is the issuer of the local user pool of the API at apiURL.
func IssuerOf(apiURL string) string { return strings.TrimSuffix(apiURL, "/") + issuerPath }

// Issuer mints tokens the way the Cognito user pool does for a signed-in user.
type Issuer struct {
	Key      *rsa.PrivateKey
	Issuer   string // iss; DefaultIssuer when empty
	Audience string // aud, the app client id; DefaultAudience when empty
	// KeyID is the kid header. Empty means KeyID(&Key.PublicKey), which is the
	// only kid a Verifier built from the same key accepts; set it only to mint
	// tokens that must fail the kid check.
	KeyID string
}

// Token returns an RS256 JWT shaped like a Cognito ID token for the user
// named user, valid for ttl from now. The ID token (token_use "id") is
// what a Cognito-backed HTTP API with an audience of the app client id
// accepts and what carries cognito:username, the user id the API treats
// as the caller. Its sub is, as in a user pool, an opaque UUID: Sub(user),
// the same at every start of the local platform. user may be any
// non-empty string, as a pool's user name could be: the API, not the
// authorizer, refuses one that is not a user id.
func (i *Issuer) Token(user string, ttl time.Duration) (string, error) {
	return i.tokenAt(User{Name: user, Sub: Sub(user)}, ttl, time.Now())
}

// TokenAt is Token as if minted at now, for tests of the time checks: a
// now in the past gives a token that has already expired, a now in the
// future one issued in the future (both of which the Verifier rejects).
func (i *Issuer) TokenAt(user string, ttl time.Duration, now time.Time) (string, error) {
	return i.tokenAt(User{Name: user, Sub: Sub(user)}, ttl, now)
}

// User is a user of the pool: a name and the sub the pool gave it.
type User struct{ Name, Sub string }

// TokenFor is Token for a user whose sub is not Sub(name): a later user of
// the same name, for tests of what the platform does with one.
func (i *Issuer) TokenFor(u User, ttl time.Duration) (string, error) {
	return i.tokenAt(u, ttl, time.Now())
}

// Sub is the sub of the local pool's user named name: a UUID (version 5)
// of the name, so that a name keeps its sub across restarts of the local
// platform, as a user of a pool keeps theirs.
func Sub(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("s3connections-local-user-pool:"+name)).String()
}

func (i *Issuer) tokenAt(u User, ttl time.Duration, now time.Time) (string, error) {
	if i == nil || i.Key == nil {
		return "", errors.New("localauth: issuer has no key")
	}
	user := u.Name
	if user == "" || u.Sub == "" {
		return "", errors.New("localauth: empty user")
	}
	if ttl <= 0 {
		return "", errors.New("localauth: ttl must be positive")
	}
	iss, aud, kid := i.Issuer, i.Audience, i.KeyID
	if iss == "" {
		iss = DefaultIssuer
	}
	if aud == "" {
		aud = DefaultAudience
	}
	if kid == "" {
		kid = KeyID(&i.Key.PublicKey)
	}
	iat := now.Unix()
	claims := jwt.MapClaims{
		"sub":              u.Sub,
		"cognito:username": user,
		"iss":              iss,
		"aud":              aud,
		"token_use":        "id",
		"auth_time":        iat,
		"iat":              iat,
		"exp":              now.Add(ttl).Unix(),
		"jti":              uuid.NewString(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	return t.SignedString(i.Key)
}
