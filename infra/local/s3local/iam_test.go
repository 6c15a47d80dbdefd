package s3local

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

func TestCrossAccountReadsNeedTheBucketPolicy(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	_, err := getBytes(c.c1, sourceBucket, "src.csv")
	expectDenied(t, "read without a bucket policy", err)
	expectDenied(t, "list without a bucket policy", listErr(c.c1, sourceBucket))

	mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
	if got, err := getBytes(c.c1, sourceBucket, "src.csv"); err != nil || string(got) != "a,b\n1,2\n" {
		t.Fatalf("c1 read: %q %v", got, err)
	}
	if err := listErr(c.c1, sourceBucket); err != nil {
		t.Fatalf("c1 list: %v", err)
	}
	if _, err := c.c1.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(sourceBucket)}); err != nil {
		t.Fatalf("c1 GetBucketLocation: %v", err)
	}
	_, err = getBytes(c.c2, sourceBucket, "src.csv")
	expectDenied(t, "c2 read (the policy names c1)", err)
	expectDenied(t, "c2 list", listErr(c.c2, sourceBucket))
	// The policy grants reads only.
	_, err = c.c1.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("x"), Body: strings.NewReader("x")})
	expectDenied(t, "c1 write into the source", err)

	// A missing key is NoSuchKey to whoever may list, 403 to others.
	_, err = getBytes(c.c1, sourceBucket, "missing")
	expectCode(t, err, "NoSuchKey", http.StatusNotFound)
	if got, err := getBytes(c.narrow, sourceBucket, "src.csv"); err != nil || len(got) == 0 {
		t.Fatalf("narrow user read: %v", err)
	}
	_, err = getBytes(c.narrow, sourceBucket, "missing")
	expectDenied(t, "narrow user, missing key", err)
	_, err = c.narrow.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("missing")})
	if httpStatus(err) != http.StatusForbidden {
		t.Fatalf("narrow HeadObject of a missing key: %v", err)
	}
}

func TestReaderCannotReadThePlatformAccount(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	// Even a policy of the platform's own bucket granting the role does not
	// open it: the role's identity policy denies the platform account.
	mustPolicy(t, c.admin, privateBucket, readerPolicy(privateBucket, "c1"))
	_, err := getBytes(c.c1, privateBucket, "secret.txt")
	expectDenied(t, "read of the platform's bucket", err)
	expectDenied(t, "list of the platform's bucket", listErr(c.c1, privateBucket))
	expectDenied(t, "copy out of the platform's bucket", copyFrom(c.c1, privateBucket+"/secret.txt", "stolen"))
	if got, err := getBytes(c.admin, privateBucket, "secret.txt"); err != nil || string(got) != "platform only" {
		t.Fatalf("the platform's own read: %q %v", got, err)
	}

	// The zone is write-only for the role.
	mustPut(t, c.c1, zoneBucket, "landed", []byte("x"), "")
	_, err = getBytes(c.c1, zoneBucket, "landed")
	expectDenied(t, "read of the zone", err)
	expectDenied(t, "list of the zone", listErr(c.c1, zoneBucket))
	_, err = c.c1.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String("landed")})
	expectDenied(t, "delete in the zone", err)
}

