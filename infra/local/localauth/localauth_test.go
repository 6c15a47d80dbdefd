package localauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKeys are generated once: RSA 2048 generation dominates the test time.
var (
	keyOnce           sync.Once
	keyMain, keyOther *rsa.PrivateKey
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if keyMain, err = rsa.GenerateKey(rand.Reader, KeyBits); err != nil {
			panic(err)
		}
		if keyOther, err = rsa.GenerateKey(rand.Reader, KeyBits); err != nil {
			panic(err)
		}
	})
	return keyMain, keyOther
}

func TestLoadOrCreateKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "signing-key.pem")

	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if k1.N.BitLen() != KeyBits {
		t.Fatalf("key size %d, want %d", k1.N.BitLen(), KeyBits)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %o, want 600", perm)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !k1.Equal(k2) {
		t.Fatal("second load returned a different key")
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key", len(entries))
	}

	// A token signed with the first load verifies with a verifier built from the second.
	tok, err := (&Issuer{Key: k1}).Token("alice", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewVerifier(&k2.PublicKey, "").Verify("Bearer " + tok); err != nil {
		t.Fatalf("token from persisted key rejected: %v", err)
	}
}

func TestLoadOrCreateKeyRaceAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	const n = 4
	got := make([]*rsa.PrivateKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = LoadOrCreateKey(path)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if !got[i].Equal(got[0]) {
			t.Fatalf("goroutine %d got a different key than goroutine 0", i)
		}
	}
	onDisk, err := LoadOrCreateKey(path)
	if err != nil || !onDisk.Equal(got[0]) {
		t.Fatalf("key on disk differs from the one handed out (err %v)", err)
	}
}

