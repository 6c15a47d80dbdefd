package source_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/source"
)

// A key XML 1.0 cannot carry comes back from List as it was written (S3
// encodes it, List decodes it), with its neighbours, over the real SDK and
// the local S3.
func TestListDecodesEncodedKeys(t *testing.T) {
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("src")}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"d/bell\x07.csv", "d/plain + space.csv", "d/\u202eevil.csv"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := source.List(ctx, c, &s3.ListObjectsV2Input{Bucket: aws.String("src"), Prefix: aws.String("d/")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("listed %q, want %q", got, keys)
	}
}