func TestReaderCopiesAdmittedSourceIntoZone(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	expectDenied(t, "copy before the policy", copyFrom(c.c1, sourceBucket+"/src.csv", "copied"))
	mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
	if err := copyFrom(c.c1, sourceBucket+"/src.csv", "copied"); err != nil {
		t.Fatalf("c1 CopyObject: %v", err)
	}
	if got, err := getBytes(c.admin, zoneBucket, "copied"); err != nil || string(got) != "a,b\n1,2\n" {
		t.Fatalf("copied object: %q %v", got, err)
	}
	expectDenied(t, "c2 CopyObject", copyFrom(c.c2, sourceBucket+"/src.csv", "copied2"))
	// The source owner may read its bucket but not write the platform's zone.
	_, err := c.source.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String("x"),
		CopySource: aws.String(sourceBucket + "/src.csv")})
	expectDenied(t, "source owner copying into the zone", err)

	for _, tc := range []struct {
		name string
		c    *s3.Client
		ok   bool
	}{{"c1", c.c1, true}, {"c2", c.c2, false}} {
		err := uploadPartCopy(c.c1, tc.c, "multipart-"+tc.name)
		if tc.ok && err != nil {
			t.Fatalf("%s UploadPartCopy: %v", tc.name, err)
		}
		if !tc.ok {
			expectDenied(t, tc.name+" UploadPartCopy", err)
		}
	}
	if got, err := getBytes(c.admin, zoneBucket, "multipart-c1"); err != nil || string(got) != "a,b\n1,2\n" {
		t.Fatalf("multipart copy: %q %v", got, err)
	}
}

// uploadPartCopy copies src.csv into the zone as key in a multipart upload
// that owner starts and completes and copier copies the part of.
func uploadPartCopy(owner, copier *s3.Client, key string) error {
	up, err := owner.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(zoneBucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	part, err := copier.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(zoneBucket), Key: aws.String(key),
		UploadId: up.UploadId, PartNumber: aws.Int32(1), CopySource: aws.String(sourceBucket + "/src.csv")})
	if err != nil {
		_, _ = owner.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(zoneBucket), Key: aws.String(key), UploadId: up.UploadId})
		return err
	}
	_, err = owner.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(zoneBucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{ETag: part.CopyPartResult.ETag, PartNumber: aws.Int32(1)}}}})
	return err
}

func TestExpectedBucketOwner(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
	get := func(owner string) error {
		_, err := c.c1.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("src.csv"),
			ExpectedBucketOwner: aws.String(owner)})
		return err
	}
	if err := get(sourceAccount); err != nil {
		t.Fatalf("the right owner: %v", err)
	}
	expectDenied(t, "another owner", get(platformAccount))
	expectCode(t, get("not-an-account"), "InvalidBucketOwnerAWSAccountID", http.StatusBadRequest)

	copyWith := func(dst, src string) error {
		_, err := c.c1.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String("k"),
			CopySource: aws.String(sourceBucket + "/src.csv"), ExpectedBucketOwner: aws.String(dst),
			ExpectedSourceBucketOwner: aws.String(src)})
		return err
	}
	if err := copyWith(platformAccount, sourceAccount); err != nil {
		t.Fatalf("copy with the right owners: %v", err)
	}
	expectDenied(t, "copy, destination owned by another account", copyWith(sourceAccount, sourceAccount))
	expectDenied(t, "copy, source owned by another account", copyWith(platformAccount, platformAccount))
	expectCode(t, copyWith(platformAccount, "12345"), "InvalidBucketOwnerAWSAccountID", http.StatusBadRequest)
	_, err := c.admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(zoneBucket),
		Policy: aws.String(readerPolicy(zoneBucket, "c1")), ExpectedBucketOwner: aws.String(sourceAccount)})
	expectDenied(t, "PutBucketPolicy to another owner", err)
}

func TestExpectedBucketOwnerWithoutIAM(t *testing.T) {
	e := start(t, Options{DefaultOwner: sourceAccount}, false)
	c := e.client()
	mustBucket(t, c, "plain", "")
	head := func(owner string) error {
		_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("plain"), ExpectedBucketOwner: aws.String(owner)})
		return err
	}
	if err := head(sourceAccount); err != nil {
		t.Fatalf("the default owner: %v", err)
	}
	if err := head(platformAccount); httpStatus(err) != http.StatusForbidden {
		t.Fatalf("another owner: %v", err)
	}
	if err := head("x"); httpStatus(err) != http.StatusBadRequest {
		t.Fatalf("not an account: %v", err)
	}
}