func TestLoadOrCreateKeyReadsPKCS1AndRejectsGarbage(t *testing.T) {
	k, _ := keys(t)
	dir := t.TempDir()
	pkcs1 := filepath.Join(dir, "pkcs1.pem")
	if err := os.WriteFile(pkcs1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadOrCreateKey(pkcs1)
	if err != nil || !got.Equal(k) {
		t.Fatalf("PKCS#1 key not loaded: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(garbage); err == nil {
		t.Fatal("garbage key file accepted; it must not be silently replaced")
	}
}

func TestTokenShapeAndVerify(t *testing.T) {
	k, _ := keys(t)
	now := time.Now()
	tok, err := (&Issuer{Key: k}).TokenAt("alice", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	// Header: RS256 with the key's thumbprint as kid.
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var hdr map[string]any
	mustDecodeSegment(t, parts[0], &hdr)
	if hdr["alg"] != "RS256" || hdr["kid"] != KeyID(&k.PublicKey) {
		t.Fatalf("header %v", hdr)
	}

	claims, scopes, err := NewVerifier(&k.PublicKey, DefaultIssuer, DefaultAudience).Verify("Bearer " + tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if scopes != nil {
		t.Fatalf("an ID token has no scopes, got %v", scopes)
	}
	iat := now.Unix()
	want := map[string]string{
		"sub":              Sub("alice"), // opaque, as a pool's: the user name is the user id
		"cognito:username": "alice",
		"iss":              DefaultIssuer,
		"aud":              DefaultAudience,
		"token_use":        "id",
		"iat":              itoa(iat),
		"auth_time":        itoa(iat),
		"exp":              itoa(iat + 3600),
		"jti":              claims["jti"],
	}
	if len(claims["jti"]) != 36 || len(claims["sub"]) != 36 || Sub("alice") != Sub("alice") || Sub("alice") == Sub("bob") {
		t.Fatalf("jti %q or sub %q is not a UUID, or subs are not one per name", claims["jti"], claims["sub"])
	}
	if !reflect.DeepEqual(claims, want) {
		t.Fatalf("claims\n got %v\nwant %v", claims, want)
	}
}

func TestIssuerRejectsBadInput(t *testing.T) {
	k, _ := keys(t)
	for name, tc := range map[string]struct {
		iss  *Issuer
		user string
		ttl  time.Duration
	}{
		"no key":   {&Issuer{}, "alice", time.Minute},
		"no user":  {&Issuer{Key: k}, "", time.Minute},
		"zero ttl": {&Issuer{Key: k}, "alice", 0},
	} {
		if _, err := tc.iss.Token(tc.user, tc.ttl); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestVerifyAcceptsRawTokenAndBearerCaseInsensitively(t *testing.T) {
	k, _ := keys(t)
	tok, _ := (&Issuer{Key: k}).Token("alice", time.Minute)
	v := NewVerifier(&k.PublicKey, "")
	for _, h := range []string{tok, "Bearer " + tok, "bearer " + tok, "  Bearer   " + tok + " "} {
		if _, _, err := v.Verify(h); err != nil {
			t.Errorf("Verify(%.20q...) = %v", h, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	k, other := keys(t)
	now := time.Unix(1_800_000_000, 0)
	v := NewVerifier(&k.PublicKey, DefaultIssuer, DefaultAudience).WithClock(func() time.Time { return now })

	good := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub": "alice", "iss": DefaultIssuer, "aud": DefaultAudience, "token_use": "id",
			"iat": now.Unix() - 10, "exp": now.Unix() + 3600,
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(c jwt.MapClaims, key *rsa.PrivateKey, kid string, method jwt.SigningMethod) string {
		tk := jwt.NewWithClaims(method, c)
		if kid != "" {
			tk.Header["kid"] = kid
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	kid := KeyID(&k.PublicKey)
	valid := sign(good(nil), k, kid, jwt.SigningMethodRS256)
	tampered := func() string {
		p := strings.Split(valid, ".")
		body, _ := base64.RawURLEncoding.DecodeString(p[1])
		body = []byte(strings.Replace(string(body), `"alice"`, `"mallory"`, 1))
		p[1] = base64.RawURLEncoding.EncodeToString(body)
		return strings.Join(p, ".")
	}()

	tests := []struct {
		name, header, desc string
	}{
		{"empty header", "", ""},
		{"bearer only", "Bearer ", ""},
		{"garbage", "Bearer abc.def", "the token is malformed"},
		{"tampered payload", "Bearer " + tampered, "the token signature is invalid"},
		{"other key, its own kid", "Bearer " + sign(good(nil), other, KeyID(&other.PublicKey), jwt.SigningMethodRS256), "the token's key id is not in the issuer's key set"},
		{"other key, our kid", "Bearer " + sign(good(nil), other, kid, jwt.SigningMethodRS256), "the token signature is invalid"},
		{"no kid", "Bearer " + sign(good(nil), k, "", jwt.SigningMethodRS256), "the token's key id is not in the issuer's key set"},
		{"RS512", "Bearer " + sign(good(nil), k, kid, jwt.SigningMethodRS512), "the token signature is invalid"},
		{"wrong issuer", "Bearer " + sign(good(func(c jwt.MapClaims) { c["iss"] = "http://127.0.0.1:8080/other-pool" }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid issuer"},
		{"issuer trailing slash", "Bearer " + sign(good(func(c jwt.MapClaims) { c["iss"] = DefaultIssuer + "/" }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid issuer"},
		{"wrong audience", "Bearer " + sign(good(func(c jwt.MapClaims) { c["aud"] = "another-client" }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid audience"},
		{"aud wrong though client_id right", "Bearer " + sign(good(func(c jwt.MapClaims) { c["aud"] = "x"; c["client_id"] = DefaultAudience }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid audience"},
		{"no aud no client_id", "Bearer " + sign(good(func(c jwt.MapClaims) { delete(c, "aud") }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid audience"},
		{"expired", "Bearer " + sign(good(func(c jwt.MapClaims) { c["exp"] = now.Unix() - 1 }), k, kid, jwt.SigningMethodRS256), "the token has expired"},
		{"expires now", "Bearer " + sign(good(func(c jwt.MapClaims) { c["exp"] = now.Unix() }), k, kid, jwt.SigningMethodRS256), "the token has expired"},
		{"no exp", "Bearer " + sign(good(func(c jwt.MapClaims) { delete(c, "exp") }), k, kid, jwt.SigningMethodRS256), "the token is missing a required claim"},
		{"nbf in future", "Bearer " + sign(good(func(c jwt.MapClaims) { c["nbf"] = now.Unix() + 60 }), k, kid, jwt.SigningMethodRS256), "the token is not valid yet"},
		{"iat in future", "Bearer " + sign(good(func(c jwt.MapClaims) { c["iat"] = now.Unix() + 60 }), k, kid, jwt.SigningMethodRS256), "the token was issued in the future"},
		{"no sub", "Bearer " + sign(good(func(c jwt.MapClaims) { delete(c, "sub") }), k, kid, jwt.SigningMethodRS256), "the token does not have a valid subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims, _, err := v.Verify(tc.header)
			if err == nil {
				t.Fatalf("accepted, claims %v", claims)
			}
			if tc.desc == "" {
				if !errors.Is(err, ErrNoToken) {
					t.Fatalf("err %v, want ErrNoToken", err)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err %T %v, want *TokenError", err, err)
			}
			if te.Description != tc.desc {
				t.Fatalf("description %q, want %q (err %v)", te.Description, tc.desc, err)
			}
		})
	}

	// Sanity: the unmodified token passes with the same clock.
	if _, _, err := v.Verify("Bearer " + valid); err != nil {
		t.Fatalf("valid token rejected: %v", err)
	}
}

func TestVerifyAccessTokenUsesClientIDAndScopes(t *testing.T) {
	k, _ := keys(t)
	v := NewVerifier(&k.PublicKey, DefaultIssuer, "other-client", DefaultAudience)
	now := time.Now().Unix()
	tk := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub": "alice", "iss": DefaultIssuer, "client_id": DefaultAudience, "token_use": "access",
		"scope": "connections/read connections/write", "iat": now, "exp": now + 60,
		"cognito:groups": []string{"admins", "engineers"},
		"email_verified": true,
		"custom:limits":  map[string]int{"runs": 3},
		"nothing":        nil,
		"ratio":          0.5,
		"big":            int64(12345678901234),
	})
	tk.Header["kid"] = KeyID(&k.PublicKey)
	s, err := tk.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	claims, scopes, err := v.Verify("Bearer " + s)
	if err != nil {
		t.Fatalf("access token rejected: %v", err)
	}
	if want := []string{"connections/read", "connections/write"}; !reflect.DeepEqual(scopes, want) {
		t.Fatalf("scopes %v, want %v", scopes, want)
	}
	for k, want := range map[string]string{
		"cognito:groups": "[admins engineers]",
		"email_verified": "true",
		"custom:limits":  `{"runs":3}`,
		"ratio":          "0.5",
		"big":            "12345678901234",
		"exp":            itoa(now + 60),
		"scope":          "connections/read connections/write",
	} {
		if claims[k] != want {
			t.Errorf("claim %s = %q, want %q", k, claims[k], want)
		}
	}
	if _, ok := claims["nothing"]; ok {
		t.Error("null claim present; the authorizer leaves it out")
	}
}

func TestJWKS(t *testing.T) {
	k, _ := keys(t)
	v := NewVerifier(&k.PublicKey, "")
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(v.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("%d keys", len(doc.Keys))
	}
	j := doc.Keys[0]
	if j["kty"] != "RSA" || j["alg"] != "RS256" || j["use"] != "sig" || j["kid"] != KeyID(&k.PublicKey) || j["e"] != "AQAB" {
		t.Fatalf("jwk %v", j)
	}
	n, err := base64.RawURLEncoding.DecodeString(j["n"])
	if err != nil || string(n) != string(k.N.Bytes()) {
		t.Fatalf("n does not round-trip: %v", err)
	}
	// RFC 7638 appendix A.1 example thumbprint, to pin the kid algorithm.
	if got := KeyID(rfc7638Key(t)); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("RFC 7638 thumbprint %s", got)
	}
}

func rfc7638Key(t *testing.T) *rsa.PublicKey {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{E: 65537}
	pub.N = new(big.Int).SetBytes(n)
	return pub
}

func mustDecodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
