package s3local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	testKey    = "AKIDLOCAL1"
	testSecret = "secret-one"
)

var ctx = context.Background()

type env struct {
	srv  *Server
	http *httptest.Server
}

// start runs a Server behind an httptest server (TLS if asked) and closes
// both when the test ends.
func start(t *testing.T, opts Options, useTLS bool) *env {
	t.Helper()
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var hs *httptest.Server
	if useTLS {
		hs = httptest.NewTLSServer(srv)
	} else {
		hs = httptest.NewServer(srv)
	}
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return &env{srv: srv, http: hs}
}

// eachMode runs f on a Server in memory and on one with a DataPath.
func eachMode(t *testing.T, f func(t *testing.T, opts Options)) {
	t.Run("memory", func(t *testing.T) { f(t, Options{}) })
	t.Run("disk", func(t *testing.T) { f(t, Options{DataPath: t.TempDir()}) })
}

type clientOpt func(*s3.Options)

func withKey(akid, secret string) clientOpt {
	return func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
	}
}

func withRegion(region string) clientOpt { return func(o *s3.Options) { o.Region = region } }

// withTransport lets a test tamper with requests on the wire.
func withTransport(f func(*http.Request)) clientOpt {
	return func(o *s3.Options) {
		base := o.HTTPClient.(*http.Client)
		o.HTTPClient = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			f(r)
			return base.Transport.RoundTrip(r)
		})}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// client is the platform's client setup: the real SDK, path style,
// BaseEndpoint at the local server, static credentials.
func (e *env) client(opts ...clientOpt) *s3.Client {
	o := s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		BaseEndpoint: aws.String(e.http.URL),
		UsePathStyle: true,
		HTTPClient:   e.http.Client(),
		Retryer:      aws.NopRetryer{},
		// What config.LoadDefaultConfig resolves to without settings.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	for _, f := range opts {
		f(&o)
	}
	return s3.New(o)
}

func mustBucket(t *testing.T, c *s3.Client, bucket, region string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

func mustPut(t *testing.T, c *s3.Client, bucket, key string, body []byte, class types.StorageClass) {
	t.Helper()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), StorageClass: class,
	}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
}

func getBytes(c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// apiCode is the S3 error code of err, as platform code would read it.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus and header read the HTTP response behind an SDK error.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// bucketRegionFromError is how a caller learns a bucket's region from the
// error of a request signed for the wrong one.
func bucketRegionFromError(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

func rawResponse(md middleware.Metadata) *http.Response {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.Response
	}
	return nil
}

func expectCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("want error code %s, got %q (%v)", code, got, err)
	}
	if got := httpStatus(err); got != status {
		t.Fatalf("want HTTP %d for %s, got %d", status, code, got)
	}
}

func rawGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func httptestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
