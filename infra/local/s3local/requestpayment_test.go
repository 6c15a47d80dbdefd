package s3local

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A Requester Pays bucket answers other accounts only when they say they
// pay (AccessDenied otherwise, a HEAD too), marks their answers charged,
// and asks nothing of its owner; a copy pays for its source bucket. The
// setting is the owner's, and it survives a restart.
func TestRequesterPays(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		e, _, c := startWorld(t, opts)
		mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
		if _, err := c.c1.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: aws.String(sourceBucket),
			RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}}); err == nil {
			t.Fatal("a reader set the bucket's payer")
		}
		if _, err := c.source.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: aws.String(sourceBucket),
			RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}}); err != nil {
			t.Fatal(err)
		}
		get := &s3.GetObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("src.csv")}
		_, err := c.c1.GetObject(ctx, get)
		expectDenied(t, "a read that does not pay", err)
		_, err = c.c1.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("src.csv")})
		if httpStatus(err) != 403 {
			t.Fatalf("a HEAD that does not pay: %v", err)
		}
		_, err = c.c1.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(sourceBucket)})
		expectDenied(t, "a listing that does not pay", err)
		get.RequestPayer = types.RequestPayerRequester
		out, err := c.c1.GetObject(ctx, get)
		if err != nil || out.RequestCharged != types.RequestChargedRequester {
			t.Fatalf("a read that pays: %v, charged %q", err, out.RequestCharged)
		}
		out.Body.Close()
		if _, err := c.source.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("src.csv")}); err != nil {
			t.Fatalf("the owner: %v", err)
		}
		copyIn := &s3.CopyObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String("copied.csv"), CopySource: aws.String(sourceBucket + "/src.csv")}
		_, err = c.c1.CopyObject(ctx, copyIn)
		expectDenied(t, "a copy that does not pay for its source", err)
		copyIn.RequestPayer = types.RequestPayerRequester
		if _, err := c.c1.CopyObject(ctx, copyIn); err != nil {
			t.Fatalf("a copy that pays: %v", err)
		}
		if opts.DataPath == "" {
			return
		}
		e.srv.Close() // idempotent: the test's cleanup closes it again
		again, err := New(Options{DataPath: opts.DataPath, IAM: opts.IAM})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if !again.requesterPays(sourceBucket) {
			t.Error("the setting did not survive a restart")
		}
	})
}
