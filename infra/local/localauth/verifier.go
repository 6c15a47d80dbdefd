package localauth

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrNoToken means the request carried no token at all (no Authorization
// header, or an empty one). The HTTP API answers 401 for it too, but with no
// www-authenticate header, as there is no token to describe.
var ErrNoToken = errors.New("localauth: no token")

// TokenError is a rejected token. Description is the text the HTTP API puts in
// error_description of its www-authenticate header. AWS documents only
// "the token does not have a valid audience"; the other descriptions follow
// the same style and are this package's wording, not AWS's.
type TokenError struct {
	Description string
	Err         error // underlying cause, for logs; never shown to clients
}

func (e *TokenError) Error() string {
	if e.Err != nil {
		return "localauth: " + e.Description + ": " + e.Err.Error()
	}
	return "localauth: " + e.Description
}

func (e *TokenError) Unwrap() error { return e.Err }

// Verifier validates tokens the way the HTTP API's JWT authorizer does, for a
// single issuer whose only signing key is the one it was built from.
type Verifier struct {
	key       *rsa.PublicKey
	kid       string
	issuer    string
	audiences []string
	now       func() time.Time
}

// NewVerifier returns a Verifier accepting tokens signed by the private half of
// pub (kid KeyID(pub)), issued by issuer, for one of audiences. Empty issuer or
// no audiences mean DefaultIssuer and DefaultAudience.
func NewVerifier(pub *rsa.PublicKey, issuer string, audiences ...string) *Verifier {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if len(audiences) == 0 {
		audiences = []string{DefaultAudience}
	}
	return &Verifier{
		key:       pub,
		kid:       KeyID(pub),
		issuer:    issuer,
		audiences: append([]string(nil), audiences...),
		now:       time.Now,
	}
}

// Issuer is the iss the Verifier accepts; the gateway serves the JWKS under it.
func (v *Verifier) Issuer() string { return v.issuer }

// WithClock returns a copy of v that reads the current time from now, so that
// expiry can be tested without sleeping.
func (v *Verifier) WithClock(now func() time.Time) *Verifier {
	c := *v
	c.now = now
	return &c
}

// Verify checks the value of an Authorization header and returns the token's
// claims as the HTTP API passes them to the integration (every value a
// string, see ClaimStrings) and its scopes (the scope claim split on spaces,
// or scp). Like the HTTP API it accepts the token with or without a "Bearer "
// prefix. It returns ErrNoToken for a missing token and a *TokenError for a
// token it rejects.
func (v *Verifier) Verify(authorization string) (claims map[string]string, scopes []string, err error) {
	raw := strings.TrimSpace(authorization)
	if len(raw) >= 6 && strings.EqualFold(raw[:6], "bearer") && (len(raw) == 6 || raw[6] == ' ') {
		raw = strings.TrimSpace(raw[6:])
	}
	if raw == "" {
		return nil, nil, ErrNoToken
	}

	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithJSONNumber(), // keep numbers as written, as the authorizer renders them
		jwt.WithIssuer(v.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
	)
	mc := jwt.MapClaims{}
	_, err = parser.ParseWithClaims(raw, mc, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid != v.kid {
			return nil, errKid
		}
		return v.key, nil
	})
	if err != nil {
		return nil, nil, classify(err)
	}
	if !v.audienceOK(mc) {
		return nil, nil, &TokenError{Description: "the token does not have a valid audience"}
	}
	if sub, _ := mc["sub"].(string); sub == "" {
		return nil, nil, &TokenError{Description: "the token does not have a valid subject"}
	}
	return ClaimStrings(mc), tokenScopes(mc), nil
}

var errKid = errors.New("kid does not match any key of the issuer")

// classify maps a jwt parse error to the description the authorizer gives.
func classify(err error) *TokenError {
	desc := "the token is invalid"
	switch {
	case errors.Is(err, errKid):
		desc = "the token's key id is not in the issuer's key set"
	case errors.Is(err, jwt.ErrTokenMalformed):
		desc = "the token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		desc = "the token signature is invalid"
	case errors.Is(err, jwt.ErrTokenExpired):
		desc = "the token has expired"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		desc = "the token is missing a required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		desc = "the token does not have a valid issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		desc = "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		desc = "the token was issued in the future"
	}
	return &TokenError{Description: desc, Err: err}
}

// audienceOK applies the authorizer's rule: aud must match one configured
// audience; client_id (Cognito access tokens carry no aud) is checked only
// when aud is absent.
func (v *Verifier) audienceOK(mc jwt.MapClaims) bool {
	var got []string
	if _, has := mc["aud"]; has {
		aud, err := mc.GetAudience()
		if err != nil {
			return false
		}
		got = aud
	} else if cid, ok := mc["client_id"].(string); ok {
		got = []string{cid}
	}
	for _, g := range got {
		for _, want := range v.audiences {
			if g == want {
				return true
			}
		}
	}
	return false
}

// tokenScopes reads the OAuth scopes: the space-separated scope claim, or scp
// (a string or a list) when scope is absent.
func tokenScopes(mc jwt.MapClaims) []string {
	if s, ok := mc["scope"].(string); ok {
		return strings.Fields(s)
	}
	switch scp := mc["scp"].(type) {
	case string:
		return strings.Fields(scp)
	case []any:
		var out []string
		for _, e := range scp {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ClaimStrings renders claims the way the HTTP API's JWT authorizer puts them
// in requestContext.authorizer.jwt.claims: strings as they are, numbers as
// written in the token (exp "1700000000", not 1.7e+09), booleans as
// "true"/"false", arrays in brackets with space-separated elements
// (cognito:groups ["a","b"] becomes "[a b]"), objects as JSON text, and
// null-valued claims left out. Handlers parse these strings on AWS, so they
// must parse the same strings locally.
func ClaimStrings(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		if v == nil {
			continue
		}
		out[k] = renderClaim(v)
	}
	return out
}

func renderClaim(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderClaim(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// jwk is one key of a JWKS, with the members in the order Cognito lists them.
type jwk struct {
	Alg string `json:"alg"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	Use string `json:"use"`
}

// JWKS returns the JSON Web Key Set of the Verifier's key, the document a
// Cognito pool serves at <issuer>/.well-known/jwks.json.
func (v *Verifier) JWKS() []byte {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{{
		Alg: "RS256",
		E:   b64(big.NewInt(int64(v.key.E)).Bytes()),
		Kid: v.kid,
		Kty: "RSA",
		N:   b64(v.key.N.Bytes()),
		Use: "sig",
	}}}
	b, _ := json.Marshal(doc) // cannot fail: only strings
	return b
}
