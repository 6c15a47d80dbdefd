// Package source reaches a connection's source bucket as the ingestion
// functions do: in the bucket's region, with the connection's access (the
// function's own role for bucket policies, the decrypted keys for access
// keys), and explains failures in words a user can act on.
package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// SecretOpener decrypts a connection's secret access key.
type SecretOpener interface {
	Open(ctx context.Context, connectionID string, ciphertext []byte) (string, error)
}

// Access builds S3 clients for source buckets. Safe for concurrent use.
type Access struct {
	Base      aws.Config // the function's own configuration and credentials
	Secrets   SecretOpener
	Regions   connection.Regions
	S3Options []func(*s3.Options)
}

// RegionError says why the platform may not reach a region.
type RegionError struct{ Reason string }

func (e *RegionError) Error() string { return e.Reason }

// Client returns an S3 client for c's bucket in region (c.S3BucketRegion,
// or the platform's region when the connection names none).
func (a *Access) Client(ctx context.Context, c connection.Connection, region string) (*s3.Client, error) {
	if region == "" {
		region = a.Base.Region
	}
	if reason := a.Regions.Check(region); reason != "" {
		return nil, &RegionError{Reason: reason}
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) { o.Region = region }}, a.S3Options...)
	if c.ConnectionAccessType == connection.AccessKeys {
		secret, err := a.Secrets.Open(ctx, c.ConnectionId, c.SecretCiphertext)
		if err != nil {
			return nil, err
		}
		creds := credentials.NewStaticCredentialsProvider(c.AccessKeyId, secret, "")
		opts = append(opts, func(o *s3.Options) { o.Credentials = creds })
	}
	return s3.NewFromConfig(a.Base, opts...), nil
}

// Test lists one key of c's bucket and reports what stands in the way.
// When the connection names no region, it follows S3's redirect to the
// bucket's region, as runs do.
func (a *Access) Test(ctx context.Context, c connection.Connection) (connection.TestResult, error) {
	region := c.S3BucketRegion
	for attempt := 0; attempt < 2; attempt++ {
		client, err := a.Client(ctx, c, region)
		var re *RegionError
		if errors.As(err, &re) {
			return connection.TestResult{Ok: false, Detail: re.Reason}, nil
		}
		if err != nil {
			return connection.TestResult{}, err
		}
		_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.S3Bucket), MaxKeys: aws.Int32(1)})
		if err == nil {
			used := region
			if used == "" {
				used = a.Base.Region
			}
			return connection.TestResult{Ok: true, Detail: fmt.Sprintf("listed bucket %s in %s with %s", c.S3Bucket, used, describeAccess(c))}, nil
		}
		actual := BucketRegion(err)
		if c.S3BucketRegion == "" && actual != "" && actual != region && attempt == 0 {
			region = actual // follow the redirect once
			continue
		}
		return connection.TestResult{Ok: false, Detail: Explain(err, c)}, nil
	}
	return connection.TestResult{Ok: false, Detail: "bucket " + c.S3Bucket + " keeps redirecting between regions"}, nil
}

// BucketRegion returns the region S3 names in a failed response's
// x-amz-bucket-region header, or "".
func BucketRegion(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// Explain turns an S3 error into a sentence that says what is wrong and what
// to do about it. It never includes the secret.
func Explain(err error, c connection.Connection) string {
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	b := c.S3Bucket
	switch code {
	case "NoSuchBucket", "NotFound":
		return fmt.Sprintf("no such bucket: %s does not exist (check the name)", b)
	case "InvalidAccessKeyId":
		return fmt.Sprintf("invalid keys: access key %s does not exist in AWS (deleted, deactivated or mistyped): rotate the connection's keys", c.AccessKeyId)
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("invalid keys: the secret access key does not match access key %s: rotate the connection's keys", c.AccessKeyId)
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "MovedPermanently":
		actual := BucketRegion(err)
		given := c.S3BucketRegion
		if given == "" {
			given = "unset"
		}
		if actual != "" {
			return fmt.Sprintf("wrong region: bucket %s is in %s, the connection says %s: set S3BucketRegion to %s", b, actual, given, actual)
		}
		return fmt.Sprintf("wrong region: bucket %s is not in %s: set S3BucketRegion to the bucket's region", b, given)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		if c.ConnectionAccessType == connection.BucketPolicy {
			return fmt.Sprintf("access denied: bucket %s does not grant the platform's ingestion role: attach the bucket policy from GET /connections/%s/policies to it", b, c.ConnectionId)
		}
		return fmt.Sprintf("access denied: the IAM user of access key %s may not list bucket %s: grant it s3:ListBucket and s3:GetObject", c.AccessKeyId, b)
	case "ExpiredToken", "InvalidToken":
		return "invalid keys: the credentials have expired: use a long-term access key"
	}
	var oe *smithy.OperationError
	if code == "" && errors.As(err, &oe) {
		return fmt.Sprintf("could not reach S3 for bucket %s: %v", b, oe.Unwrap())
	}
	return fmt.Sprintf("S3 refused to list bucket %s (%s)", b, code)
}

func describeAccess(c connection.Connection) string {
	if c.ConnectionAccessType == connection.AccessKeys {
		return "access key " + c.AccessKeyId
	}
	return "the platform's ingestion role (bucket policy)"
}
