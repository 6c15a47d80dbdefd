// Command login prints an ID token for the deployed API: it signs a user in
// to the stack's Cognito user pool through its challenges (a new password,
// TOTP enrolment, the TOTP code) and prints the ID token, whose aud is the
// app client, as the HTTP API's JWT authorizer requires (access tokens
// carry client_id, not aud).
//
// It uses USER_PASSWORD_AUTH over TLS (no SRP library is at hand for Go):
// the password goes to Cognito in the TLS-protected request body, never in
// a flag or the environment. Prompts go to stderr and answers are read from
// the terminal (without echo for passwords) or from stdin, so
// TOKEN=$(make login USERNAME=alice) captures the token alone.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// outputsFile is where `make deploy` writes the stack's outputs.
const outputsFile = "cdk.out/outputs.json"

func main() {
	if err := run(os.Args[1:], newTerminal(os.Stdin, os.Stderr), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "login:", err)
		os.Exit(1)
	}
}

// run parses the flags, finds the app client and its region, and prints
// the ID token on out.
func run(args []string, in prompter, out io.Writer) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	client := fs.String("client", "", "app client id (default: UserPoolClientId of -outputs)")
	user := fs.String("user", "", "user name or email (asked for when empty)")
	region := fs.String("region", "", "region of the user pool (default: AWS_REGION, else that of UserPoolId in -outputs)")
	outputs := fs.String("outputs", outputsFile, "the stack outputs `make deploy` wrote")
	endpoint := fs.String("endpoint", "", "Cognito endpoint URL (default: the region's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, err := resolveTarget(*client, *region, *outputs)
	if err != nil {
		return err
	}
	if *user == "" {
		if *user, err = in.Line("User name: "); err != nil {
			return err
		}
	}
	api := cognitoidentityprovider.New(cognitoidentityprovider.Options{
		Region: target.region, BaseEndpoint: optional(*endpoint),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tokens, err := login(ctx, api, target.clientID, *user, in)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, *tokens.IdToken)
	return err
}

type target struct{ clientID, region string }

// resolveTarget fills what the flags leave out from the environment and
// the stack outputs.
func resolveTarget(clientID, region, outputsPath string) (target, error) {
	t := target{clientID: clientID, region: region}
	if t.region == "" {
		t.region = firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	if t.clientID != "" && t.region != "" {
		return t, nil
	}
	outs, err := readOutputs(outputsPath)
	if err != nil {
		return t, fmt.Errorf("%w: pass -client and -region (make login POOL_CLIENT=… AWS_REGION=…), or run make deploy first", err)
	}
	if t.clientID == "" {
		t.clientID = outs["UserPoolClientId"]
	}
	if t.region == "" {
		// A pool id is <region>_<id>.
		t.region, _, _ = strings.Cut(outs["UserPoolId"], "_")
	}
	if t.clientID == "" || t.region == "" {
		return t, fmt.Errorf("%s names no UserPoolClientId or UserPoolId: pass -client and -region", outputsPath)
	}
	return t, nil
}

// readOutputs reads the outputs of the s3connections stack from the file
// `cdk deploy --outputs-file` writes ({"<stack>": {"<output>": "<value>"}}).
func readOutputs(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var stacks map[string]map[string]string
	if err := json.Unmarshal(raw, &stacks); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if outs, ok := stacks["s3connections"]; ok {
		return outs, nil
	}
	return nil, errors.New(path + " has no s3connections stack")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
