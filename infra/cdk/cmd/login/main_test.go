package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClient = "3n4b5urk1ft4fl3mlc5hoh7ri0"
	testRegion = "eu-west-1"
)

// totp is RFC 6238's code of a base32 secret at t: HMAC-SHA1, 30 s steps,
// 6 digits (what Cognito and authenticator apps use).
func totp(secret string, t time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		panic(err)
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(t.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(counter[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[offset:offset+4])&0x7fffffff)%1_000_000)
}

// RFC 6238 appendix B, SHA-1, T = 59 s: 94287082, whose last 6 digits
// are the 6-digit code.
func TestTOTPMatchesRFC6238(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	if got := totp(secret, time.Unix(59, 0)); got != "287082" {
		t.Errorf("totp = %s, want 287082", got)
	}
}

// fakeCognito is a user pool with MFA ON and TOTP its only factor, served
// over HTTP in the awsJson1_1 protocol, for the calls login makes.
type fakeCognito struct {
	t        *testing.T
	mu       sync.Mutex
	users    map[string]*fakeUser
	sessions map[string]fakeSession
	calls    []string
}

type fakeUser struct {
	password  string
	temporary bool
	secret    string // set by AssociateSoftwareToken
	enrolled  bool   // set by VerifySoftwareToken
}

// fakeSession is what a session string stands for: whose sign-in, and at
// which step.
type fakeSession struct{ user, step string }

type fakeError struct{ kind, message string }

func newFakeCognito(t *testing.T) (*fakeCognito, *httptest.Server) {
	f := &fakeCognito{t: t, users: map[string]*fakeUser{}, sessions: map[string]fakeSession{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeCognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		f.t.Errorf("request %s %s target %q type %q", r.Method, r.URL.Path, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"))
	}
	if r.Header.Get("Authorization") != "" {
		f.t.Errorf("%s is signed: these calls need no AWS credentials", op)
	}
	f.calls = append(f.calls, op)
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("%s: %v", op, err)
	}
	var out any
	var ferr *fakeError
	switch op {
	case "InitiateAuth":
		out, ferr = f.initiateAuth(in)
	case "RespondToAuthChallenge":
		out, ferr = f.respond(in)
	case "AssociateSoftwareToken":
		out, ferr = f.associate(in)
	case "VerifySoftwareToken":
		out, ferr = f.verify(in)
	default:
		ferr = &fakeError{"UnknownOperationException", op}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if ferr != nil {
		w.WriteHeader(http.StatusBadRequest)
		out = map[string]string{"__type": ferr.kind, "message": ferr.message}
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeCognito) initiateAuth(in map[string]any) (any, *fakeError) {
	params, _ := in["AuthParameters"].(map[string]any)
	u := f.users[str(params["USERNAME"])]
	if in["ClientId"] != testClient || in["AuthFlow"] != "USER_PASSWORD_AUTH" || u == nil || u.password != params["PASSWORD"] {
		return nil, &fakeError{"NotAuthorizedException", "Incorrect username or password."}
	}
	return f.next(str(params["USERNAME"]), u), nil
}

// next is the challenge that follows a correct password, or a new one.
func (f *fakeCognito) next(name string, u *fakeUser) any {
	step := "SOFTWARE_TOKEN_MFA"
	switch {
	case u.temporary:
		step = "NEW_PASSWORD_REQUIRED"
	case !u.enrolled:
		step = "MFA_SETUP"
	}
	return map[string]any{"ChallengeName": step, "Session": f.session(name, step),
		"ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": name}}
}

func (f *fakeCognito) respond(in map[string]any) (any, *fakeError) {
	s, ok := f.sessions[str(in["Session"])]
	responses, _ := in["ChallengeResponses"].(map[string]any)
	if !ok || in["ChallengeName"] != s.step || responses["USERNAME"] != s.user || in["ClientId"] != testClient {
		return nil, &fakeError{"NotAuthorizedException", "Invalid session for the user."}
	}
	delete(f.sessions, str(in["Session"]))
	u := f.users[s.user]
	switch s.step {
	case "NEW_PASSWORD_REQUIRED":
		u.password, u.temporary = str(responses["NEW_PASSWORD"]), false
		return f.next(s.user, u), nil
	case "SOFTWARE_TOKEN_MFA":
		if !validCode(u.secret, str(responses["SOFTWARE_TOKEN_MFA_CODE"])) {
			return nil, &fakeError{"CodeMismatchException", "Invalid code received for user"}
		}
	}
	return map[string]any{"AuthenticationResult": tokens(s.user)}, nil
}

func (f *fakeCognito) associate(in map[string]any) (any, *fakeError) {
	s, ok := f.sessions[str(in["Session"])]
	if !ok || s.step != "MFA_SETUP" {
		return nil, &fakeError{"NotAuthorizedException", "Invalid session"}
	}
	raw := make([]byte, 20)
	rand.Read(raw)
	f.users[s.user].secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	return map[string]any{"SecretCode": f.users[s.user].secret, "Session": f.session(s.user, "ASSOCIATED")}, nil
}

func (f *fakeCognito) verify(in map[string]any) (any, *fakeError) {
	s, ok := f.sessions[str(in["Session"])]
	if !ok || s.step != "ASSOCIATED" {
		return nil, &fakeError{"NotAuthorizedException", "Invalid session"}
	}
	u := f.users[s.user]
	if !validCode(u.secret, str(in["UserCode"])) {
		return nil, &fakeError{"EnableSoftwareTokenMFAException", "Code mismatch"}
	}
	u.enrolled = true
	// The MFA_SETUP challenge is answered with the session this returns.
	return map[string]any{"Status": "SUCCESS", "Session": f.session(s.user, "MFA_SETUP")}, nil
}

func (f *fakeCognito) session(user, step string) string {
	raw := make([]byte, 12)
	rand.Read(raw)
	id := base64.RawURLEncoding.EncodeToString(raw)
	f.sessions[id] = fakeSession{user, step}
	return id
}

// validCode accepts the codes of the current step and its neighbours.
func validCode(secret, code string) bool {
	now := time.Now()
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if secret != "" && totp(secret, now.Add(d)) == code {
			return true
		}
	}
	return false
}

// tokens are Cognito's shapes: the ID token's aud is the client, the
// access token has client_id instead.
func tokens(user string) map[string]any {
	jwt := func(claims map[string]any) string {
		raw, _ := json.Marshal(claims)
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(raw) + ".c2ln"
	}
	return map[string]any{
		"IdToken":      jwt(map[string]any{"token_use": "id", "aud": testClient, "cognito:username": user}),
		"AccessToken":  jwt(map[string]any{"token_use": "access", "client_id": testClient, "username": user}),
		"RefreshToken": "refresh", "ExpiresIn": 3600, "TokenType": "Bearer",
	}
}

func str(v any) string { s, _ := v.(string); return s }
