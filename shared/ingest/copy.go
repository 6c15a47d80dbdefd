package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/checksum"
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
	// HeadObject reads a source's checksum before a server-side copy.
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
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

	// own is the worker's own Target when From gave the copier another:
	// it removes a copy whose checksum disagrees.
	own TargetBuckets
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
	if from.own == nil {
		from.own = c.Target
	}
	return &from
}

// What the checksums of a copy are compared with, in failure reasons.
const (
	ofSource = "the source's checksum"
	ofCopy   = "S3's checksum of the copy"
	ofRead   = "the checksum of the bytes read from the source"
	ofParts  = "the checksum of the copied parts"
)

// ServerSide copies srcBucket/srcKey (of size bytes and ETag etag) to
// dstBucket/dstKey with c.Target's credentials and returns the copy's
// checksum. src is the source's checksum when the caller knows it (a move
// from the LZ); otherwise it is read first (sourceSum). The copy asks S3
// for a full-object checksum in the source's algorithm (copyAlgorithm); a
// copy whose checksum differs from the source's is removed, and the error
// is a *ChecksumMismatch.
func (c *Copier) ServerSide(ctx context.Context, srcBucket, srcKey string, size int64, etag string, src Sum, dstBucket, dstKey string) (Sum, error) {
	if !src.Known() {
		var err error
		if src, err = c.sourceSum(ctx, srcBucket, srcKey, etag); err != nil {
			return Sum{}, err
		}
	}
	if size > c.CopyThreshold {
		return c.multipartCopy(ctx, srcBucket, srcKey, size, etag, src, dstBucket, dstKey)
	}
	sse, key, bucketKey := c.sse()
	out, err := c.Target.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(dstBucket), Key: aws.String(dstKey), CopySource: aws.String(copySource(srcBucket, srcKey)),
		CopySourceIfMatch: ifMatch(etag), MetadataDirective: types.MetadataDirectiveCopy,
		ServerSideEncryption: sse, SSEKMSKeyId: key, BucketKeyEnabled: bucketKey,
		ExpectedSourceBucketOwner: nonEmptyString(c.SourceOwner),
		ChecksumAlgorithm:         types.ChecksumAlgorithm(copyAlgorithm(src, false)),
	})
	if err != nil {
		return Sum{}, err
	}
	var got Sum
	if r := out.CopyObjectResult; r != nil {
		got = copyResultFields(r).sum(r.ChecksumType)
	}
	if err := agree(ofSource, src, ofCopy, got); err != nil {
		return Sum{}, c.discard(ctx, dstBucket, dstKey, err)
	}
	return written(got, Sum{}), nil
}

// multipartCopy copies an object larger than CopyThreshold by UploadPartCopy.
func (c *Copier) multipartCopy(ctx context.Context, srcBucket, srcKey string, size int64, etag string, src Sum, dstBucket, dstKey string) (Sum, error) {
	return c.multipart(ctx, dstBucket, dstKey, size, src, func(ctx context.Context, upload *string, alg checksum.Algorithm, part int32, from, to int64) (types.CompletedPart, error) {
		out, err := c.Target.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), UploadId: upload, PartNumber: aws.Int32(part),
			CopySource: aws.String(copySource(srcBucket, srcKey)), CopySourceIfMatch: ifMatch(etag),
			CopySourceRange:           aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)),
			ExpectedSourceBucketOwner: nonEmptyString(c.SourceOwner),
		})
		if err != nil {
			return types.CompletedPart{}, err
		}
		p := types.CompletedPart{ETag: out.CopyPartResult.ETag}
		if s := copyPartFields(out.CopyPartResult).sum(""); s.Algorithm == alg {
			completedPartFields(&p).set(alg, s.Value)
		}
		return p, nil
	})
}