func TestListBucketsPerAccount(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	mustBucket(t, c.admin, "platform-extra", "")
	if got := joined(bucketNames(t, c.admin, &s3.ListBucketsInput{})); got != "platform-extra,platform-lz,platform-private" {
		t.Fatalf("platform's buckets: %s", got)
	}
	if got := joined(bucketNames(t, c.source, &s3.ListBucketsInput{})); got != sourceBucket {
		t.Fatalf("source account's buckets: %s", got)
	}
	// How the platform learns whether it owns a bucket.
	if got := bucketNames(t, c.admin, &s3.ListBucketsInput{Prefix: aws.String(sourceBucket)}); len(got) != 0 {
		t.Fatalf("the platform sees the user's bucket: %v", got)
	}
	out, err := c.admin.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String("platform-l")})
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Prefix) != "platform-l" || out.ContinuationToken != nil {
		t.Fatalf("prefix: %+v %v", out, err)
	}
	var pages []string
	p := s3.NewListBucketsPaginator(c.admin, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range page.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
		pages = append(pages, joined(names))
	}
	if got := strings.Join(pages, "|"); got != "platform-extra,platform-lz|platform-private" {
		t.Fatalf("pages: %s", got)
	}
	_, err = c.admin.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	expectCode(t, err, "InvalidArgument", http.StatusBadRequest)
	_, err = c.source.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(zoneBucket)})
	expectCode(t, err, "BucketAlreadyExists", http.StatusConflict)
	_, err = c.c1.ListBuckets(ctx, &s3.ListBucketsInput{})
	expectDenied(t, "reader ListBuckets", err)
}

func TestSessionsNeedTheirToken(t *testing.T) {
	e, w, c := startWorld(t, Options{})
	s := w.session(t, "c1")
	_, err := e.client(withCreds(s.AccessKeyId, s.SecretAccessKey, "")).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(zoneBucket), Key: aws.String("k"), Body: strings.NewReader("x")})
	expectCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	_, err = e.client(withCreds(s.AccessKeyId, s.SecretAccessKey, s.SessionToken+"x")).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(zoneBucket), Key: aws.String("k"), Body: strings.NewReader("x")})
	expectCode(t, err, "InvalidToken", http.StatusBadRequest)
	_, err = e.client(withCreds("AKIANOBODY", "x", "")).ListBuckets(ctx, &s3.ListBucketsInput{})
	expectCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	if status, body := rawGet(t, e.http.URL+"/"+zoneBucket); status != http.StatusForbidden || !contains(body, "AccessDenied") {
		t.Fatalf("anonymous: %d %s", status, body)
	}

	// A presigned URL carries the token in its query.
	mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
	ps, err := s3.NewPresignClient(c.c1).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("src.csv")})
	if err != nil || !strings.Contains(ps.URL, "X-Amz-Security-Token=") {
		t.Fatalf("presign: %v %s", err, ps.URL)
	}
	if status, body := rawGet(t, ps.URL); status != http.StatusOK || body != "a,b\n1,2\n" {
		t.Fatalf("presigned GET: %d %s", status, body)
	}
	bad := strings.Replace(ps.URL, "X-Amz-Security-Token=", "X-Amz-Security-Token=x", 1)
	if status, body := rawGet(t, bad); status != http.StatusBadRequest || !contains(body, "InvalidToken") {
		t.Fatalf("presigned GET with another token: %d %s", status, body)
	}
}

