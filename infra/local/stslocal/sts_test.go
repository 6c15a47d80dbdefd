package stslocal

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

const (
	platform     = "111111111111"
	customer     = "222222222222"
	ingestKey    = "AKIAINGESTEXAMPLE001"
	ingestSecret = "ingest-secret"
	aliceKey     = "AKIAALICEEXAMPLE0001"
	aliceSecret  = "alice-secret"
)

var (
	readerARN   = "arn:aws:iam::" + platform + ":role/source-reader"
	ingestARN   = "arn:aws:iam::" + platform + ":user/ingest"
	customerARN = "arn:aws:iam::" + customer + ":role/platform-access"
)

// testRegistry holds the platform's reader role (trusting the ingest
// user), a customer role that wants an ExternalId, and the keys of the
// ingest user and of alice, whom the reader role does not trust.
func testRegistry(t *testing.T) *iamlocal.Registry {
	t.Helper()
	r := iamlocal.New()
	reader := policy.Reader{Partition: "aws", Region: "eu-west-1", Account: platform, Zones: []string{"lz", "dlz"},
		KeyARN: "arn:aws:kms:eu-west-1:" + platform + ":key/zone"}
	r.AddRole(iamlocal.Role{ARN: readerARN, Trust: reader.Trust([]string{ingestARN}), Policies: []policy.Document{reader.Identity()}})
	trust, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + platform +
		`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r.AddRole(iamlocal.Role{ARN: customerARN, Trust: trust})
	assume := policy.Document{Version: policy.Version, Statement: policy.Statements{
		reader.Assume(readerARN), reader.Assume(customerARN)}}
	r.AddKey(ingestKey, ingestSecret, iamlocal.Principal{Account: platform, ARN: ingestARN, Policies: []policy.Document{assume}})
	r.AddKey(aliceKey, aliceSecret, iamlocal.Principal{Account: platform, ARN: "arn:aws:iam::" + platform + ":user/alice",
		Policies: []policy.Document{iamlocal.Admin()}})
	return r
}

// client is an STS client of the SDK, pointed at srv, signing with creds.
func client(url string, creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "eu-west-1", Credentials: creds}, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = 1
	})
}

func static(akid, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(akid, secret, token)
}

func start(t *testing.T, opts ...Option) string {
	t.Helper()
	srv := httptest.NewServer(New(testRegistry(t), opts...))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAssumeRoleProviderAndCallerIdentity(t *testing.T) {
	url := start(t)
	ctx := context.Background()
	provider := stscreds.NewAssumeRoleProvider(client(url, static(ingestKey, ingestSecret, "")), readerARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "conn-1"
		o.Tags = []ststypes.Tag{{Key: aws.String(policy.ConnectionTag), Value: aws.String("conn-1")}}
		o.TransitiveTagKeys = []string{policy.ConnectionTag}
	})
	cache := aws.NewCredentialsCache(provider)
	creds, err := cache.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SecretAccessKey == "" || creds.SessionToken == "" {
		t.Errorf("credentials %+v", creds)
	}
	if !creds.CanExpire || creds.Expires.Before(time.Now().Add(14*time.Minute)) || creds.Expires.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("Expires = %v, want in stscreds' default 15 minutes", creds.Expires)
	}
	if creds.AccountID != platform || creds.Source != stscreds.ProviderName {
		t.Errorf("AccountID = %q, Source = %q", creds.AccountID, creds.Source)
	}
	out, err := client(url, cache).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as the session: %v", err)
	}
	if want := "arn:aws:sts::" + platform + ":assumed-role/source-reader/conn-1"; aws.ToString(out.Arn) != want {
		t.Errorf("Arn = %s, want %s", aws.ToString(out.Arn), want)
	}
	if aws.ToString(out.Account) != platform || !strings.HasPrefix(aws.ToString(out.UserId), "AROA") || !strings.HasSuffix(aws.ToString(out.UserId), ":conn-1") {
		t.Errorf("Account = %s, UserId = %s", aws.ToString(out.Account), aws.ToString(out.UserId))
	}
}

func TestAssumeRoleAcrossAccountsWithExternalID(t *testing.T) {
	url := start(t)
	out, err := client(url, static(ingestKey, ingestSecret, "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(customerARN), RoleSessionName: aws.String("conn-9"), ExternalId: aws.String("ext-123"),
		DurationSeconds: aws.Int32(1800),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if want := "arn:aws:sts::" + customer + ":assumed-role/platform-access/conn-9"; aws.ToString(out.AssumedRoleUser.Arn) != want {
		t.Errorf("Arn = %s, want %s", aws.ToString(out.AssumedRoleUser.Arn), want)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("the session lasts %v, want 30 minutes", d)
	}
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize = %d without tags", *out.PackedPolicySize)
	}
}

func TestUserIdentity(t *testing.T) {
	out, err := client(start(t), static(aliceKey, aliceSecret, "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::"+platform+":user/alice" || aws.ToString(out.Account) != platform || !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Errorf("GetCallerIdentity = %s %s %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId))
	}
}

// apiError is the SDK's error code and message of err.
func apiError(t *testing.T, err error) (code, message string) {
	t.Helper()
	var e smithy.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a smithy.APIError", err)
	}
	return e.ErrorCode(), e.ErrorMessage()
}

func TestRefusalsReachTheSDK(t *testing.T) {
	url := start(t)
	tests := []struct {
		name    string
		creds   aws.CredentialsProvider
		role    string
		opts    func(*stscreds.AssumeRoleOptions)
		code    string
		message string // a prefix
	}{
		{"untrusted caller", static(aliceKey, aliceSecret, ""), readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" },
			"AccessDenied", "User: arn:aws:iam::" + platform + ":user/alice is not authorized to perform: sts:AssumeRole on resource: " + readerARN},
		{"wrong ExternalId", static(ingestKey, ingestSecret, ""), customerARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "s1"
			o.ExternalID = aws.String("ext-999")
		}, "AccessDenied", "User: " + ingestARN + " is not authorized to perform: sts:AssumeRole on resource: " + customerARN},
		{"missing ExternalId", static(ingestKey, ingestSecret, ""), customerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" },
			"AccessDenied", "User: " + ingestARN},
		{"bad session name", static(ingestKey, ingestSecret, ""), readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "bad name" },
			"ValidationError", "1 validation error detected: Value 'bad name' at 'roleSessionName'"},
		{"unknown key", static("AKIAUNKNOWNEXAMPLE01", "x", ""), readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" },
			"InvalidClientTokenId", "The security token included in the request is invalid."},
		{"wrong secret", static(ingestKey, "not-the-secret", ""), readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" },
			"SignatureDoesNotMatch", "The request signature we calculated does not match"},
		{"a token on a long-term key", static(ingestKey, ingestSecret, "token"), readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" },
			"InvalidClientTokenId", "The security token included in the request is invalid."},
		{"session policy", static(ingestKey, ingestSecret, ""), readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "s1"
			o.Policy = aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)
		}, "ValidationError", "The local STS does not support the AssumeRole parameter Policy."},
		{"duration over the role's maximum", static(ingestKey, ingestSecret, ""), readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "s1"
			o.Duration = 2 * time.Hour
		}, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stscreds.NewAssumeRoleProvider(client(url, tt.creds), tt.role, tt.opts).Retrieve(context.Background())
			code, message := apiError(t, err)
			if code != tt.code || !strings.HasPrefix(message, tt.message) {
				t.Errorf("error %s %q, want %s %q", code, message, tt.code, tt.message)
			}
		})
	}
}

func TestSessionCredentialsNeedTheirToken(t *testing.T) {
	url := start(t)
	ctx := context.Background()
	out, err := client(url, static(ingestKey, ingestSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(readerARN), RoleSessionName: aws.String("conn-1")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	for name, token := range map[string]string{"no token": "", "another token": "AQoD" + aws.ToString(c.SessionToken)[4:] + "x"} {
		_, err := client(url, static(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), token)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if code, _ := apiError(t, err); code != "InvalidClientTokenId" {
			t.Errorf("%s: %s, want InvalidClientTokenId", name, code)
		}
	}
}

func TestExpiredSessionsAreUnknown(t *testing.T) {
	clock := time.Now().Add(-10 * time.Minute) // the SDK signs with the real time
	url := start(t, WithClock(func() time.Time { return clock }))
	ctx := context.Background()
	out, err := client(url, static(ingestKey, ingestSecret, "")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(readerARN), RoleSessionName: aws.String("conn-1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := client(url, static(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a fresh session: %v", err)
	}
	clock = clock.Add(15 * time.Minute) // the signatures stay within 15 minutes of it
	_, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, _ := apiError(t, err); code != "InvalidClientTokenId" {
		t.Errorf("an expired session: %s, want InvalidClientTokenId", code)
	}
}
