package source

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// s3Error builds the error shape the SDK returns for a failed S3 call.
func s3Error(code string, header http.Header) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "ListObjectsV2", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400, Header: header}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "S3 says so"},
		},
	}}
}

func TestExplain(t *testing.T) {
	keys := connection.Connection{ConnectionId: "c1", S3Bucket: "acme", ConnectionAccessType: connection.AccessKeys, AccessKeyId: "AKIAIOSFODNN7EXAMPLE"}
	policy := connection.Connection{ConnectionId: "c1", S3Bucket: "acme", ConnectionAccessType: connection.BucketPolicy, S3BucketRegion: "us-east-1"}
	role := connection.Connection{ConnectionId: "c1", S3Bucket: "acme", ConnectionAccessType: connection.AssumeRole,
		RoleArn: "arn:aws:iam::111122223333:role/reader", ExternalId: "s3connections-abc"}
	// What the SDK returns when the credentials of an S3 call cannot be had:
	// the S3 operation's error wraps STS's.
	assume := func(msg string) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: "ListObjectsV2", Err: fmt.Errorf("failed to refresh cached credentials, %w",
			&smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: msg}})}
	}
	region := http.Header{"X-Amz-Bucket-Region": {"eu-west-1"}}
	testCases := []struct {
		name string
		err  error
		c    connection.Connection
		want []string
	}{
		{"no such bucket", s3Error("NoSuchBucket", nil), keys, []string{"no such bucket", "acme"}},
		{"bad key id", s3Error("InvalidAccessKeyId", nil), keys, []string{"invalid keys", "AKIAIOSFODNN7EXAMPLE"}},
		{"bad secret", s3Error("SignatureDoesNotMatch", nil), keys, []string{"invalid keys", "secret access key does not match"}},
		{"denied with keys", s3Error("AccessDenied", nil), keys, []string{"access denied", "s3:ListBucket"}},
		{"denied with policy", s3Error("AccessDenied", nil), policy, []string{"access denied", "/connections/c1/policies"}},
		{"wrong region", s3Error("PermanentRedirect", region), policy, []string{"wrong region", "eu-west-1", "us-east-1"}},
		{"wrong region unknown", s3Error("AuthorizationHeaderMalformed", nil), policy, []string{"wrong region"}},
		{"expired", s3Error("ExpiredToken", nil), keys, []string{"expired"}},
		{"network", &smithy.OperationError{ServiceID: "S3", Err: errors.New("dial tcp: connection refused")}, keys, []string{"could not reach S3", "connection refused"}},
		{"other", s3Error("SlowDown", nil), keys, []string{"SlowDown"}},
		{"role not assumed", assume("User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: sts:AssumeRole on resource: " + role.RoleArn), role,
			[]string{"could not assume role " + role.RoleArn, "does not exist", "trust policy does not admit", "sts:ExternalId is not this connection's s3connections-abc"}},
		{"reader not assumed", assume("User: x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/reader"), role,
			[]string{"could not assume role " + role.RoleArn, "AccessDenied"}},
		{"role may not list", s3Error("AccessDenied", nil), role, []string{"role " + role.RoleArn + " may not list bucket acme", "s3:ListBucket"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Explain(tc.err, tc.c)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not say %q", got, w)
				}
			}
		})
	}
	if got := BucketRegion(s3Error("PermanentRedirect", region)); got != "eu-west-1" {
		t.Errorf("BucketRegion = %q", got)
	}
}
