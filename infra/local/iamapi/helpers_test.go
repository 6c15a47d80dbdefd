package iamapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/infra/local/stslocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// The accounts of the tests: the platform's and the source owner's.
const (
	platform = "000000000000"
	owner    = "111122223333"
)

// The keys: the platform's functions, the source owner's administrator,
// and a user of the owner's account that may only read objects.
const (
	functionsKey, functionsSecret = "AKIAFUNCTIONS0000001", "functions-secret"
	ownerKey, ownerSecret         = "AKIASOURCEOWNER00001", "owner-secret"
	readerKey, readerSecret       = "AKIAOBJECTREADER0001", "reader-secret"
)

var (
	functionsARN = "arn:aws:iam::" + platform + ":user/functions"
	callerARN    = "arn:aws:iam::" + platform + ":role/source-reader"
	customerARN  = "arn:aws:iam::" + owner + ":role/platform-access"
)

// env is a registry with its STS and IAM endpoints.
type env struct {
	reg     *iamlocal.Registry
	sts     string // STS endpoint URL
	iam     string // IAM endpoint URL
	trust   string // a trust policy admitting the caller role with ExternalId ext-1
	permits string // a permissions policy reading the owner's bucket
}

func parse(t *testing.T, js string) policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// registry holds the platform's caller role (which the functions user may
// assume and which may assume any role) and the keys.
func registry(t *testing.T) *iamlocal.Registry {
	t.Helper()
	r := iamlocal.New()
	r.AddRole(iamlocal.Role{ARN: callerARN,
		Trust:    parse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+functionsARN+`"},"Action":"sts:AssumeRole"}}`),
		Policies: []policy.Document{parse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/*"}}`)}})
	r.AddKey(functionsKey, functionsSecret, iamlocal.Principal{Account: platform, ARN: functionsARN, Policies: []policy.Document{iamlocal.Admin()}})
	r.AddKey(ownerKey, ownerSecret, iamlocal.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":user/source-owner",
		Policies: []policy.Document{iamlocal.Admin()}})
	r.AddKey(readerKey, readerSecret, iamlocal.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":user/reader",
		Policies: []policy.Document{parse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)}})
	return r
}

func start(t *testing.T, r *iamlocal.Registry) env {
	t.Helper()
	stsSrv, iamSrv := httptest.NewServer(stslocal.New(r)), httptest.NewServer(New(r))
	t.Cleanup(stsSrv.Close)
	t.Cleanup(iamSrv.Close)
	return env{reg: r, sts: stsSrv.URL, iam: iamSrv.URL,
		trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + callerARN +
			`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`,
		permits: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::owner-bucket/*"}]}`,
	}
}

func static(akid, secret string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(akid, secret, "")
}

// iamClient is the SDK's IAM client at e's endpoint. It is configured for
// eu-west-1, as the local platform's endpoints.env is: with an endpoint
// URL the SDK signs for the configured region.
func (e env) iamClient(creds aws.CredentialsProvider) *iam.Client {
	return iam.NewFromConfig(aws.Config{Region: "eu-west-1", Credentials: creds}, func(o *iam.Options) {
		o.BaseEndpoint = aws.String(e.iam)
		o.RetryMaxAttempts = 1
	})
}

func (e env) stsClient(creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "eu-west-1", Credentials: creds}, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(e.sts)
		o.RetryMaxAttempts = 1
	})
}

// assume returns the credentials of a session of role that the platform
// starts as the platform does: the functions user assumes the caller role,
// whose session assumes role with externalID.
func (e env) assume(role, externalID string) (aws.Credentials, error) {
	caller := stscreds.NewAssumeRoleProvider(e.stsClient(static(functionsKey, functionsSecret)), callerARN)
	return stscreds.NewAssumeRoleProvider(e.stsClient(aws.NewCredentialsCache(caller)), role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "conn-1"
		o.ExternalID = aws.String(externalID)
	}).Retrieve(context.Background())
}

// createRole creates the customer's role with e's trust policy and
// permissions policy, as its owner.
func (e env) createRole(t *testing.T) *iam.Client {
	t.Helper()
	owner := e.iamClient(static(ownerKey, ownerSecret))
	ctx := context.Background()
	if _, err := owner.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("platform-access"),
		AssumeRolePolicyDocument: aws.String(e.trust)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := owner.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("platform-access"),
		PolicyName: aws.String("read-bucket"), PolicyDocument: aws.String(e.permits)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	return owner
}

// may says whether the session of akid may take action on resource of
// the owner's account, as the local S3 would ask.
func (e env) may(t *testing.T, akid, action, resource string) bool {
	t.Helper()
	k, ok := e.reg.Lookup(akid, time.Now())
	if !ok {
		t.Fatalf("the session %s is unknown", akid)
	}
	return iamlocal.Allowed(iamlocal.Request{Principal: k.Principal, Action: action, Resource: resource, ResourceAccount: owner}, nil)
}

// apiError is err's code, message and HTTP status.
func apiError(t *testing.T, err error) (code, message string, status int) {
	t.Helper()
	var e smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &e) || !errors.As(err, &re) {
		t.Fatalf("err = %v, want an API error", err)
	}
	return e.ErrorCode(), e.ErrorMessage(), re.HTTPStatusCode()
}
