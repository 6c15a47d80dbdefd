package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/golang-jwt/jwt/v5"
)

// make token takes USER from its command line only: the shell's $USER
// (the login name) in the environment is no user of the platform.
func TestMakeTokenTakesUserFromTheCommandLineOnly(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"token", "attach-policy"} {
		cmd := exec.Command("make", "-s", "-C", root, target)
		cmd.Env = append(os.Environ(), "USER=login-name")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "give one on the command line, e.g. make "+target+" USER=alice") {
			t.Errorf("make %s with USER only in the environment: %v %s", target, err, out)
		}
	}
	cmd := exec.Command("make", "-s", "-C", root, "token", "USER=alice", "--dry-run")
	cmd.Env = append(os.Environ(), "USER=login-name")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `-user "alice"`) {
		t.Errorf("make token USER=alice: %v %s", err, out)
	}
}

// A token is issued by the running platform's issuer (endpoints.env), so
// it follows the API's -addr; without a running platform, the default.
func TestTokenFollowsTheRunningPlatformsIssuer(t *testing.T) {
	data := t.TempDir()
	issuerOf := func() string {
		t.Helper()
		tok, err := tokenFor(data, "alice")
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
			t.Fatal(err)
		}
		if claims["cognito:username"] != "alice" || claims["sub"] != localauth.Sub("alice") {
			t.Fatalf("claims %v", claims)
		}
		return claims["iss"].(string)
	}
	if got := issuerOf(); got != localauth.DefaultIssuer {
		t.Fatalf("no platform: issuer %s", got)
	}
	env := "S3CONNECTIONS_API_URL=http://127.0.0.1:18080\nS3CONNECTIONS_ISSUER=" + localauth.IssuerOf("http://127.0.0.1:18080") + "\n"
	if err := os.WriteFile(filepath.Join(data, "endpoints.env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := issuerOf(); got != "http://127.0.0.1:18080/local-user-pool" {
		t.Fatalf("a platform on 18080: issuer %s", got)
	}
}
