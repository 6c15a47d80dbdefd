package source

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// Explain turns an S3 error into a sentence that says what is wrong and what
// to do about it. It never includes the secret.
func Explain(err error, c connection.Connection) string {
	if reason, ok := assumeFailed(err, c); ok {
		return reason
	}
	code := errorCode(err)
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

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// assumeFailed explains why STS would not give c's role: it answers the
// same AccessDenied for the three causes, and says none of them.
func assumeFailed(err error, c connection.Connection) (string, bool) {
	oe := stsFailure(err)
	if c.ConnectionAccessType != connection.AssumeRole || oe == nil {
		return "", false
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(ae.ErrorMessage(), c.RoleArn) {
		return fmt.Sprintf("could not assume role %s: %v", c.RoleArn, oe.Unwrap()), true
	}
	return fmt.Sprintf("could not assume role %s: STS answers the same AccessDenied when the role does not exist, when its trust policy does not "+
		"admit the platform's source reader role, and when the trust policy's sts:ExternalId is not this connection's %s: check all three "+
		"(GET /connections/%s/policies gives the trust policy to attach)", c.RoleArn, c.ExternalId, c.ConnectionId), true
}

// stsFailure finds the STS call inside a failed S3 call: the S3 call's
// own OperationError comes first in the chain.
func stsFailure(err error) *smithy.OperationError {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok && oe.ServiceID == "STS" {
			return oe
		}
	}
	return nil
}

// unreadable explains why an object of a listable bucket cannot be read.
func unreadable(err error, c connection.Connection, key string) string {
	who := describeAccess(c)
	if strings.Contains(strings.ToLower(err.Error()), "kms") {
		return fmt.Sprintf("%s may list bucket %s but not decrypt %s: grant kms:Decrypt on the bucket's key, through S3 (GET /connections/%s/policies)", who, c.S3Bucket, key, c.ConnectionId)
	}
	return fmt.Sprintf("%s may list bucket %s but not read %s: grant s3:GetObject on arn:aws:s3:::%s/* (GET /connections/%s/policies)", who, c.S3Bucket, key, c.S3Bucket, c.ConnectionId)
}

// denied explains an AccessDenied. S3 gives no reason across accounts, so
// it names every cause the user can check.
func denied(c connection.Connection) string {
	owner := ""
	if c.S3BucketOwner != "" {
		owner = fmt.Sprintf(", or the bucket is not owned by account %s (S3BucketOwner)", c.S3BucketOwner)
	}
	switch c.ConnectionAccessType {
	case connection.BucketPolicy:
		return fmt.Sprintf("access denied: bucket %s does not admit this connection%s: its owner must attach the bucket policy from GET /connections/%s/policies "+
			"(re-attach it if it was attached before policies were bound to their connection: the old policy no longer admits any connection)", c.S3Bucket, owner, c.ConnectionId)
	case connection.AssumeRole:
		return fmt.Sprintf("access denied: role %s may not list bucket %s%s: its permissions policy needs s3:ListBucket on arn:aws:s3:::%s (GET /connections/%s/policies)",
			c.RoleArn, c.S3Bucket, owner, c.S3Bucket, c.ConnectionId)
	}
	return fmt.Sprintf("access denied: the IAM user of access key %s may not list bucket %s%s: grant it s3:ListBucket and s3:GetObject", c.AccessKeyId, c.S3Bucket, owner)
}
