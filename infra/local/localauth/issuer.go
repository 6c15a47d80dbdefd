package localauth

import (
	"crypto/rsa"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Defaults of the local user pool. The issuer is an URL under the local API's
// address because a Cognito issuer is the URL under which the pool publishes
// its JWKS, and the local gateway serves the JWKS there too.
const (
	DefaultIssuer   = "http://127.0.0.1:8080/local-user-pool"
	DefaultAudience = "s3connections-local"
)

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

// Token returns an RS256 JWT shaped like a Cognito ID token for user, valid
// for ttl from now. The ID token (token_use "id") is what a Cognito-backed
// HTTP API with an audience of the app client id accepts and what carries
// cognito:username; its sub is the user id the API treats as the caller.
// user may be any non-empty string, as a user pool's sub could be: the
// API, not the authorizer, refuses one that is not a user id.
func (i *Issuer) Token(user string, ttl time.Duration) (string, error) {
	return i.tokenAt(user, ttl, time.Now())
}

// TokenAt is Token as if minted at now, for tests of the time checks: a
// now in the past gives a token that has already expired, a now in the
// future one issued in the future (both of which the Verifier rejects).
func (i *Issuer) TokenAt(user string, ttl time.Duration, now time.Time) (string, error) {
	return i.tokenAt(user, ttl, now)
}

func (i *Issuer) tokenAt(user string, ttl time.Duration, now time.Time) (string, error) {
	if i == nil || i.Key == nil {
		return "", errors.New("localauth: issuer has no key")
	}
	if user == "" {
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
		"sub":              user,
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
