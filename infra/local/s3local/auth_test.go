package s3local

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketRegions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds map[string]string
	}{
		{"signatures checked", map[string]string{testKey: testSecret}},
		{"signatures not checked", nil}, // the region still comes from the credential scope
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, Options{Credentials: tc.creds}, false)
			us, eu := e.client(), e.client(withRegion("eu-west-1"))
			mustBucket(t, eu, "eu-bucket", "eu-west-1")
			mustBucket(t, us, "us-bucket", "")

			for _, c := range []struct {
				client *s3.Client
				bucket string
				region string
				constr types.BucketLocationConstraint
			}{
				{eu, "eu-bucket", "eu-west-1", "eu-west-1"},
				{us, "us-bucket", "us-east-1", ""}, // S3's empty LocationConstraint for us-east-1
			} {
				head, err := c.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.bucket)})
				if err != nil || aws.ToString(head.BucketRegion) != c.region {
					t.Fatalf("HeadBucket %s: region %q, %v", c.bucket, aws.ToString(head.BucketRegion), err)
				}
				// GetBucketLocation answers whatever region the request was signed for.
				loc, err := us.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(c.bucket)})
				if err != nil || loc.LocationConstraint != c.constr {
					t.Fatalf("GetBucketLocation %s: %q, %v", c.bucket, loc.LocationConstraint, err)
				}
			}

			mustPut(t, eu, "eu-bucket", "k", []byte("v"), "")
			wrongRegion := map[string]func() error{
				"ListObjectsV2": func() error {
					_, err := us.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eu-bucket")})
					return err
				},
				"GetObject": func() error { _, err := getBytes(us, "eu-bucket", "k"); return err },
				"PutObject": func() error {
					_, err := us.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eu-bucket"), Key: aws.String("k2"), Body: strings.NewReader("x")})
					return err
				},
			}
			for op, call := range wrongRegion {
				err := call()
				expectCode(t, err, "PermanentRedirect", http.StatusMovedPermanently)
				if got := bucketRegionFromError(err); got != "eu-west-1" {
					t.Fatalf("%s: x-amz-bucket-region from the error %q", op, got)
				}
			}
			// HEAD has no body, so the SDK names the error after the status.
			_, err := us.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eu-bucket")})
			expectCode(t, err, "MovedPermanently", http.StatusMovedPermanently)
			if got := bucketRegionFromError(err); got != "eu-west-1" {
				t.Fatalf("HeadBucket: region from the error %q", got)
			}

			_, err = eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("no-constraint")})
			expectCode(t, err, "IllegalLocationConstraintException", http.StatusBadRequest)
			_, err = us.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("explicit-us"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
			expectCode(t, err, "InvalidLocationConstraint", http.StatusBadRequest)
			if _, err := us.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("us-bucket")}); err != nil {
				t.Fatalf("re-creating an own us-east-1 bucket is fine in S3: %v", err)
			}
			_, err = eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
			expectCode(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)

			list, err := us.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range list.Buckets {
				got = append(got, aws.ToString(b.Name)+"@"+aws.ToString(b.BucketRegion))
			}
			if fmt.Sprint(got) != "[eu-bucket@eu-west-1 us-bucket@us-east-1]" {
				t.Fatalf("ListBuckets: %v", got)
			}

			if _, err := eu.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("eu-bucket"), Key: aws.String("k")}); err != nil {
				t.Fatal(err)
			}
			if _, err := eu.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("eu-bucket")}); err != nil {
				t.Fatal(err)
			}
			_, err = us.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eu-bucket")})
			expectCode(t, err, "NotFound", http.StatusNotFound)
			mustBucket(t, us, "eu-bucket", "") // the name is free again, in any region
		})
	}

	t.Run("DefaultRegion", func(t *testing.T) {
		e := start(t, Options{DefaultRegion: "eu-central-1"}, false)
		c := e.client(withRegion("eu-central-1"))
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("plain")}); err != nil {
			t.Fatal(err)
		}
		head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("plain")})
		if err != nil || aws.ToString(head.BucketRegion) != "eu-central-1" {
			t.Fatalf("region %q, %v", aws.ToString(head.BucketRegion), err)
		}
	})
}

func TestSignatures(t *testing.T) {
	const key2, secret2 = "AKIDLOCAL2", "secret-two"
	e := start(t, Options{Credentials: map[string]string{testKey: testSecret}}, false)
	e.srv.AddCredentials(key2, secret2)
	c1, c2 := e.client(), e.client(withKey(key2, secret2))
	mustBucket(t, c1, "shared", "")
	if _, err := c2.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")}); err != nil {
		t.Fatalf("a key added later: %v", err)
	}

	t.Run("unknown key and wrong secret", func(t *testing.T) {
		_, err := e.client(withKey("AKIDNOBODY", "x")).ListBuckets(ctx, &s3.ListBucketsInput{})
		expectCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
		_, err = e.client(withKey(testKey, "wrong")).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")})
		expectCode(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	})

	t.Run("awkward keys and query values verify", func(t *testing.T) {
		for _, key := range []string{"a b/c+d=e&f", "ünïcödé/ключ", "x/%2F~*!'()", "dots/../and/./more"} {
			mustPut(t, c1, "shared", key, []byte(key), "")
			if got, err := getBytes(c1, "shared", key); err != nil || string(got) != key {
				t.Fatalf("%q: %q %v", key, got, err)
			}
			out, err := c1.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared"), Prefix: aws.String(key), StartAfter: aws.String(" &=+")})
			if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != key {
				t.Fatalf("list %q: %v", key, err)
			}
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		status, body := rawGet(t, e.http.URL+"/shared")
		if status != http.StatusForbidden || !contains(body, "<Code>AccessDenied</Code>") {
			t.Fatalf("anonymous list: %d %s", status, body)
		}
	})

	t.Run("tampering on the way", func(t *testing.T) { testTampering(t, e) })
	t.Run("presigned URLs", func(t *testing.T) { testPresigned(t, e, c1) })
	t.Run("signed streaming payload", func(t *testing.T) {
		data := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160,000 bytes: 3 chunks
		status, body := putSignedStreaming(t, e.http.URL+"/shared/streamed", data, false)
		if status != http.StatusOK {
			t.Fatalf("signed streaming PUT: %d %s", status, body)
		}
		if got, err := getBytes(c1, "shared", "streamed"); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("streamed object: %d bytes, %v", len(got), err)
		}
		status, body = putSignedStreaming(t, e.http.URL+"/shared/streamed", data, true)
		if status != http.StatusForbidden || !contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("tampered chunk: %d %s", status, body)
		}
	})
}

