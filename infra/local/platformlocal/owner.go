package platformlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// SourceOwnerS3 is an S3 client of the source owner's account, on cfg's
// endpoints: what a bucket owner uses to create buckets and attach the
// generated policies.
func SourceOwnerS3(cfg aws.Config) *s3.Client { return SourceOwner(cfg).S3 }

// Owner is what a source bucket's owner works with: S3, IAM for the
// roles of assume_role connections and the events forwarder, and
// EventBridge for the rule that forwards the bucket's events.
type Owner struct {
	S3     *s3.Client
	IAM    *iam.Client
	Events *eventbridge.Client
}

// SourceOwner is the source account's clients, on cfg's endpoints.
func SourceOwner(cfg aws.Config) Owner {
	creds := credentials.NewStaticCredentialsProvider(SourceAccessKeyID, SourceSecretAccessKey, "")
	return Owner{
		S3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Credentials = creds }),
		IAM:    iam.NewFromConfig(cfg, func(o *iam.Options) { o.Credentials = creds }),
		Events: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.Credentials = creds }),
	}
}

// OwnerFromEndpoints is the source account's clients as endpoints.env
// (ReadEndpoints) gives them, for the commands that act as the owner on a
// running platform.
func OwnerFromEndpoints(env map[string]string) Owner {
	creds := credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")
	cfg := aws.Config{Region: env["AWS_REGION"], Credentials: creds}
	return Owner{
		S3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_S3"]) }),
		IAM: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_IAM"]) }),
		Events: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
			o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_EVENTBRIDGE"])
		}),
	}
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
// user sends them a connection's policies: it reads the connection and its
// policies from the API (with the user's token) and, as the owner, merges
// the bucket policy into the bucket's (bucket_policy), or creates or
// updates the role with the trust and permissions policies (assume_role).
// It returns what it attached them to.
func AttachConnectionPolicy(ctx context.Context, apiURL, token, connectionID string, owner Owner) (string, error) {
	var conn struct{ S3Bucket, ConnectionAccessType, RoleArn string }
	if err := getJSON(ctx, apiURL+"/connections/"+connectionID, token, &conn); err != nil {
		return "", err
	}
	var p struct{ BucketPolicy, TrustPolicy, PermissionsPolicy policy.Document }
	if err := getJSON(ctx, apiURL+"/connections/"+connectionID+"/policies", token, &p); err != nil {
		return "", err
	}
	if conn.ConnectionAccessType == "assume_role" {
		return "role " + conn.RoleArn, AttachRolePolicies(ctx, owner.IAM, conn.RoleArn, "s3connections-"+connectionID, p.TrustPolicy, p.PermissionsPolicy)
	}
	return "bucket " + conn.S3Bucket, MergeBucketPolicy(ctx, owner.S3, conn.S3Bucket, p.BucketPolicy)
}

// AttachRolePolicies creates roleARN with trust (or merges trust's
// statements into its trust policy, by Sid, so the role keeps admitting
// the other connections it serves) and puts permissions as its inline
// policy name.
func AttachRolePolicies(ctx context.Context, c *iam.Client, roleARN, name string, trust, permissions policy.Document) error {
	path, role := rolePath(roleARN)
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		doc, _ := json.Marshal(trust)
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(string(doc))}); err != nil {
			return fmt.Errorf("create role %s: %w", role, err)
		}
	case err != nil:
		return fmt.Errorf("read role %s: %w", role, err)
	default:
		if err := mergeTrust(ctx, c, role, aws.ToString(got.Role.AssumeRolePolicyDocument), trust); err != nil {
			return err
		}
	}
	doc, _ := json.Marshal(permissions)
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(string(doc))}); err != nil {
		return fmt.Errorf("put the permissions of role %s: %w", role, err)
	}
	return nil
}

// mergeTrust adds trust's statements to role's trust policy (IAM returns
// it URL-encoded), replacing those with the same Sid.
func mergeTrust(ctx context.Context, c *iam.Client, role, encoded string, trust policy.Document) error {
	raw, err := url.QueryUnescape(encoded)
	if err != nil {
		return fmt.Errorf("trust policy of %s: %w", role, err)
	}
	current, err := policy.Parse([]byte(raw))
	if err != nil {
		return fmt.Errorf("trust policy of %s: %w", role, err)
	}
	for _, s := range trust.Statement {
		current.Statement = slices.DeleteFunc(current.Statement, func(old policy.Statement) bool { return old.Sid == s.Sid })
		current.Statement = append(current.Statement, s)
	}
	doc, _ := json.Marshal(current)
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(string(doc))}); err != nil {
		return fmt.Errorf("update the trust policy of %s: %w", role, err)
	}
	return nil
}

// rolePath splits a role ARN's resource into its path and name.
func rolePath(arn string) (path, name string) {
	res := arn[strings.Index(arn, ":role/")+len(":role"):]
	i := strings.LastIndex(res, "/")
	return res[:i+1], res[i+1:]
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
