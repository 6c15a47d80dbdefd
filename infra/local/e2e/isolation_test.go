package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/policy"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// Tenant isolation: one test per threat (SECURITY.md, "Tenant isolation").

// Threat: a user names one of the platform's own buckets as a source.
func TestPlatformBucketsAreRefusedAsSources(t *testing.T) {
	for _, b := range plat.Names.Buckets() {
		for _, body := range []map[string]any{policyConn(b), keysConn(b, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey)} {
			status, out := call(t, "intruder", "POST", "/connections", body)
			if status != http.StatusBadRequest || out["Field"] != "S3Bucket" || !strings.Contains(fmt.Sprint(out["Message"]), "platform's own buckets") {
				t.Errorf("%s connection to %s: %d %v, want 400 naming S3Bucket", body["ConnectionAccessType"], b, status, out)
			}
		}
	}
}

// Threat: a connection to a platform bucket made before the rule existed
// (written straight into the table): its test, its runs and its updates
// are all refused, and nothing is copied.
func TestOldConnectionToAPlatformBucketReadsNothing(t *testing.T) {
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c := connection.Connection{
		ConnectionId: fmt.Sprintf("0190aaaa-0000-7000-8000-%012d", now.UnixNano()%1e12), ConnectionName: uniqueName("old-lz"),
		ConnectionType: connection.TypeS3, CreatedBy: "intruder", AuthorizedUsers: []string{"intruder"}, S3Bucket: plat.Config.DLZBucket,
		ConnectionAccessType: connection.BucketPolicy, Version: rules.Latest, CreatedAt: now, UpdatedAt: now, Revision: 1,
	}
	if err := metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table).CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	wantTestRefused(t, "intruder", c.ConnectionId, "platform's own account")
	if status, out := call(t, "intruder", "PUT", "/connections/"+c.ConnectionId, map[string]any{"Description": "x"}); status != 400 || out["Field"] != "S3Bucket" {
		t.Errorf("update: %d %v, want 400 naming S3Bucket", status, out)
	}
	wantRunRefused(t, "intruder", c.ConnectionId, "platform's own account")
}

// Threat: a bucket of the platform's account that is not one of its named
// buckets (re-created under a source's name, or any other): refused at
// test and at run start, by ownership.
func TestBucketOwnedByThePlatformAccountIsRefused(t *testing.T) {
	ctx, own := context.Background(), s3client(t)
	const bucket = "platform-account-bucket"
	if err := platformlocal.EnsureBucket(ctx, own, bucket, platformlocal.Region); err != nil {
		t.Fatal(err)
	}
	if _, err := own.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("in/secret.csv"), Body: strings.NewReader("a\n1\n")}); err != nil {
		t.Fatal(err)
	}
	nextSecond()
	id := mustCreate(t, "intruder", policyConn(bucket))
	wantTestRefused(t, "intruder", id, "platform's own account")
	wantRunRefused(t, "intruder", id, "platform's own account")
}

// Threat: the ownership check is bypassed (a bucket changes hands between
// the check and the read, or a bug). The reader role's own policy still
// never reads the platform's account, even where a bucket policy of that
// account admits it; it writes the zones and reads nothing there.
func TestReaderSessionsNeverReadThePlatformAccount(t *testing.T) {
	ctx, own := context.Background(), s3client(t)
	const bucket = "platform-account-bucket-open"
	if err := platformlocal.EnsureBucket(ctx, own, bucket, platformlocal.Region); err != nil {
		t.Fatal(err)
	}
	if _, err := own.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k.csv"), Body: strings.NewReader("a\n1\n")}); err != nil {
		t.Fatal(err)
	}
	nextSecond()
	reader := plat.ReaderRoleARN()
	admit := policy.Document{Version: policy.Version, Statement: policy.Statements{{Sid: "AdmitReader", Effect: policy.Allow,
		Principal: policy.Principal{"AWS": {reader}}, Action: policy.Strings{"s3:ListBucket", "s3:GetObject"},
		Resource: policy.Strings{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"}}}}
	if err := platformlocal.MergeBucketPolicy(ctx, own, bucket, admit); err != nil {
		t.Fatal(err)
	}
	session := readerSession(t, "any-connection")
	for _, b := range []string{bucket, plat.Config.LZBucket, plat.Config.DLZBucket} {
		_, err := session.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		wantCode(t, "list "+b, err, "AccessDenied")
	}
	_, err := session.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k.csv")})
	wantCode(t, "get from a platform bucket that admits the reader", err, "AccessDenied")
	key := "isolation/" + uniqueName("write-only")
	if _, err := session.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(plat.Config.LZBucket), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("the reader cannot write the LZ, so server-side copies cannot land: %v", err)
	}
	_, err = session.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(plat.Config.LZBucket), Key: aws.String(key)})
	wantCode(t, "read back from the LZ", err, "AccessDenied")
	if _, err := own.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plat.Config.LZBucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
}

// Threat: a stranger connects to a bucket whose owner attached the policy
// of someone else's connection. The bucket itself refuses them: the test
// says so and their run copies nothing, while the owner's connection ingests.
func TestBucketPolicyAdmitsOnlyItsConnection(t *testing.T) {
	const bucket = "isolation-shared-source"
	putFiles(t, bucket, []srcFile{{"in/a.csv", []byte("a\n1\n"), ""}, {"in/b.csv", []byte("b\n2\n"), ""}})
	_, mine := setup(t, "policy-owner", bucket, "1.8", "csv", "in/", false)
	r := runToEnd(t, "policy-owner", mine)
	wantCounts(t, r, map[string]int{"Matched": 2, "Copied": 2})

	stranger := mustCreate(t, "stranger", policyConn(bucket))
	wantTestRefused(t, "stranger", stranger, "does not admit this connection")
	wantRunRefused(t, "stranger", stranger, "does not admit this connection")
	// Its own policy, once attached, admits it.
	attach(t, "stranger", stranger)
	if status, out := call(t, "stranger", "POST", "/connections/"+stranger+"/test", nil); status != 200 || out["Ok"] != true {
		t.Errorf("after attaching its own policy: %d %v", status, out)
	}
}

