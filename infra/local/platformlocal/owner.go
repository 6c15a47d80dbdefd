package platformlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// SourceOwnerS3 is an S3 client of the source owner's account, on cfg's
// endpoints: what a bucket owner uses to create buckets and attach the
// generated policies.
func SourceOwnerS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.Credentials = credentials.NewStaticCredentialsProvider(SourceAccessKeyID, SourceSecretAccessKey, "")
	})
}

// MergeBucketPolicy adds doc's statements to bucket's policy, as an owner
// who serves several connections does: a statement with the same Sid is
// replaced, the others are kept.
func MergeBucketPolicy(ctx context.Context, owner *s3.Client, bucket string, doc policy.Document) error {
	loc, err := owner.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("find the region of %s: %w", bucket, err)
	}
	inRegion := func(o *s3.Options) {
		if o.Region = string(loc.LocationConstraint); o.Region == "" {
			o.Region = "us-east-1"
		}
	}
	current := policy.Document{Version: policy.Version}
	out, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}, inRegion)
	var ae smithy.APIError
	switch {
	case err == nil:
		if current, err = policy.Parse([]byte(aws.ToString(out.Policy))); err != nil {
			return fmt.Errorf("policy of %s: %w", bucket, err)
		}
	case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucketPolicy":
	default:
		return fmt.Errorf("read the policy of %s: %w", bucket, err)
	}
	for _, s := range doc.Statement {
		current.Statement = slices.DeleteFunc(current.Statement, func(old policy.Statement) bool { return old.Sid == s.Sid })
		current.Statement = append(current.Statement, s)
	}
	b, err := json.Marshal(current)
	if err != nil {
		return err
	}
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(b))}, inRegion); err != nil {
		return fmt.Errorf("attach the policy to %s: %w", bucket, err)
	}
	return nil
}

// AttachConnectionPolicy does what a source bucket's owner does when a
// user sends them a connection's policy: it reads the connection and its
// bucket policy from the API (with the user's token) and merges the policy
// into the bucket's, as the owner.
func AttachConnectionPolicy(ctx context.Context, apiURL, token, connectionID string, owner *s3.Client) (bucket string, err error) {
	var conn struct{ S3Bucket string }
	if err := getJSON(ctx, apiURL+"/connections/"+connectionID, token, &conn); err != nil {
		return "", err
	}
	var policies struct{ BucketPolicy policy.Document }
	if err := getJSON(ctx, apiURL+"/connections/"+connectionID+"/policies", token, &policies); err != nil {
		return "", err
	}
	return conn.S3Bucket, MergeBucketPolicy(ctx, owner, conn.S3Bucket, policies.BucketPolicy)
}

func getJSON(ctx context.Context, url, token string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, into)
}
