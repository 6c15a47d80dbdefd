package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// By default every user has a TOTP second factor (never SMS), and the
// password policy is what cdk-nag's COG1 asks, with a history.
func TestUserPoolRequiresTOTPByDefault(t *testing.T) {
	id, pool := platformJSON.one(t, "AWS::Cognito::UserPool")
	if !strings.HasPrefix(id, "Api"+userPoolIDRequired) {
		t.Errorf("pool logical id %s, want one under %s (a new pool where MFA was optional)", id, userPoolIDRequired)
	}
	props := pool.Properties
	if props["MfaConfiguration"] != "ON" || asJSON(props["EnabledMfas"]) != `["SOFTWARE_TOKEN_MFA"]` {
		t.Errorf("MFA %v with %v, want ON with TOTP only", props["MfaConfiguration"], props["EnabledMfas"])
	}
	if props["SmsConfiguration"] != nil {
		t.Errorf("SMS configured: %v", props["SmsConfiguration"])
	}
	if props["UserPoolTier"] != "ESSENTIALS" {
		t.Errorf("tier %v, want ESSENTIALS", props["UserPoolTier"])
	}
	policy := asJSON(props["Policies"])
	for _, want := range []string{`"MinimumLength":12`, `"RequireLowercase":true`, `"RequireUppercase":true`,
		`"RequireNumbers":true`, `"RequireSymbols":true`, `"PasswordHistorySize":5`, `"TemporaryPasswordValidityDays":3`} {
		if !strings.Contains(policy, want) {
			t.Errorf("password policy %s lacks %s", policy, want)
		}
	}
	if pool.DeletionPolicy != "Retain" {
		t.Errorf("deletion policy %q", pool.DeletionPolicy)
	}
}

// `make login` signs in with USER_PASSWORD_AUTH; the refresh flow is
// always allowed.
func TestClientAllowsPasswordAuth(t *testing.T) {
	_, client := platformJSON.one(t, "AWS::Cognito::UserPoolClient")
	flows := asJSON(client.Properties["ExplicitAuthFlows"])
	for _, want := range []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} {
		if !strings.Contains(flows, want) {
			t.Errorf("auth flows %s lack %s", flows, want)
		}
	}
	if client.Properties["GenerateSecret"] == true {
		t.Error("a client secret: the login command is a public client")
	}
}

// GET /health has no authorizer, so it gets a throttle of its own, and
// the stage waits for the route its RouteSettings name.
func TestPublicRoutesHaveATightThrottle(t *testing.T) {
	stageID, stage := platformJSON.one(t, "AWS::ApiGatewayV2::Stage")
	settings, _ := stage.Properties["RouteSettings"].(map[string]any)
	public := 0
	for _, r := range httpapi.Routes() {
		got := asJSON(settings[r.Key()])
		if !r.Public {
			if settings[r.Key()] != nil {
				t.Errorf("%s has route settings %s", r.Key(), got)
			}
			continue
		}
		public++
		if got != `{"ThrottlingBurstLimit":10,"ThrottlingRateLimit":5}` {
			t.Errorf("%s: route settings %s, want burst 10, rate 5", r.Key(), got)
		}
	}
	if public == 0 || settings["GET /health"] == nil {
		t.Fatalf("no public route throttled: %v", settings)
	}
	var healthID string
	for id, r := range platformJSON.of("AWS::ApiGatewayV2::Route") {
		if r.Properties["RouteKey"] == "GET /health" {
			healthID = id
		}
	}
	must(t, "stage depends on the health route", func() {
		platformTpl.HasResource(jsii.String("AWS::ApiGatewayV2::Stage"), like(
			"DependsOn", arrayWith(healthID),
		))
	})
	if stageID == "" || healthID == "" {
		t.Errorf("stage %q, route %q", stageID, healthID)
	}
}

// With cognitoMfa=optional (trials) the pool keeps the id it had when MFA
// was optional, so an existing trial stack keeps its pool and users.
func TestOptionalMFAKeepsTheTrialPool(t *testing.T) {
	assets := t.TempDir()
	if err := os.WriteFile(filepath.Join(assets, "bootstrap"), []byte("placeholder\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st := awscdk.NewStack(app, jsii.String("trial"), nil)
	fn := awslambda.NewFunction(st, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_PROVIDED_AL2023(), Handler: jsii.String("bootstrap"),
		Code: awslambda.Code_FromAsset(jsii.String(assets), nil),
	})
	logs := awslogs.NewLogGroup(st, jsii.String("Logs"), nil)
	NewAPI(st, "Api", APIProps{Names: platform.NamesFor("", ""), Function: fn, AccessLogs: logs,
		Routes: httpapi.Routes(), RateLimit: 1, BurstLimit: 1, MFA: MFAOptional})
	tpl, err := decode(assertions.Template_FromStack(st, nil))
	if err != nil {
		t.Fatal(err)
	}
	id, pool := tpl.one(t, "AWS::Cognito::UserPool")
	if !strings.HasPrefix(id, "Api"+userPoolIDOptional) || strings.HasPrefix(id, "Api"+userPoolIDRequired) {
		t.Errorf("pool logical id %s, want the trial pool's (%s)", id, userPoolIDOptional)
	}
	if pool.Properties["MfaConfiguration"] != "OPTIONAL" || asJSON(pool.Properties["EnabledMfas"]) != `["SOFTWARE_TOKEN_MFA"]` {
		t.Errorf("MFA %v with %v, want OPTIONAL with TOTP", pool.Properties["MfaConfiguration"], pool.Properties["EnabledMfas"])
	}
}

func TestCognitoMFAFromContext(t *testing.T) {
	testCases := []struct {
		name    string
		context map[string]any
		want    string
		wantErr string
	}{
		{"default", nil, MFARequired, ""},
		{"cdk.json optional", map[string]any{CtxCognitoMFA: "optional"}, MFAOptional, ""},
		{"-c Required", map[string]any{CtxCognitoMFA: " Required "}, MFARequired, ""},
		{"off is refused", map[string]any{CtxCognitoMFA: "off"}, "", `"required" (the default) or "optional"`},
		{"a boolean is refused", map[string]any{CtxCognitoMFA: false}, "", "cognitoMfa"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tc.context})
			p, err := PropsFromContext(app.Node())
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.wantErr == "" && p.CognitoMFA != tc.want:
				t.Errorf("CognitoMFA %q, want %q", p.CognitoMFA, tc.want)
			}
		})
	}
	// The zero value (Props built in code) is as strict as the default.
	if err := (Props{WorkerMaxConcurrency: 2, APIRateLimit: 1, APIBurstLimit: 1, Functions: []FunctionSpec{}}).Validate(); err != nil {
		t.Errorf("empty CognitoMFA: %v", err)
	}
}

// cdk.json states the default, so a trial's change to it is one visible edit.
func TestCDKJSONRequiresMFA(t *testing.T) {
	f, err := readCDKJSON()
	if err != nil {
		t.Fatal(err)
	}
	if f.Context[CtxCognitoMFA] != DefaultCognitoMFA {
		t.Errorf("%s = %v, want %q", CtxCognitoMFA, f.Context[CtxCognitoMFA], DefaultCognitoMFA)
	}
}