// testTampering: unsigned headers may change on the way, signed ones, the
// query and the payload may not.
func testTampering(t *testing.T, e *env) {
	// Unsigned headers may change (proxies add them) ...
	relaxed := e.client(withTransport(func(r *http.Request) {
		r.Header.Set("User-Agent", "some-proxy/1.0")
		r.Header.Set("X-Forwarded-For", "10.0.0.1")
	}))
	if _, err := relaxed.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	// ... signed ones, the query and the payload may not.
	for name, tamper := range map[string]func(*http.Request){
		"query":         func(r *http.Request) { r.URL.RawQuery += "&prefix=x" },
		"signed header": func(r *http.Request) { r.Header.Set("X-Amz-Meta-Team", "changed") },
	} {
		c := e.client(withTransport(tamper))
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("t"),
			Body: strings.NewReader("x"), Metadata: map[string]string{"team": "ingest"}})
		if apiCode(err) != "SignatureDoesNotMatch" {
			t.Fatalf("tampered %s: %v", name, err)
		}
	}
	body := e.client(withTransport(func(r *http.Request) {
		if r.Method == http.MethodPut {
			r.Body = io.NopCloser(strings.NewReader("Y"))
		}
	}))
	_, err := body.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("t"), Body: strings.NewReader("x")})
	expectCode(t, err, "XAmzContentSHA256Mismatch", http.StatusBadRequest)
}

// testPresigned: presigned URLs verify, tampered or expired ones do not.
func testPresigned(t *testing.T, e *env, c1 *s3.Client) {
	mustPut(t, c1, "shared", "dir/a file+.txt", []byte("presigned"), "")
	ps, err := s3.NewPresignClient(c1).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("dir/a file+.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := rawGet(t, ps.URL); status != http.StatusOK || body != "presigned" {
		t.Fatalf("presigned GET: %d %q", status, body)
	}
	bad := strings.Replace(ps.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if status, body := rawGet(t, bad); status != http.StatusForbidden || !contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("tampered presigned GET: %d %s", status, body)
	}

	// Signed two hours ago for one minute.
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/shared/dir/a%20file%2B.txt?X-Amz-Expires=60", nil)
	u, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := rawGet(t, u); status != http.StatusForbidden || !contains(body, "Request has expired") {
		t.Fatalf("expired presigned GET: %d %s", status, body)
	}
}

// putSignedStreaming sends data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, the
// signed aws-chunked encoding other SDKs use over plain HTTP.
func putSignedStreaming(t *testing.T, target string, data []byte, corrupt bool) (int, string) {
	t.Helper()
	const chunk = 64 << 10
	now := time.Now().UTC()
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	var chunks [][]byte
	for off := 0; off < len(data); off += chunk {
		chunks = append(chunks, data[off:min(off+chunk, len(data))])
	}
	chunks = append(chunks, nil)
	encodedLen := 0
	for _, c := range chunks {
		encodedLen += len(fmt.Sprintf("%x;chunk-signature=", len(c))) + 64 + 2 + len(c) + 2
	}

	req, _ := http.NewRequest(http.MethodPut, target, nil)
	req.ContentLength = int64(encodedLen)
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", "us-east-1", now); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "Signature=")+len("Signature="):])
	ss := v4.NewStreamSigner(creds, "s3", "us-east-1", seed)
	var body bytes.Buffer
	for _, c := range chunks {
		sig, err := ss.GetSignature(ctx, nil, c, now)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(c), hex.EncodeToString(sig))
		body.Write(c)
		body.WriteString("\r\n")
	}
	b := body.Bytes()
	if corrupt {
		b[200] ^= 1
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestChecksumHeaderVerified(t *testing.T) {
	e := start(t, Options{}, false)
	c := e.client()
	mustBucket(t, c, "sums", "")
	bad := e.client(withTransport(func(r *http.Request) {
		if r.Header.Get("X-Amz-Checksum-Crc32") != "" {
			r.Header.Set("X-Amz-Checksum-Crc32", "AAAAAA==")
		}
	}))
	_, err := bad.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("k"), Body: strings.NewReader("data")})
	expectCode(t, err, "BadDigest", http.StatusBadRequest)
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("k")}); apiCode(err) != "NotFound" {
		t.Fatalf("a failed PUT stored the object: %v", err)
	}
}