// Stream copies an object read with src (another account's credentials)
// into dstBucket/dstKey: one PutObject up to PartSize, else a multipart
// upload of ranged reads, so no more than Parallel parts are in memory.
// The worker computes the checksum of the bytes it read (in the source's
// algorithm, see copyAlgorithm), checks it against the source's and sends
// it with every write, so S3 refuses bytes that changed on the way; it
// returns S3's checksum of the copy.
func (c *Copier) Stream(ctx context.Context, src SourceReader, srcBucket, srcKey string, size int64, etag, dstBucket, dstKey string) (Sum, error) {
	if size <= c.PartSize {
		return c.streamOne(ctx, src, srcBucket, srcKey, size, etag, dstBucket, dstKey)
	}
	head, err := src.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(srcBucket), Key: aws.String(srcKey), IfMatch: ifMatch(etag), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return Sum{}, err
	}
	return c.multipart(ctx, dstBucket, dstKey, size, headFields(head).sum(head.ChecksumType), func(ctx context.Context, upload *string, alg checksum.Algorithm, part int32, from, to int64) (types.CompletedPart, error) {
		out, err := src.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(srcBucket), Key: aws.String(srcKey), IfMatch: ifMatch(etag),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to-1)),
		})
		if err != nil {
			return types.CompletedPart{}, err
		}
		body, err := readBody(out.Body, srcKey, to-from)
		if err != nil {
			return types.CompletedPart{}, err
		}
		read := checksum.Of(alg, body)
		in := &s3.UploadPartInput{
			Bucket: aws.String(dstBucket), Key: aws.String(dstKey), UploadId: upload, PartNumber: aws.Int32(part),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ChecksumAlgorithm: types.ChecksumAlgorithm(alg),
		}
		partInFields(in).set(alg, read) // S3 refuses the part (BadDigest) if it received other bytes
		up, err := c.Target.UploadPart(ctx, in)
		if err != nil {
			return types.CompletedPart{}, err
		}
		p := types.CompletedPart{ETag: up.ETag}
		completedPartFields(&p).set(alg, read)
		return p, nil
	})
}

// streamOne copies an object of up to PartSize bytes: one read of the
// whole object, which S3 answers with its checksum, and one PutObject.
func (c *Copier) streamOne(ctx context.Context, src SourceReader, srcBucket, srcKey string, size int64, etag, dstBucket, dstKey string) (Sum, error) {
	out, err := src.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(srcBucket), Key: aws.String(srcKey), IfMatch: ifMatch(etag), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return Sum{}, err
	}
	source := getFields(out).sum(out.ChecksumType)
	body, err := readBody(out.Body, srcKey, size)
	if err != nil {
		return Sum{}, err
	}
	alg := copyAlgorithm(source, false)
	read := Sum{Algorithm: alg, Value: checksum.Of(alg, body), Type: checksum.FullObject}
	if err := agree(ofSource, source, ofRead, read); err != nil {
		return Sum{}, err // nothing written
	}
	sse, key, bucketKey := c.sse()
	in := &s3.PutObjectInput{
		Bucket: aws.String(dstBucket), Key: aws.String(dstKey), Body: bytes.NewReader(body), ContentLength: aws.Int64(size),
		ServerSideEncryption: sse, SSEKMSKeyId: key, BucketKeyEnabled: bucketKey, ChecksumAlgorithm: types.ChecksumAlgorithm(alg),
	}
	putInFields(in).set(alg, read.Value) // S3 refuses the object (BadDigest) if it received other bytes
	put, err := c.Target.PutObject(ctx, in)
	if err != nil {
		return Sum{}, err
	}
	got := putOutFields(put).sum(put.ChecksumType)
	if err := agree(ofRead, read, ofCopy, got); err != nil {
		return Sum{}, c.discard(ctx, dstBucket, dstKey, err)
	}
	return written(got, read), nil
}

// readBody reads a source object's body of want bytes.
func readBody(body io.ReadCloser, key string, want int64) ([]byte, error) {
	defer body.Close()
	buf := bytes.NewBuffer(make([]byte, 0, want))
	if _, err := io.Copy(buf, body); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(buf.Len()) != want {
		return nil, fmt.Errorf("read %s: %d bytes, want %d", key, buf.Len(), want)
	}
	return buf.Bytes(), nil
}