func TestBucketPolicyOperations(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	getPolicy := func(cl *s3.Client) (string, error) {
		out, err := cl.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(sourceBucket)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Policy), nil
	}
	_, err := getPolicy(c.source)
	expectCode(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	doc := readerPolicy(sourceBucket, "c1")
	mustPolicy(t, c.source, sourceBucket, doc)
	if got, err := getPolicy(c.source); err != nil || got != doc {
		t.Fatalf("GetBucketPolicy: %q %v", got, err)
	}

	// Another account, though allowed everything in its own, may not.
	_, err = getPolicy(c.admin)
	expectCode(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	_, err = c.admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(sourceBucket), Policy: aws.String(doc)})
	expectCode(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	_, err = c.admin.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(sourceBucket)})
	expectCode(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	// Nor the owner's identities without the permission.
	_, err = getPolicy(c.narrow)
	expectDenied(t, "GetBucketPolicy without permission", err)
	_, err = c.c1.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(sourceBucket)})
	expectDenied(t, "reader DeleteBucketPolicy", err)

	if _, err := c.source.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(sourceBucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = getPolicy(c.source)
	expectCode(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	if _, err := c.source.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(sourceBucket)}); err != nil {
		t.Fatalf("deleting no policy: %v", err)
	}
	_, err = getBytes(c.c1, sourceBucket, "src.csv")
	expectDenied(t, "read after the policy is gone", err)
}

func TestMalformedBucketPolicies(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	valid := readerPolicy(sourceBucket, "c1")
	for doc, msg := range map[string]string{
		"not json":       "Policies must be valid JSON and the first byte must be '{'",
		"{}":             "Missing required field Statement",
		`{"Statement":[`: "This policy contains invalid Json",
		strings.ReplaceAll(valid, "arn:aws:s3:::"+sourceBucket, "arn:aws:s3:::"+zoneBucket): "Policy has invalid resource",
		strings.Replace(valid, "StringEquals", "NumericLessThan", 1):                        "NumericLessThan",
		strings.Replace(valid, `"Principal":{"AWS":"`+readerRoleARN+`"},`, "", 1):           "Missing required field Principal",
	} {
		_, err := c.source.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(sourceBucket), Policy: aws.String(doc)})
		expectCode(t, err, "MalformedPolicy", http.StatusBadRequest)
		if !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: want %q in %v", doc, msg, err)
		}
	}
	_, err := c.source.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(sourceBucket)})
	expectCode(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
}

func TestDeletedBucketLosesOwnerAndPolicy(t *testing.T) {
	_, _, c := startWorld(t, Options{})
	mustBucket(t, c.source, "short-lived", "")
	mustPolicy(t, c.source, "short-lived", readerPolicy("short-lived", "c1"))
	if _, err := c.source.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("short-lived")}); err != nil {
		t.Fatal(err)
	}
	mustBucket(t, c.admin, "short-lived", "") // another account may take the name
	_, err := c.admin.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("short-lived")})
	expectCode(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	if got := joined(bucketNames(t, c.source, &s3.ListBucketsInput{})); got != sourceBucket {
		t.Fatalf("the old owner still lists %s", got)
	}
}

func TestOwnersAndPoliciesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	w := newWorld()
	srv, err := New(Options{DataPath: dir, IAM: w.reg})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptestServer(srv)
	e := &env{srv: srv, http: hs}
	c := w.clients(t, e)
	mustBucket(t, c.source, sourceBucket, "")
	mustPut(t, c.source, sourceBucket, "src.csv", []byte("kept"), "")
	mustPolicy(t, c.source, sourceBucket, readerPolicy(sourceBucket, "c1"))
	hs.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, Options{DataPath: dir, IAM: w.reg}, false)
	c = w.clients(t, e)
	if got := joined(bucketNames(t, c.source, &s3.ListBucketsInput{})); got != sourceBucket {
		t.Fatalf("owner's buckets after restart: %s", got)
	}
	if got := bucketNames(t, c.admin, &s3.ListBucketsInput{}); len(got) != 0 {
		t.Fatalf("the platform lists %v", got)
	}
	if got, err := getBytes(c.c1, sourceBucket, "src.csv"); err != nil || string(got) != "kept" {
		t.Fatalf("c1 read after restart: %q %v", got, err)
	}
	_, err = getBytes(c.c2, sourceBucket, "src.csv")
	expectDenied(t, "c2 read after restart", err)
}

