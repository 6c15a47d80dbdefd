package s3local

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// recorder keeps the notifications a server sends.
type recorder struct {
	mu  sync.Mutex
	got []Notification
}

func (r *recorder) notify(n Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
}

func (r *recorder) all() []Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notification(nil), r.got...)
}

// A bucket sends its "Object Created" events to EventBridge once its owner
// puts an EventBridgeConfiguration (with the real SDK client), one per
// PutObject, CopyObject and CompleteMultipartUpload, in the owner's
// account, with S3's detail (key, size, unquoted ETag, a growing
// sequencer, the reason); nothing before that, nothing for another
// bucket, nothing after it is turned off. Only the owner may configure it,
// and the setting survives a restart.
func TestObjectCreatedEvents(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		rec := &recorder{}
		opts.Notify = rec.notify
		e, _, c := startWorld(t, opts)
		on := &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(sourceBucket),
			NotificationConfiguration: &types.NotificationConfiguration{EventBridgeConfiguration: &types.EventBridgeConfiguration{}}}
		if _, err := c.narrow.PutBucketNotificationConfiguration(ctx, on); err == nil {
			t.Fatal("a user without s3:PutBucketNotification configured the bucket's events")
		}
		if n := len(rec.all()); n != 0 {
			t.Fatalf("events before the configuration: %d", n)
		}
		if _, err := c.source.PutBucketNotificationConfiguration(ctx, on); err != nil {
			t.Fatal(err)
		}
		got, err := c.source.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(sourceBucket)})
		if err != nil || got.EventBridgeConfiguration == nil {
			t.Fatalf("GetBucketNotificationConfiguration: %v, %+v", err, got)
		}
		body := []byte("a,b\n1,2\n")
		mustPut(t, c.source, sourceBucket, "in/red flower.csv", body, "")
		mustPut(t, c.admin, zoneBucket, "not-announced.csv", body, "") // a bucket without events
		if _, err := c.source.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String("in/copy.csv"),
			CopySource: aws.String(sourceBucket + "/src.csv")}); err != nil {
			t.Fatal(err)
		}
		mpuETag := multipartPut(t, c.source, sourceBucket, "in/big.csv")
		events := rec.all()
		if len(events) != 3 {
			t.Fatalf("got %d events, want 3: %+v", len(events), events)
		}
		sum := md5.Sum(body)
		want := []struct{ key, etag, reason string }{
			{"in/red+flower.csv", hex.EncodeToString(sum[:]), "PutObject"},
			{"in/copy.csv", hex.EncodeToString(sum[:]), "CopyObject"},
			{"in/big.csv", strings.Trim(mpuETag, `"`), "CompleteMultipartUpload"},
		}
		last := ""
		for i, w := range want {
			ev := events[i]
			obj := ev.Detail["object"].(map[string]any)
			if ev.Account != sourceAccount || ev.DetailType != "Object Created" || ev.Region != "us-east-1" ||
				ev.Resources[0] != "arn:aws:s3:::"+sourceBucket || ev.Detail["bucket"].(map[string]any)["name"] != sourceBucket {
				t.Errorf("event %d: %+v", i, ev)
			}
			if obj["key"] != w.key || obj["etag"] != w.etag || ev.Detail["reason"] != w.reason || ev.Detail["requester"] != sourceAccount {
				t.Errorf("event %d: key %v etag %v reason %v requester %v, want %+v", i, obj["key"], obj["etag"], ev.Detail["reason"], ev.Detail["requester"], w)
			}
			if seq := obj["sequencer"].(string); seq <= last {
				t.Errorf("event %d: sequencer %s after %s", i, seq, last)
			} else {
				last = seq
			}
		}
		if size := events[0].Detail["object"].(map[string]any)["size"]; size != int64(len(body)) {
			t.Errorf("size %v, want %d", size, len(body))
		}
		if opts.DataPath != "" {
			e.srv.Close()
			again, err := New(Options{DataPath: opts.DataPath, IAM: opts.IAM})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if !again.events.enabled(sourceBucket) || again.events.enabled(zoneBucket) {
				t.Error("the configuration did not survive a restart as it was")
			}
			return
		}
		if _, err := c.source.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(sourceBucket),
			NotificationConfiguration: &types.NotificationConfiguration{}}); err != nil {
			t.Fatal(err)
		}
		mustPut(t, c.source, sourceBucket, "in/after.csv", body, "")
		if n := len(rec.all()); n != 3 {
			t.Fatalf("events after turning them off: %d", n-3)
		}
	})
}

// multipartPut writes key in two parts and returns its ETag.
func multipartPut(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, p := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail\n")} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(done.ETag)
}
