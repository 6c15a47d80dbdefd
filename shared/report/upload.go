package report

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Uploader is what a streamed upload needs of S3 (*s3.Client).
type Uploader interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// upload writes an object of unknown length holding at most one part in
// memory: one PutObject if it is smaller than a part, else a multipart
// upload. Close completes it; abort drops it.
type upload struct {
	ctx              context.Context
	s3               Uploader
	bucket, key, typ string
	partSize         int
	buf              []byte
	id               *string
	parts            []types.CompletedPart
}

func newUpload(ctx context.Context, c Uploader, bucket, key, contentType string, partSize int) *upload {
	return &upload{ctx: ctx, s3: c, bucket: bucket, key: key, typ: contentType, partSize: partSize}
}

// Write buffers p and sends every full part.
func (u *upload) Write(p []byte) (int, error) {
	u.buf = append(u.buf, p...)
	for len(u.buf) >= u.partSize {
		if err := u.sendPart(u.buf[:u.partSize]); err != nil {
			return 0, err
		}
		u.buf = append(u.buf[:0], u.buf[u.partSize:]...)
	}
	return len(p), nil
}

func (u *upload) sendPart(b []byte) error {
	if u.id == nil {
		out, err := u.s3.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: aws.String(u.typ),
		})
		if err != nil {
			return fmt.Errorf("start the upload of %s: %w", u.key, err)
		}
		u.id = out.UploadId
	}
	n := int32(len(u.parts) + 1)
	out, err := u.s3.UploadPart(u.ctx, &s3.UploadPartInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id, PartNumber: aws.Int32(n), Body: bytes.NewReader(b),
	})
	if err != nil {
		return fmt.Errorf("upload part %d of %s: %w", n, u.key, err)
	}
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	return nil
}

// Close writes what is buffered and completes the object.
func (u *upload) Close() error {
	if u.id == nil {
		_, err := u.s3.PutObject(u.ctx, &s3.PutObjectInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), Body: bytes.NewReader(u.buf), ContentType: aws.String(u.typ),
		})
		if err != nil {
			return fmt.Errorf("write %s: %w", u.key, err)
		}
		return nil
	}
	if len(u.buf) > 0 {
		if err := u.sendPart(u.buf); err != nil {
			return err
		}
	}
	_, err := u.s3.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	})
	if err != nil {
		return fmt.Errorf("complete the upload of %s: %w", u.key, err)
	}
	return nil
}

// abort drops a multipart upload begun (the bucket's lifecycle rule
// removes one that even this fails to drop).
func (u *upload) abort() {
	if u.id != nil {
		_, _ = u.s3.AbortMultipartUpload(context.WithoutCancel(u.ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id,
		})
	}
}
