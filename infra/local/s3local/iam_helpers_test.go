package s3local

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// The accounts of the IAM tests: the platform's, and a user's whose source
// bucket the platform reads through the source-reader role.
const (
	platformAccount = "000000000000"
	sourceAccount   = "111122223333"
	readerRoleARN   = "arn:aws:iam::" + platformAccount + ":role/source-reader"
	platformAdmin   = "arn:aws:iam::" + platformAccount + ":user/platform-admin"
	zoneBucket      = "platform-lz"
	privateBucket   = "platform-private"
	sourceBucket    = "user-source"
)

// world is a registry with the tests' principals and keys.
type world struct {
	reg        *iamlocal.Registry
	admin      iamlocal.Principal // the platform's administrator
	sourceUser iamlocal.Principal // may only GetObject in the source bucket
}

func newWorld() *world {
	w := &world{reg: iamlocal.New()}
	w.admin = iamlocal.Principal{Account: platformAccount, ARN: platformAdmin, Policies: []policy.Document{iamlocal.Admin()}}
	w.reg.AddKey("AKIAPLATFORMADMIN", "platform-secret", w.admin)
	w.reg.AddKey("AKIASOURCEADMIN", "source-secret", iamlocal.Principal{Account: sourceAccount,
		ARN: "arn:aws:iam::" + sourceAccount + ":user/source-admin", Policies: []policy.Document{iamlocal.Admin()}})
	w.sourceUser = iamlocal.Principal{Account: sourceAccount, ARN: "arn:aws:iam::" + sourceAccount + ":user/narrow",
		Policies: []policy.Document{{Version: policy.Version, Statement: policy.Statements{{
			Effect: policy.Allow, Action: policy.Strings{"s3:GetObject"}, Resource: policy.Strings{"arn:aws:s3:::" + sourceBucket + "/*"},
		}}}}}
	w.reg.AddKey("AKIASOURCENARROW", "narrow-secret", w.sourceUser)
	reader := policy.Reader{Partition: "aws", Region: "us-east-1", Account: platformAccount,
		Zones: []string{zoneBucket}, KeyARN: "arn:aws:kms:us-east-1:" + platformAccount + ":key/k"}
	w.reg.AddRole(iamlocal.Role{ARN: readerRoleARN, Trust: reader.Trust([]string{platformAdmin}),
		Policies: []policy.Document{reader.Identity()}})
	return w
}

// session starts a source-reader session for connection id.
func (w *world) session(t *testing.T, id string) iamlocal.Session {
	t.Helper()
	s, err := w.reg.AssumeRole(w.admin, iamlocalInput(id), time.Now())
	if err != nil {
		t.Fatalf("AssumeRole for %s: %v", id, err)
	}
	return s
}

// iamlocalInput is the AssumeRole request of connection id's reader session.
func iamlocalInput(id string) iamlocal.AssumeRoleInput {
	return iamlocal.AssumeRoleInput{RoleArn: readerRoleARN, RoleSessionName: "conn-" + id,
		Tags: []iamlocal.Tag{{Key: policy.ConnectionTag, Value: id}}}
}

func withCreds(akid, secret, token string) clientOpt {
	return func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, token)
	}
}

// clients of the IAM tests.
type clients struct {
	admin, source, narrow, c1, c2 *s3.Client
}

func (w *world) clients(t *testing.T, e *env) clients {
	s1, s2 := w.session(t, "c1"), w.session(t, "c2")
	return clients{
		admin:  e.client(withCreds("AKIAPLATFORMADMIN", "platform-secret", "")),
		source: e.client(withCreds("AKIASOURCEADMIN", "source-secret", "")),
		narrow: e.client(withCreds("AKIASOURCENARROW", "narrow-secret", "")),
		c1:     e.client(withCreds(s1.AccessKeyId, s1.SecretAccessKey, s1.SessionToken)),
		c2:     e.client(withCreds(s2.AccessKeyId, s2.SecretAccessKey, s2.SessionToken)),
	}
}

// startWorld starts an IAM server with the platform's buckets (the zone, a
// private one) and a user's source bucket holding src.csv.
func startWorld(t *testing.T, opts Options) (*env, *world, clients) {
	t.Helper()
	w := newWorld()
	opts.IAM = w.reg
	e := start(t, opts, false)
	c := w.clients(t, e)
	mustBucket(t, c.admin, zoneBucket, "")
	mustBucket(t, c.admin, privateBucket, "")
	mustPut(t, c.admin, privateBucket, "secret.txt", []byte("platform only"), "")
	mustBucket(t, c.source, sourceBucket, "")
	mustPut(t, c.source, sourceBucket, "src.csv", []byte("a,b\n1,2\n"), "")
	return e, w, c
}

// readerPolicy is a bucket policy admitting the reader sessions of
// connection id to bucket.
func readerPolicy(bucket, id string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Connection","Effect":"Allow",
		"Principal":{"AWS":%q},"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],
		"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"],
		"Condition":{"StringEquals":{"aws:PrincipalTag/ConnectionId":%q}}}]}`, readerRoleARN, bucket, bucket, id)
}

func mustPolicy(t *testing.T, c *s3.Client, bucket, doc string) {
	t.Helper()
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v", bucket, err)
	}
}

func listErr(c *s3.Client, bucket string) error {
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	return err
}

func expectDenied(t *testing.T, what string, err error) {
	t.Helper()
	if apiCode(err) != "AccessDenied" || httpStatus(err) != http.StatusForbidden {
		t.Fatalf("%s: want 403 AccessDenied, got %v", what, err)
	}
}

func bucketNames(t *testing.T, c *s3.Client, in *s3.ListBucketsInput) []string {
	t.Helper()
	out, err := c.ListBuckets(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names
}

func copyFrom(c *s3.Client, src, dstKey string) error {
	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String(dstKey),
		CopySource: aws.String(src)})
	return err
}

func joined(s []string) string { return strings.Join(s, ",") }
