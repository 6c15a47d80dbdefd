package faults

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// service stands in for an emulator: it answers one operation of each
// protocol and counts the requests it handled.
type service struct{ handled atomic.Int64 }

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handled.Add(1)
	switch {
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB"):
		_, _ = w.Write([]byte(`{"Item":{"PK":{"S":"a"}}}`))
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS"):
		_, _ = w.Write([]byte(`{"QueueUrl":"http://local/000000000000/q"}`))
	default: // S3 GetBucketLocation
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>`))
	}
}

// call makes one SDK call of the protocol through url with maxAttempts.
func call(p Protocol, url string, maxAttempts int) error {
	cfg := aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(url),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts; o.MaxBackoff = 0 })
		},
	}
	ctx := context.Background()
	switch p {
	case S3:
		_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("b")})
		return err
	case DynamoDB:
		_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("t"), Key: map[string]dtypes.AttributeValue{"PK": &dtypes.AttributeValueMemberS{Value: "a"}},
		})
		return err
	default:
		_, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
		return err
	}
}

// The SDK must see every injected fault as the service's own retryable
// error: one attempt fails with the expected code, three succeed after the
// first two fail, and only ResetAfter lets the service act on a failed try.
func TestInjectedFaultsAreTheServicesRetryableErrors(t *testing.T) {
	testCases := []struct {
		protocol Protocol
		fault    Fault
		op, code string // the operation Decide sees; the error code the SDK reports ("" = a connection error)
	}{
		{S3, ServerError, "GetBucketLocation", "InternalError"},
		{S3, Throttle, "GetBucketLocation", "SlowDown"},
		{S3, ResetBefore, "GetBucketLocation", ""},
		{S3, ResetAfter, "GetBucketLocation", ""},
		{DynamoDB, ServerError, "GetItem", "InternalServerError"},
		{DynamoDB, Throttle, "GetItem", "ThrottlingException"},
		{DynamoDB, ResetBefore, "GetItem", ""},
		{DynamoDB, ResetAfter, "GetItem", ""},
		{SQS, ServerError, "GetQueueUrl", "InternalError"},
		{SQS, Throttle, "GetQueueUrl", "RequestThrottled"},
		{SQS, ResetBefore, "GetQueueUrl", ""},
		{SQS, ResetAfter, "GetQueueUrl", ""},
	}
	for _, tc := range testCases {
		t.Run(tc.op+"/"+tc.fault.String(), func(t *testing.T) {
			svc := &service{}
			in := New(tc.protocol, svc, nil)
			srv := httptest.NewServer(in)
			defer srv.Close()

			var seen atomic.Value
			in.SetConfig(Config{Decide: func(op string) Fault { seen.Store(op); return tc.fault }})
			err := call(tc.protocol, srv.URL, 1)
			if seen.Load() != tc.op {
				t.Errorf("operation seen as %v, want %s", seen.Load(), tc.op)
			}
			var ae smithy.APIError
			switch {
			case err == nil:
				t.Fatal("one attempt succeeded through the fault")
			case tc.code != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tc.code):
				t.Errorf("error %v, want code %s", err, tc.code)
			case tc.code == "" && !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool():
				t.Errorf("the SDK does not retry %v", err)
			}

			var n atomic.Int64
			in.SetConfig(Config{Decide: func(string) Fault {
				if n.Add(1) <= 2 {
					return tc.fault
				}
				return None
			}})
			before := svc.handled.Load()
			if err := call(tc.protocol, srv.URL, 3); err != nil {
				t.Fatalf("three attempts: %v", err)
			}
			handled, want := svc.handled.Load()-before, int64(1)
			if tc.fault == ResetAfter {
				want = 3 // the two lost answers were handled too
			}
			if handled != want {
				t.Errorf("service handled %d requests, want %d", handled, want)
			}
			if c := in.Counts(); c.Injected[tc.fault] != 3 || c.Total() != 3 || c.ByOp[tc.op] != 3 {
				t.Errorf("counts %+v, want 3 %s", c, tc.fault)
			}
		})
	}
}

func TestRatesAndTargeting(t *testing.T) {
	svc := &service{}
	in := New(DynamoDB, svc, func(r *http.Request) bool { return r.Header.Get("X-Target-Me") != "" })
	in.SetConfig(Config{ErrorRate: 0.5, ResetRate: 0.2})
	for i := 0; i < 2000; i++ {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		if i%2 == 0 {
			r.Header.Set("X-Target-Me", "1")
		}
		w := httptest.NewRecorder() // no Hijacker: a reset aborts the handler
		func() {
			defer func() { _ = recover() }()
			in.ServeHTTP(w, r)
		}()
	}
	c := in.Counts()
	if c.Requests != 1000 {
		t.Fatalf("targeted %d requests, want 1000", c.Requests)
	}
	errs := c.Injected[ServerError] + c.Injected[Throttle]
	resets := c.Injected[ResetBefore] + c.Injected[ResetAfter]
	if errs < 400 || errs > 600 || resets < 130 || resets > 270 {
		t.Errorf("%d errors and %d resets of 1000, want about 500 and 200", errs, resets)
	}
}

func TestS3Operations(t *testing.T) {
	testCases := []struct {
		method, target string
		copy           bool
		want           string
	}{
		{"GET", "/b?list-type=2&prefix=x", false, "ListObjectsV2"},
		{"GET", "/b?location", false, "GetBucketLocation"},
		{"GET", "/b/k/x.csv", false, "GetObject"},
		{"HEAD", "/b/k", false, "HeadObject"},
		{"HEAD", "/b", false, "HeadBucket"},
		{"PUT", "/b/k?partNumber=2&uploadId=u", true, "UploadPartCopy"},
		{"PUT", "/b/k?partNumber=2&uploadId=u", false, "UploadPart"},
		{"PUT", "/b/k", true, "CopyObject"},
		{"PUT", "/b/k", false, "PutObject"},
		{"POST", "/b/k?uploads", false, "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=u", false, "CompleteMultipartUpload"},
		{"DELETE", "/b/k?uploadId=u", false, "AbortMultipartUpload"},
		{"DELETE", "/b/k", false, "DeleteObject"},
		{"POST", "/b/k?restore", false, "RestoreObject"},
	}
	for _, tc := range testCases {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.copy {
			r.Header.Set("X-Amz-Copy-Source", "/src/k")
		}
		if got := Operation(S3, r); got != tc.want {
			t.Errorf("%s %s (copy %v) = %s, want %s", tc.method, tc.target, tc.copy, got, tc.want)
		}
	}
}
