package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// TargetBuckets is what the Copier and the worker do in the platform's own
// buckets (the LZ and the DLZ): with the worker's own role, or, for copies
// from a bucket-policy source, with the connection's reader session.
type TargetBuckets interface {
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, opts ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// SourceReader is what the worker reads of a source bucket, with the
// connection's access.
type SourceReader interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	RestoreObject(ctx context.Context, in *s3.RestoreObjectInput, opts ...func(*s3.Options)) (*s3.RestoreObjectOutput, error)
}

// Copier writes objects into the platform's buckets with SSE-KMS, either
// server-side (when its Target can read the source) or by streaming (when
// the source needs other credentials). Memory stays within PartSize times
// Parallel whatever the object's size.
type Copier struct {
	Target   TargetBuckets
	KMSKeyID string
	// SourceOwner, when set, is the account that must own the source
	// bucket of server-side copies (x-amz-source-expected-bucket-owner).
	SourceOwner string
	// CopyThreshold is the size above which server-side copies go by
	// UploadPartCopy (CopyObject's limit is 5 GiB).
	CopyThreshold int64
	// PartSize is the part of multipart uploads and copies.
	PartSize int64
	Parallel int
}

// Defaults for Copier.
const (
	DefaultCopyThreshold = 5 << 30
	DefaultPartSize      = 64 << 20
)

func (c *Copier) sse() (types.ServerSideEncryption, *string, *bool) {
	return types.ServerSideEncryptionAwsKms, aws.String(c.KMSKeyID), aws.Bool(true)
}

// copySource is the x-amz-copy-source of bucket/key: the key URL-encoded,
// as S3 requires (keys may hold spaces and any Unicode).
func copySource(bucket, key string) string {
	segments := strings.Split(key, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segments, "/")
}

// From returns a copier like c whose server-side copies are made by
// target, from a source bucket that owner must own ("" for any).
func (c *Copier) From(target TargetBuckets, owner string) *Copier {
	from := *c
	from.Target, from.SourceOwner = target, owner
	return &from
}

// ServerSide copies srcBucket/srcKey (of size bytes and ETag etag) to
// dstBucket/dstKey with c.Target's credentials.
func (c *Copier) ServerSide(ctx context.Context, srcBucket, srcKey string, size int64, etag, dstBucket, dstKey string) error {
	sse, key, bucketKey := c.sse()
	if size <= c.CopyThreshold {
		_, err := c.Target.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), CopySource: aws.String(copySource(srcBucket, srcKey)),
			CopySourceIfMatch: ifMatch(etag), MetadataDirective: types.MetadataDirectiveCopy,
			ServerSideEncryption: sse, SSEKMSKeyId: key, BucketKeyEnabled: bucketKey,
			ExpectedSourceBucketOwner: nonEmptyString(c.SourceOwner),
		})
		return err
	}
	return c.multipart(ctx, dstBucket, dstKey, size, func(ctx context.Context, upload *string, part int32, from, to int64) (*string, error) {
		out, err := c.Target.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), UploadId: upload, PartNumber: aws.Int32(part),
			CopySource: aws.String(copySource(srcBucket, srcKey)), CopySourceIfMatch: ifMatch(etag),
			CopySourceRange:           aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)),
			ExpectedSourceBucketOwner: nonEmptyString(c.SourceOwner),
		})
		if err != nil {
			return nil, err
		}
		return out.CopyPartResult.ETag, nil
	})
}

// Stream copies an object read with src (another account's credentials)
// into dstBucket/dstKey: one PutObject up to PartSize, else a multipart
// upload of ranged reads, so no more than Parallel parts are in memory.
func (c *Copier) Stream(ctx context.Context, src SourceReader, srcBucket, srcKey string, size int64, etag, dstBucket, dstKey string) error {
	sse, key, bucketKey := c.sse()
	read := func(ctx context.Context, from, to int64) ([]byte, error) {
		out, err := src.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(srcBucket), Key: aws.String(srcKey), IfMatch: ifMatch(etag),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)),
		})
		if err != nil {
			return nil, err
		}
		defer out.Body.Close()
		buf := bytes.NewBuffer(make([]byte, 0, to-from))
		if _, err := io.Copy(buf, out.Body); err != nil {
			return nil, fmt.Errorf("read %s: %w", srcKey, err)
		}
		if int64(buf.Len()) != to-from {
			return nil, fmt.Errorf("read %s: %d bytes, want %d", srcKey, buf.Len(), to-from)
		}
		return buf.Bytes(), nil
	}
	if size <= c.PartSize {
		var body []byte
		if size > 0 {
			var err error
			if body, err = read(ctx, 0, size); err != nil {
				return err
			}
		} else if _, err := src.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srcBucket), Key: aws.String(srcKey), IfMatch: ifMatch(etag)}); err != nil {
			return err
		}
		_, err := c.Target.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), Body: bytes.NewReader(body), ContentLength: aws.Int64(size),
			ServerSideEncryption: sse, SSEKMSKeyId: key, BucketKeyEnabled: bucketKey,
		})
		return err
	}
	return c.multipart(ctx, dstBucket, dstKey, size, func(ctx context.Context, upload *string, part int32, from, to int64) (*string, error) {
		body, err := read(ctx, from, to)
		if err != nil {
			return nil, err
		}
		out, err := c.Target.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), UploadId: upload, PartNumber: aws.Int32(part),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	})
}

type partFunc func(ctx context.Context, upload *string, part int32, from, to int64) (etag *string, err error)

// multipart runs a multipart upload of size bytes in PartSize parts,
// Parallel at a time, and aborts it on any failure: no half-written
// upload is left behind.
func (c *Copier) multipart(ctx context.Context, bucket, key string, size int64, part partFunc) (err error) {
	sse, kmsKey, bucketKey := c.sse()
	created, err := c.Target.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ServerSideEncryption: sse, SSEKMSKeyId: kmsKey, BucketKeyEnabled: bucketKey,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = c.Target.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: created.UploadId,
			})
		}
	}()
	n := (size + c.PartSize - 1) / c.PartSize
	parts := make([]types.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.Parallel, 1))
	for i := range n {
		g.Go(func() error {
			from, to := i*c.PartSize, min((i+1)*c.PartSize, size)
			etag, err := part(gctx, created.UploadId, int32(i+1), from, to)
			parts[i] = types.CompletedPart{ETag: etag, PartNumber: aws.Int32(int32(i + 1))}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	_, err = c.Target.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

func ifMatch(etag string) *string {
	if etag == "" {
		return nil
	}
	return aws.String(`"` + etag + `"`)
}

func nonEmptyString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
