// Package source reaches a connection's source bucket as the ingestion
// functions do: in the bucket's region, with the connection's access (a
// session of the source reader role tagged with the connection for bucket
// policies, the decrypted keys for access keys), never in the platform's
// own account, and explains failures in words a user can act on.
package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// SecretOpener decrypts a connection's secret access key.
type SecretOpener interface {
	Open(ctx context.Context, connectionID string, ciphertext []byte) (string, error)
}

// BucketLister lists the buckets of the platform's own account.
type BucketLister interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, opts ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
}

// Access builds S3 clients for source buckets. Safe for concurrent use.
type Access struct {
	Base      aws.Config // the function's own configuration and credentials
	Secrets   SecretOpener
	Regions   connection.Regions
	S3Options []func(*s3.Options)
	// ReaderRoleARN is the source reader role: bucket-policy sources are
	// read only by its sessions, one per connection, tagged with it.
	ReaderRoleARN string
	// STS starts the reader sessions.
	STS stscreds.AssumeRoleAPIClient
	// Own lists the platform account's buckets, with the function's role.
	Own BucketLister
}

// RegionError says why the platform may not reach a region.
type RegionError struct{ Reason string }

func (e *RegionError) Error() string { return e.Reason }

// RefusedError says why a bucket can never be a source: retrying is useless.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// client returns an S3 client for c's bucket in region (c.S3BucketRegion,
// or the platform's region when the connection names none), with creds,
// c's access. Every request it sends names c.S3BucketOwner, when set, as
// the expected bucket owner.
func (a *Access) client(c connection.Connection, region string, creds aws.CredentialsProvider) (*s3.Client, error) {
	if region == "" {
		region = a.Base.Region
	}
	if reason := a.Regions.Check(region); reason != "" {
		return nil, &RegionError{Reason: reason}
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) { o.Region = region; o.Credentials = creds }}, a.S3Options...)
	if c.S3BucketOwner != "" {
		opts = append(opts, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue("X-Amz-Expected-Bucket-Owner", c.S3BucketOwner))
		})
	}
	return s3.NewFromConfig(a.Base, append(opts, requesterPays(c))...), nil
}

// requesterPays makes every request of a client say the platform pays, for
// a connection to a Requester Pays bucket (the header is signed).
func requesterPays(c connection.Connection) func(*s3.Options) {
	return func(o *s3.Options) {
		if c.RequesterPays {
			o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue("X-Amz-Request-Payer", "requester"))
		}
	}
}

// copyClient returns the client that copies c's objects server-side into
// the platform's zone buckets (in the platform's region), with the same
// session (creds) that reads them; nil for the other access types, whose
// objects are streamed by the function's own role.
func (a *Access) copyClient(c connection.Connection, creds aws.CredentialsProvider) *s3.Client {
	if c.ConnectionAccessType != connection.BucketPolicy {
		return nil
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) { o.Credentials = creds }}, a.S3Options...)
	return s3.NewFromConfig(a.Base, append(opts, requesterPays(c))...) // a copy pays for its source
}

// credentials are c's access: the decrypted keys; a cached session of the
// reader role tagged with c's id, which only c's bucket policy admits; or,
// for assume_role, a cached session of the owner's role started from that
// reader session with c's ExternalId, which only c's trust policy admits.
func (a *Access) credentials(ctx context.Context, c connection.Connection) (aws.CredentialsProvider, error) {
	if c.ConnectionAccessType == connection.AccessKeys {
		secret, err := a.Secrets.Open(ctx, c.ConnectionId, c.SecretCiphertext)
		if err != nil {
			return nil, err
		}
		return credentials.NewStaticCredentialsProvider(c.AccessKeyId, secret, ""), nil
	}
	if a.ReaderRoleARN == "" || a.STS == nil {
		return nil, errors.New("source: no source reader role configured")
	}
	reader := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(a.STS, a.ReaderRoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName(c.ConnectionId)
		o.Tags = []ststypes.Tag{{Key: aws.String(policy.ConnectionTag), Value: aws.String(c.ConnectionId)}}
		// The default 15 minutes outlasts any invocation; the cache renews it.
	}), renewEarly)
	if c.ConnectionAccessType != connection.AssumeRole {
		return reader, nil
	}
	asReader := sts.NewFromConfig(a.Base, func(o *sts.Options) { o.Credentials = reader })
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(asReader, c.RoleArn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName(c.ConnectionId)
		o.ExternalID = aws.String(c.ExternalId)
	}), renewEarly), nil
}

// renewEarly renews a cached session one to two minutes before it expires
// (jittered, so that concurrent workers do not all renew at once): a
// request signed just before the expiry could reach S3 after it, and fail
// with ExpiredToken mid-run (the million-object bench met it).
func renewEarly(o *aws.CredentialsCacheOptions) {
	o.ExpiryWindow = 2 * time.Minute
	o.ExpiryWindowJitterFrac = 0.5
}