func TestOldStateGetsTheDefaultOwner(t *testing.T) {
	dir := t.TempDir()
	old, err := New(Options{DataPath: dir}) // no IAM, no DefaultOwner: no owner recorded
	if err != nil {
		t.Fatal(err)
	}
	hs := httptestServer(old)
	mustBucket(t, (&env{srv: old, http: hs}).client(), "legacy", "")
	hs.Close()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	w := newWorld()
	e := start(t, Options{DataPath: dir, IAM: w.reg, DefaultOwner: sourceAccount}, false)
	c := w.clients(t, e)
	if got := joined(bucketNames(t, c.source, &s3.ListBucketsInput{})); got != "legacy" {
		t.Fatalf("default owner's buckets: %q", got)
	}
	if got := bucketNames(t, c.admin, &s3.ListBucketsInput{}); len(got) != 0 {
		t.Fatalf("another account lists %v", got)
	}
	mustPut(t, c.source, "legacy", "k", []byte("v"), "")
	_, err = c.admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("k"), Body: bytes.NewReader(nil)})
	expectDenied(t, "another account's write", err)
}

// GetObjectAttributes needs s3:GetObject and s3:GetObjectAttributes (on an
// unversioned bucket, as S3's API reference says); a missing key is 403 to
// callers who may not list the bucket.
func TestGetObjectAttributesNeedsBothActions(t *testing.T) {
	e, w, _ := startWorld(t, Options{})
	for _, tc := range []struct {
		akid    string
		actions []string
		allowed bool
	}{
		{"AKIAGETOBJECTONLY", []string{"s3:GetObject"}, false},
		{"AKIAATTRIBUTESONLY", []string{"s3:GetObjectAttributes"}, false},
		{"AKIAGETANDATTRS", []string{"s3:GetObject", "s3:GetObjectAttributes"}, true},
	} {
		w.reg.AddKey(tc.akid, "attr-secret", iamlocal.Principal{Account: sourceAccount, ARN: "arn:aws:iam::" + sourceAccount + ":user/" + tc.akid,
			Policies: []policy.Document{{Version: policy.Version, Statement: policy.Statements{{
				Effect: policy.Allow, Action: policy.Strings(tc.actions), Resource: policy.Strings{"arn:aws:s3:::" + sourceBucket + "/*"},
			}}}}})
		c := e.client(withCreds(tc.akid, "attr-secret", ""))
		attrs := func(key string) error {
			_, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(sourceBucket), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum}})
			return err
		}
		err := attrs("src.csv")
		if !tc.allowed {
			expectDenied(t, tc.akid+" GetObjectAttributes", err)
			continue
		}
		if err != nil {
			t.Fatalf("%s GetObjectAttributes: %v", tc.akid, err)
		}
		expectDenied(t, tc.akid+" GetObjectAttributes of a missing key without s3:ListBucket", attrs("missing"))
	}
}

// A session expires with its key: a request signed with it gets S3's
// ExpiredToken (400), which clients retry with new credentials, the same
// on a later request; an unknown key is InvalidAccessKeyId (403).
func TestExpiredSessionIsExpiredToken(t *testing.T) {
	e, w, _ := startWorld(t, Options{})
	old, err := w.reg.AssumeRole(w.admin, iamlocalInput("c1"), time.Now().Add(-61*time.Minute)) // an hour long (STS's default)
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(withCreds(old.AccessKeyId, old.SecretAccessKey, old.SessionToken))
	for range 2 { // the first lookup finds it expired, the second no longer has it
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(zoneBucket), Key: aws.String("k"), Body: strings.NewReader("x")})
		expectCode(t, err, "ExpiredToken", http.StatusBadRequest)
	}
	err = listErr(e.client(withCreds("AKIANOBODY", "x", "")), sourceBucket)
	expectCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
}