// Threat: the bucket changes hands (deleted, and re-created by someone
// else under the same name). With S3BucketOwner set, every request names
// the owner, and S3 refuses any other.
func TestExpectedBucketOwnerIsSentAndEnforced(t *testing.T) {
	const bucket = "isolation-owned-source"
	putFiles(t, bucket, []srcFile{{"in/a.csv", []byte("a\n1\n"), ""}})
	for owner, ok := range map[string]bool{platformlocal.SourceAccount: true, "999999999999": false} {
		body := policyConn(bucket)
		body["S3BucketOwner"] = owner
		id := connect(t, "owner-checker", body)
		status, out := call(t, "owner-checker", "POST", "/connections/"+id+"/test", nil)
		if status != 200 || out["Ok"] != ok || (!ok && !strings.Contains(fmt.Sprint(out["Detail"]), "S3BucketOwner")) {
			t.Errorf("S3BucketOwner %s: %d %v, want Ok=%v", owner, status, out, ok)
		}
		if !ok {
			wantRunRefused(t, "owner-checker", id, "S3BucketOwner")
			continue
		}
		// The right owner: the listing, the reads and the server-side
		// copies (x-amz-source-expected-bucket-owner) all go through.
		_, ds := call(t, "owner-checker", "POST", "/datasets", map[string]any{
			"DatasetName": uniqueName("owned"), "Domain": uniqueName("isolation"), "ConnectionId": id, "FileType": "csv", "DirectoryPath": "in/",
		})
		_, sch := call(t, "owner-checker", "POST", "/schedules", map[string]any{"ScheduleName": "s", "DatasetId": ds["DatasetId"]})
		wantCounts(t, runToEnd(t, "owner-checker", sch["ScheduleId"].(string)), map[string]int{"Matched": 1, "Copied": 1})
	}
	body := policyConn(bucket)
	body["S3BucketOwner"] = "12345"
	if status, out := call(t, "owner-checker", "POST", "/connections", body); status != 400 || out["Field"] != "S3BucketOwner" {
		t.Errorf("a malformed owner: %d %v, want 400 naming S3BucketOwner", status, out)
	}
}

// A bucket whose owner still has the policy of earlier versions attached
// (the platform's roles, no connection condition) admits no connection,
// and the test tells the user to have it re-attached.
func TestOldPolicyMustBeReattached(t *testing.T) {
	ctx := context.Background()
	const bucket = "isolation-old-policy"
	putFiles(t, bucket, []srcFile{{"in/a.csv", []byte("a\n1\n"), ""}})
	old := policy.Document{Version: policy.Version, Statement: policy.Statements{{Sid: "S3ConnectionsListBucket", Effect: policy.Allow,
		Principal: policy.Principal{"AWS": {platformlocal.FunctionsARN()}}, Action: policy.Strings{"s3:ListBucket", "s3:GetBucketLocation"},
		Resource: policy.Strings{"arn:aws:s3:::" + bucket}}}}
	if err := platformlocal.MergeBucketPolicy(ctx, sourceS3(t), bucket, old); err != nil {
		t.Fatal(err)
	}
	id := mustCreate(t, "old-user", policyConn(bucket))
	wantTestRefused(t, "old-user", id, "re-attach")
}

// readerSession is an S3 client of a source reader session for
// connection, as the ingestion functions start one.
func readerSession(t *testing.T, connectionID string) *s3.Client {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), plat.ReaderRoleARN(), func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "test-" + connectionID
		o.Tags = []ststypes.Tag{{Key: aws.String(policy.ConnectionTag), Value: aws.String(connectionID)}}
	}))
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// wantTestRefused checks that connection id's test fails saying says.
func wantTestRefused(t *testing.T, user, id, says string) {
	t.Helper()
	status, out := call(t, user, "POST", "/connections/"+id+"/test", nil)
	if status != 200 || out["Ok"] != false || !strings.Contains(fmt.Sprint(out["Detail"]), says) {
		t.Errorf("test of connection %s: %d %v, want Ok=false saying %q", id, status, out, says)
	}
}

// wantRunRefused runs a dataset of connection id to its end: the run fails
// saying says, and nothing reaches the data lake.
func wantRunRefused(t *testing.T, user, id, says string) {
	t.Helper()
	status, ds := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("refused"), "Domain": uniqueName("isolation"), "ConnectionId": id, "FileType": "csv",
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	_, sch := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": "s", "DatasetId": ds["DatasetId"]})
	r := runToEnd(t, user, sch["ScheduleId"].(string))
	if r["State"] != "failed" || !strings.Contains(fmt.Sprint(r["Reason"]), says) {
		t.Errorf("run: %v %q, want failed saying %q", r["State"], r["Reason"], says)
	}
	if got := keys(t, plat.Config.DLZBucket, fmt.Sprintf("isolation/%s/", ds["DatasetName"])); len(got) > 0 || counts(r)["Copied"] != 0 {
		t.Errorf("the refused run copied %v (%v)", got, counts(r))
	}
}