// partFunc writes one part of a multipart upload whose checksum algorithm
// is alg and returns it for the completion, with its checksum if S3 (or
// the worker) computed one.
type partFunc func(ctx context.Context, upload *string, alg checksum.Algorithm, part int32, from, to int64) (types.CompletedPart, error)

// multipart runs a multipart upload of size bytes in PartSize parts,
// Parallel at a time, with a FULL_OBJECT checksum in src's algorithm if it
// is a CRC (else CRC64NVME): the parts' checksums combined must equal
// src's, the completion asks S3 to check them too, and S3's checksum of
// the object must equal them. It aborts the upload (or removes the
// object) on any failure: no half-written or unverified upload is left.
func (c *Copier) multipart(ctx context.Context, bucket, key string, size int64, src Sum, part partFunc) (sum Sum, err error) {
	sse, kmsKey, bucketKey := c.sse()
	alg := copyAlgorithm(src, true)
	created, err := c.Target.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ServerSideEncryption: sse, SSEKMSKeyId: kmsKey, BucketKeyEnabled: bucketKey,
		ChecksumAlgorithm: types.ChecksumAlgorithm(alg), ChecksumType: types.ChecksumTypeFullObject,
	})
	if err != nil {
		return Sum{}, err
	}
	defer func() {
		if err != nil {
			_, _ = c.Target.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: created.UploadId,
			})
		}
	}()
	parts, err := c.uploadParts(ctx, created.UploadId, alg, size, part)
	if err != nil {
		return Sum{}, err
	}
	combined := combinedSum(alg, parts, size, c.PartSize)
	if err := agree(ofSource, src, ofParts, combined); err != nil {
		return Sum{}, err
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, MpuObjectSize: aws.Int64(size),
	}
	if combined.Known() { // S3 refuses the completion (BadDigest) if its own combination differs
		in.ChecksumType = types.ChecksumTypeFullObject
		completeInFields(in).set(alg, combined.Value)
	}
	out, err := c.Target.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return Sum{}, err
	}
	got := completeOutFields(out).sum(out.ChecksumType)
	if err := errors.Join(agree(ofParts, combined, ofCopy, got), agree(ofSource, src, ofCopy, got)); err != nil {
		return Sum{}, c.discard(ctx, bucket, key, err)
	}
	return written(got, combined), nil
}

// uploadParts writes the parts of an upload, Parallel at a time.
func (c *Copier) uploadParts(ctx context.Context, upload *string, alg checksum.Algorithm, size int64, part partFunc) ([]types.CompletedPart, error) {
	n := (size + c.PartSize - 1) / c.PartSize
	parts := make([]types.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.Parallel, 1))
	for i := range n {
		g.Go(func() error {
			from, to := i*c.PartSize, min((i+1)*c.PartSize, size)
			p, err := part(gctx, upload, alg, int32(i+1), from, to)
			p.PartNumber = aws.Int32(int32(i + 1))
			parts[i] = p
			return err
		})
	}
	return parts, g.Wait()
}

// combinedSum is the FULL_OBJECT checksum of the parts (of partSize bytes
// but the last), combined from theirs as S3 combines them; unknown if a
// part has none.
func combinedSum(alg checksum.Algorithm, parts []types.CompletedPart, size, partSize int64) Sum {
	sums := make([]checksum.Part, len(parts))
	for i := range parts {
		p := completedPartFields(&parts[i]).sum("")
		raw, ok := checksum.Decode(alg, p.Value)
		if p.Algorithm != alg || !ok {
			return Sum{}
		}
		sums[i] = checksum.Part{Sum: raw, Size: min(partSize, size-int64(i)*partSize)}
	}
	full, err := checksum.Combine(alg, sums)
	if err != nil {
		return Sum{}
	}
	return Sum{Algorithm: alg, Value: checksum.Encode(full), Type: checksum.FullObject}
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