// SessionName names a reader session after its connection, so CloudTrail
// and the bucket owner's access logs say which connection read what.
func SessionName(connectionID string) string {
	name := "s3connections-" + connectionID
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// NewSTS is the STS client reader sessions are started with.
func NewSTS(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }

// CheckNotPlatform refuses a bucket the platform's own account owns: its
// zone buckets, its deployment assets, any bucket re-created under a
// source's name. It asks ListBuckets, which names the account's buckets
// without reading any.
func (a *Access) CheckNotPlatform(ctx context.Context, c connection.Connection) error {
	if a.Own == nil {
		return errors.New("source: no lister of the platform's buckets configured")
	}
	p := s3.NewListBucketsPaginator(a.Own, &s3.ListBucketsInput{Prefix: aws.String(c.S3Bucket), MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the platform's buckets: %w", err)
		}
		for _, b := range out.Buckets {
			if aws.ToString(b.Name) == c.S3Bucket {
				return &RefusedError{Reason: fmt.Sprintf("refused: bucket %s belongs to the platform's own account, which is never a source", c.S3Bucket)}
			}
		}
	}
	return nil
}

// Test checks that c's bucket is not the platform's, lists one key of it
// and reports what stands in the way. When the connection names no
// region, it follows S3's redirect to the bucket's region, as runs do.
func (a *Access) Test(ctx context.Context, c connection.Connection) (connection.TestResult, error) {
	if err := a.CheckNotPlatform(ctx, c); err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			return connection.TestResult{Ok: false, Detail: refused.Reason}, nil
		}
		return connection.TestResult{}, err
	}
	creds, err := a.credentials(ctx, c) // one session (one decryption) for every attempt
	if err != nil {
		return connection.TestResult{}, err
	}
	region := c.S3BucketRegion
	for attempt := 0; attempt < 2; attempt++ {
		client, err := a.client(c, region, creds)
		var re *RegionError
		if errors.As(err, &re) {
			return connection.TestResult{Ok: false, Detail: re.Reason}, nil
		}
		if err != nil {
			return connection.TestResult{}, err
		}
		list, err := List(ctx, client, &s3.ListObjectsV2Input{Bucket: aws.String(c.S3Bucket), MaxKeys: aws.Int32(1)})
		if err == nil {
			return a.tryRead(ctx, client, c, region, list.Contents), nil
		}
		if needsRequesterPays(ctx, client, c, err) {
			return connection.TestResult{Ok: false, Detail: "bucket " + c.S3Bucket + " is a Requester Pays bucket: S3 refuses requests that do not say " +
				"they pay (AccessDenied); set RequesterPays: true on the connection, and the platform's account pays for its requests and transfers"}, nil
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

// needsRequesterPays says whether a listing that err refused (AccessDenied)
// succeeds when it says it pays: the bucket is a Requester Pays bucket
// and c does not say so.
func needsRequesterPays(ctx context.Context, client *s3.Client, c connection.Connection, err error) bool {
	var ae smithy.APIError
	if c.RequesterPays || !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		return false
	}
	_, err = List(ctx, client, &s3.ListObjectsV2Input{Bucket: aws.String(c.S3Bucket), MaxKeys: aws.Int32(1)},
		requesterPays(connection.Connection{RequesterPays: true}))
	return err == nil
}

// tryRead reads the first byte of the first object listed, so that a
// missing s3:GetObject (or kms:Decrypt) is found at test time, not in the
// first run. Archived objects cannot be read and prove nothing.
func (a *Access) tryRead(ctx context.Context, client *s3.Client, c connection.Connection, region string, listed []s3types.Object) connection.TestResult {
	if region == "" {
		region = a.Base.Region
	}
	ok := connection.TestResult{Ok: true, Detail: fmt.Sprintf("listed bucket %s in %s with %s", c.S3Bucket, region, describeAccess(c))}
	if len(listed) == 0 || strings.HasSuffix(aws.ToString(listed[0].Key), "/") {
		return ok
	}
	key := aws.ToString(listed[0].Key)
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.S3Bucket), Key: aws.String(key), Range: aws.String("bytes=0-0")})
	if err == nil {
		out.Body.Close()
		ok.Detail += ", and read " + key
		return ok
	}
	if code := errorCode(err); code == "AccessDenied" || code == "Forbidden" || strings.HasPrefix(code, "KMS.") {
		return connection.TestResult{Ok: false, Detail: unreadable(err, c, key)}
	}
	return ok // archived, deleted since the listing, empty: the listing stands
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

func describeAccess(c connection.Connection) string {
	switch c.ConnectionAccessType {
	case connection.AccessKeys:
		return "access key " + c.AccessKeyId
	case connection.AssumeRole:
		return "role " + c.RoleArn + " (assumed with this connection's ExternalId)"
	}
	return "the platform's source reader session for this connection (bucket policy)"
}
