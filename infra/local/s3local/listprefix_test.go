package s3local

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A bucket policy may admit listings of one prefix only (s3:prefix, as the
// platform's policies for inventory buckets do): S3 sets the key from the
// request's prefix, and a listing without one, or of another, is refused.
func TestListBucketConditionOnPrefix(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	mustPolicy(t, c.source, sourceBucket, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":%q},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::%s",
		"Condition":{"StringEquals":{"aws:PrincipalTag/ConnectionId":"c1"},"StringLike":{"s3:prefix":["reports/src/","reports/src/*"]}}}]}`,
		readerRoleARN, sourceBucket))
	list := func(prefix *string) error {
		_, err := c.c1.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(sourceBucket), Prefix: prefix, Delimiter: aws.String("/")})
		return err
	}
	for _, p := range []string{"reports/src/", "reports/src/2026-12-06T01-00Z/"} {
		if err := list(aws.String(p)); err != nil {
			t.Fatalf("list %s: %v", p, err)
		}
	}
	expectDenied(t, "list of another prefix", list(aws.String("reports/other/")))
	expectDenied(t, "list without a prefix", list(nil))
}
