package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// script answers the prompts in order; an answer may depend on what was
// written so far (the TOTP secret). It fails the test on a prompt it did
// not expect.
type script struct {
	t       *testing.T
	written bytes.Buffer
	answers []answerFunc
	prompts []string
}

type answerFunc func(written string) string

func (s *script) Write(p []byte) (int, error) { return s.written.Write(p) }

func (s *script) Line(prompt string) (string, error) {
	s.written.WriteString(prompt)
	s.prompts = append(s.prompts, prompt)
	if len(s.answers) == 0 {
		s.t.Fatalf("unexpected prompt %q after:\n%s", prompt, s.written.String())
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a(s.written.String()), nil
}

func (s *script) Secret(prompt string) (string, error) { return s.Line(prompt) }

func say(answer string) answerFunc { return func(string) string { return answer } }

var secretLine = regexp.MustCompile(`secret: ([A-Z2-7]+)`)

// codeFromPrintedSecret is the authenticator app: it reads the secret the
// command showed and answers with its current code, shifted by skew.
func codeFromPrintedSecret(t *testing.T, skew time.Duration) answerFunc {
	return func(written string) string {
		m := secretLine.FindStringSubmatch(written)
		if m == nil {
			t.Fatalf("no secret shown:\n%s", written)
		}
		if !strings.Contains(written, "otpauth://totp/s3connections:alice?issuer=s3connections&secret="+m[1]) {
			t.Errorf("no otpauth URI for the secret:\n%s", written)
		}
		return totp(m[1], time.Now().Add(skew))
	}
}

func loginArgs(endpoint string) []string {
	return []string{"-client", testClient, "-region", testRegion, "-endpoint", endpoint, "-user", "alice"}
}

// First sign-in of a user an administrator created: temporary password,
// new password, TOTP enrolment, then the ID token; the second sign-in asks
// for the password and a code only.
func TestFirstAndLaterLogin(t *testing.T) {
	fake, srv := newFakeCognito(t)
	fake.users["alice"] = &fakeUser{password: "Temp-passw0rd!", temporary: true}
	in := &script{t: t, answers: []answerFunc{
		say("Temp-passw0rd!"), say("Chosen-l0ng-passphrase!"), say("Chosen-l0ng-passphrase!"),
		codeFromPrintedSecret(t, 0),
	}}
	var out bytes.Buffer
	if err := run(loginArgs(srv.URL), in, &out); err != nil {
		t.Fatalf("first login: %v\n%s", err, in.written.String())
	}
	checkIDToken(t, out.String())
	u := fake.users["alice"]
	if !u.enrolled || u.temporary || u.password != "Chosen-l0ng-passphrase!" {
		t.Errorf("after the first login: %+v", u)
	}
	wantCalls := []string{"InitiateAuth", "RespondToAuthChallenge", "AssociateSoftwareToken", "VerifySoftwareToken", "RespondToAuthChallenge"}
	if !slices.Equal(fake.calls, wantCalls) {
		t.Errorf("calls %v, want %v", fake.calls, wantCalls)
	}

	fake.calls = nil
	in = &script{t: t, answers: []answerFunc{
		say("Chosen-l0ng-passphrase!"), func(string) string { return totp(u.secret, time.Now()) },
	}}
	out.Reset()
	if err := run(loginArgs(srv.URL), in, &out); err != nil {
		t.Fatalf("later login: %v\n%s", err, in.written.String())
	}
	checkIDToken(t, out.String())
	if !slices.Equal(fake.calls, []string{"InitiateAuth", "RespondToAuthChallenge"}) {
		t.Errorf("calls %v", fake.calls)
	}
	if len(in.prompts) != 2 || !strings.Contains(in.prompts[1], "6-digit code") {
		t.Errorf("prompts %q", in.prompts)
	}
}

// checkIDToken checks that stdout is one token, the ID token: the one
// whose aud is the app client, which the JWT authorizer's audience matches.
func checkIDToken(t *testing.T, stdout string) {
	t.Helper()
	parts := strings.Split(strings.TrimSuffix(stdout, "\n"), ".")
	if len(parts) != 3 || strings.Contains(stdout, " ") {
		t.Fatalf("stdout %q is not one JWT", stdout)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil || claims["token_use"] != "id" || claims["aud"] != testClient {
		t.Errorf("printed token's claims %v (%v), want the ID token for %s", claims, err, testClient)
	}
}

// A wrong code, at sign-in or at enrolment, prints no token and says so.
func TestWrongCode(t *testing.T) {
	fake, srv := newFakeCognito(t)
	fake.users["alice"] = &fakeUser{password: "Chosen-l0ng-passphrase!", secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", enrolled: true}
	fake.users["bob"] = &fakeUser{password: "Chosen-l0ng-passphrase!"}
	wrong := func(secret string) answerFunc {
		return func(string) string { return totp(secret, time.Now().Add(10*time.Minute)) }
	}
	for name, tc := range map[string]struct {
		user    string
		answers []answerFunc
	}{
		"sign-in":   {"alice", []answerFunc{say("Chosen-l0ng-passphrase!"), wrong("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}},
		"enrolment": {"bob", []answerFunc{say("Chosen-l0ng-passphrase!"), codeFromPrintedSecretFor(t, "bob", 10*time.Minute)}},
	} {
		t.Run(name, func(t *testing.T) {
			in := &script{t: t, answers: tc.answers}
			var out bytes.Buffer
			args := append(loginArgs(srv.URL)[:6], "-user", tc.user)
			err := run(args, in, &out)
			if err == nil || !strings.Contains(err.Error(), "wrong or expired code") {
				t.Errorf("error %v, want a wrong code", err)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
	if fake.users["bob"].enrolled {
		t.Error("bob enrolled with a wrong code")
	}
}

// codeFromPrintedSecretFor is codeFromPrintedSecret for any user.
func codeFromPrintedSecretFor(t *testing.T, user string, skew time.Duration) answerFunc {
	return func(written string) string {
		m := secretLine.FindStringSubmatch(written)
		if m == nil || !strings.Contains(written, "otpauth://totp/s3connections:"+user+"?") {
			t.Fatalf("no secret or URI shown:\n%s", written)
		}
		return totp(m[1], time.Now().Add(skew))
	}
}

func TestWrongPassword(t *testing.T) {
	fake, srv := newFakeCognito(t)
	fake.users["alice"] = &fakeUser{password: "Chosen-l0ng-passphrase!", enrolled: true}
	err := run(loginArgs(srv.URL), &script{t: t, answers: []answerFunc{say("guess")}}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "NotAuthorizedException") {
		t.Errorf("error %v", err)
	}
}

// Without -client and -region, they come from the outputs `make deploy`
// wrote: the client id, and the region of the pool id.
func TestTargetFromStackOutputs(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	path := filepath.Join(t.TempDir(), "outputs.json")
	os.WriteFile(path, []byte(`{"s3connections":{"UserPoolClientId":"abc","UserPoolId":"eu-south-1_XyZ"}}`), 0o600)
	got, err := resolveTarget("", "", path)
	if err != nil || got != (target{clientID: "abc", region: "eu-south-1"}) {
		t.Errorf("target %+v, %v", got, err)
	}
	if _, err := resolveTarget("", "", filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "POOL_CLIENT") {
		t.Errorf("missing outputs: %v", err)
	}
	if got, err := resolveTarget("x", "us-east-1", "/nonexistent"); err != nil || got.region != "us-east-1" {
		t.Errorf("flags: %+v, %v", got, err)
	}
}
