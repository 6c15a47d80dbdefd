package source

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/connection"
)

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
		return wrongRegion(err, c)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return denied(c)
	case "ExpiredToken", "InvalidToken":
		return "invalid keys: the credentials have expired: use a long-term access key"
	}
	var oe *smithy.OperationError
	if code == "" && errors.As(err, &oe) {
		return fmt.Sprintf("could not reach S3 for bucket %s: %v", b, oe.Unwrap())
	}
	return fmt.Sprintf("S3 refused to list bucket %s (%s)", b, code)
}

func wrongRegion(err error, c connection.Connection) string {
	actual := BucketRegion(err)
	given := c.S3BucketRegion
	if given == "" {
		given = "unset"
	}
	if actual != "" {
		return fmt.Sprintf("wrong region: bucket %s is in %s, the connection says %s: set S3BucketRegion to %s", c.S3Bucket, actual, given, actual)
	}
	return fmt.Sprintf("wrong region: bucket %s is not in %s: set S3BucketRegion to the bucket's region", c.S3Bucket, given)
}

// denied explains an AccessDenied. S3 gives no reason across accounts, so
// it names every cause the user can check.
func denied(c connection.Connection) string {
	owner := ""
	if c.S3BucketOwner != "" {
		owner = fmt.Sprintf(", or the bucket is not owned by account %s (S3BucketOwner)", c.S3BucketOwner)
	}
	if c.ConnectionAccessType == connection.BucketPolicy {
		return fmt.Sprintf("access denied: bucket %s does not admit this connection%s: its owner must attach the bucket policy from GET /connections/%s/policies "+
			"(re-attach it if it was attached before policies were bound to their connection: the old policy no longer admits any connection)", c.S3Bucket, owner, c.ConnectionId)
	}
	return fmt.Sprintf("access denied: the IAM user of access key %s may not list bucket %s%s: grant it s3:ListBucket and s3:GetObject", c.AccessKeyId, c.S3Bucket, owner)
}
