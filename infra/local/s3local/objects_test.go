package s3local

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// classFor gives object i a storage class; "" is a PUT without one.
func classFor(i int) types.StorageClass {
	classes := []types.StorageClass{"", types.StorageClassStandardIa, types.StorageClassGlacier,
		types.StorageClassDeepArchive, types.StorageClassIntelligentTiering, types.StorageClassGlacierIr,
		types.StorageClassStandard}
	return classes[i%len(classes)]
}

func TestListingReportsStorageClassesAcrossPages(t *testing.T) {
	const n = 2500
	for _, tc := range []struct {
		name     string
		dataPath bool
	}{{"memory", false}, {"disk", true}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.dataPath {
				opts.DataPath = t.TempDir()
			}
			e := start(t, opts, false)
			c := e.client()
			mustBucket(t, c, "classes", "")

			var wg sync.WaitGroup
			errs := make(chan error, n)
			sem := make(chan struct{}, 16)
			for i := 0; i < n; i++ {
				wg.Add(1)
				sem <- struct{}{}
				go func(i int) {
					defer func() { <-sem; wg.Done() }()
					_, err := c.PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String("classes"), Key: aws.String(fmt.Sprintf("k/%05d", i)),
						Body: strings.NewReader("x"), StorageClass: classFor(i),
					})
					if err != nil {
						errs <- err
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}

			want := func(i int) types.ObjectStorageClass {
				if c := classFor(i); c != "" {
					return types.ObjectStorageClass(c)
				}
				return types.ObjectStorageClassStandard
			}

			// ListObjectsV2, 1,000 keys a page.
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("classes"), MaxKeys: aws.Int32(1000)})
			seen, pages := 0, 0
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, o := range out.Contents {
					if got := o.StorageClass; got != want(seen) {
						t.Fatalf("V2 %s: storage class %q, want %q", *o.Key, got, want(seen))
					}
					if o.LastModified == nil || time.Since(*o.LastModified) > time.Minute {
						t.Fatalf("V2 %s: LastModified %v", *o.Key, o.LastModified)
					}
					seen++
				}
			}
			if seen != n || pages != 3 {
				t.Fatalf("V2 listed %d keys in %d pages, want %d in 3", seen, pages, n)
			}

			// ListObjects (V1) with markers.
			seen = 0
			marker := ""
			for {
				out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("classes"), Marker: aws.String(marker), MaxKeys: aws.Int32(1000)})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range out.Contents {
					if got := types.ObjectStorageClass(o.StorageClass); got != want(seen) {
						t.Fatalf("V1 %s: storage class %q, want %q", *o.Key, got, want(seen))
					}
					seen++
					marker = *o.Key
				}
				if !aws.ToBool(out.IsTruncated) {
					break
				}
			}
			if seen != n {
				t.Fatalf("V1 listed %d keys, want %d", seen, n)
			}
		})
	}
}

func TestObjectHeadersLikeS3(t *testing.T) { eachMode(t, testObjectHeadersLikeS3) }

func testObjectHeadersLikeS3(t *testing.T, opts Options) {
	e := start(t, opts, false)
	c := e.client()
	mustBucket(t, c, "hdrs", "")
	for _, tc := range []struct {
		class     types.StorageClass
		wantClass types.StorageClass // S3 omits STANDARD
	}{
		{"", ""},
		{types.StorageClassStandard, ""},
		{types.StorageClassStandardIa, types.StorageClassStandardIa},
		{types.StorageClassGlacier, types.StorageClassGlacier},
	} {
		t.Run(string(tc.class), func(t *testing.T) {
			key := "obj-" + string(tc.class)
			mustPut(t, c, "hdrs", key, []byte("hello"), tc.class)
			out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("hdrs"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if out.StorageClass != tc.wantClass {
				t.Fatalf("StorageClass %q, want %q", out.StorageClass, tc.wantClass)
			}
			raw := rawResponse(out.ResultMetadata)
			for _, h := range []string{"X-Amz-Content-Sha256", "X-Amz-Date", "X-Amz-Sdk-Checksum-Algorithm", "X-Amz-S3local-Keys"} {
				if v := raw.Header.Get(h); v != "" {
					t.Errorf("HeadObject echoes request header %s: %q", h, v)
				}
			}
			if raw.Header.Get("X-Amz-Bucket-Region") != "us-east-1" {
				t.Errorf("missing x-amz-bucket-region: %v", raw.Header)
			}
		})
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("bad"),
		Body: strings.NewReader("x"), StorageClass: "FROZEN"}); apiCode(err) != "InvalidStorageClass" {
		t.Fatalf("unknown storage class: %v", err)
	}
}

func TestArchivedObjectsNeedRestore(t *testing.T) { eachMode(t, testArchivedObjectsNeedRestore) }

func testArchivedObjectsNeedRestore(t *testing.T, opts Options) {
	e := start(t, opts, false)
	c := e.client()
	mustBucket(t, c, "arch", "")
	body := []byte("archived bytes")

	for _, class := range []types.StorageClass{types.StorageClassGlacier, types.StorageClassDeepArchive} {
		t.Run(string(class), func(t *testing.T) {
			key := "data/" + string(class)
			mustPut(t, c, "arch", key, body, class)

			_, err := getBytes(c, "arch", key)
			expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
			var ios *types.InvalidObjectState
			if !errors.As(err, &ios) || ios.StorageClass != types.StorageClass(class) {
				t.Fatalf("want *types.InvalidObjectState for %s, got %#v", class, err)
			}
			_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("arch"), Key: aws.String(key), Range: aws.String("bytes=0-3")})
			expectCode(t, err, "InvalidObjectState", http.StatusForbidden)

			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("arch"), Key: aws.String(key)})
			if err != nil || head.StorageClass != class || head.Restore != nil {
				t.Fatalf("HeadObject before restore: class %q restore %v err %v", head.StorageClass, head.Restore, err)
			}

			restore := func() int {
				out, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String("arch"), Key: aws.String(key),
					RestoreRequest: &types.RestoreRequest{Days: aws.Int32(2),
						GlacierJobParameters: &types.GlacierJobParameters{Tier: types.TierStandard}}})
				if err != nil {
					t.Fatalf("RestoreObject: %v", err)
				}
				return rawResponse(out.ResultMetadata).StatusCode
			}
			if got := restore(); got != http.StatusAccepted {
				t.Fatalf("first restore answered %d, want 202", got)
			}
			if got := restore(); got != http.StatusOK {
				t.Fatalf("second restore answered %d, want 200", got)
			}

			head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("arch"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			checkRestoreHeader(t, aws.ToString(head.Restore), 2)
			got, err := getBytes(c, "arch", key)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("GetObject after restore: %q, %v", got, err)
			}
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("arch"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			out.Body.Close()
			checkRestoreHeader(t, aws.ToString(out.Restore), 2)

			// A restored copy expires.
			e.srv.now = func() time.Time { return time.Now().Add(4 * 24 * time.Hour) }
			_, err = getBytes(c, "arch", key)
			expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
			e.srv.now = time.Now

			// Overwriting the object drops its restore.
			mustPut(t, c, "arch", key, body, class)
			_, err = getBytes(c, "arch", key)
			expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
			head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("arch"), Key: aws.String(key)})
			if err != nil || head.Restore != nil {
				t.Fatalf("restore survived an overwrite: %v %v", head.Restore, err)
			}

			if err := e.srv.MarkRestored("arch", key); err != nil {
				t.Fatal(err)
			}
			if got, err := getBytes(c, "arch", key); err != nil || !bytes.Equal(got, body) {
				t.Fatalf("GetObject after MarkRestored: %q, %v", got, err)
			}
		})
	}

	t.Run("not archived", func(t *testing.T) {
		for _, class := range []types.StorageClass{"", types.StorageClassStandardIa, types.StorageClassGlacierIr} {
			key := "plain/" + string(class)
			mustPut(t, c, "arch", key, body, class)
			if got, err := getBytes(c, "arch", key); err != nil || !bytes.Equal(got, body) {
				t.Fatalf("%q: GetObject %v", class, err)
			}
			_, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String("arch"), Key: aws.String(key),
				RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
			expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
		}
		_, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String("arch"), Key: aws.String("missing"),
			RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
		expectCode(t, err, "NoSuchKey", http.StatusNotFound)
	})

	t.Run("copy of an archived object", func(t *testing.T) {
		mustPut(t, c, "arch", "cold", body, types.StorageClassGlacier)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("arch"), Key: aws.String("warm"),
			CopySource: aws.String("arch/cold")})
		expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
		if err := e.srv.MarkRestored("arch", "cold"); err != nil {
			t.Fatal(err)
		}
		// The usual way out of Glacier: copy the restored object onto itself.
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("arch"), Key: aws.String("cold"),
			CopySource: aws.String("arch/cold"), StorageClass: types.StorageClassStandard}); err != nil {
			t.Fatal(err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("arch"), Key: aws.String("cold")})
		if err != nil || head.StorageClass != "" || head.Restore != nil {
			t.Fatalf("after copy to STANDARD: class %q restore %v err %v", head.StorageClass, head.Restore, err)
		}
	})
}

func checkRestoreHeader(t *testing.T, v string, days int) {
	t.Helper()
	const prefix = `ongoing-request="false", expiry-date="`
	if !strings.HasPrefix(v, prefix) || !strings.HasSuffix(v, `"`) {
		t.Fatalf("x-amz-restore %q", v)
	}
	exp, err := time.Parse(time.RFC1123, strings.TrimSuffix(strings.TrimPrefix(v, prefix), `"`))
	if err != nil {
		t.Fatalf("x-amz-restore date: %v", err)
	}
	min := time.Now().Add(time.Duration(days) * 24 * time.Hour)
	if exp.Before(min) || exp.After(min.Add(24*time.Hour)) || exp.UTC().Hour() != 0 {
		t.Fatalf("expiry %v: want the midnight after now+%d days", exp, days)
	}
}

func TestMetadataReplacedNotMerged(t *testing.T) { eachMode(t, testMetadataReplacedNotMerged) }

func testMetadataReplacedNotMerged(t *testing.T, opts Options) {
	e := start(t, opts, false)
	c := e.client()
	mustBucket(t, c, "meta", "")
	put := func(key string, meta map[string]string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String(key),
			Body: strings.NewReader("payload"), Metadata: meta, ContentType: aws.String("text/plain"),
			CacheControl: aws.String("max-age=60"), StorageClass: types.StorageClassStandardIa,
			Tagging: aws.String("team=ingest&tier=raw")}); err != nil {
			t.Fatal(err)
		}
	}
	put("src", map[string]string{"a": "1", "b": "2"})

	for _, tc := range []struct {
		name      string
		in        s3.CopyObjectInput
		wantMeta  map[string]string
		wantType  string
		wantCache string
		wantClass types.StorageClass
		wantTags  int32
	}{
		{
			name:     "REPLACE takes only the new metadata",
			in:       s3.CopyObjectInput{MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"c": "3"}, ContentType: aws.String("application/json")},
			wantMeta: map[string]string{"c": "3"}, wantType: "application/json", wantTags: 2,
		},
		{
			name:     "REPLACE with nothing clears the metadata",
			in:       s3.CopyObjectInput{MetadataDirective: types.MetadataDirectiveReplace},
			wantMeta: map[string]string{}, wantType: "binary/octet-stream", wantTags: 2,
		},
		{
			name:     "COPY keeps the source metadata, not its storage class",
			in:       s3.CopyObjectInput{},
			wantMeta: map[string]string{"a": "1", "b": "2"}, wantType: "text/plain", wantCache: "max-age=60", wantTags: 2,
		},
		{
			name:     "COPY with a storage class",
			in:       s3.CopyObjectInput{StorageClass: types.StorageClassGlacierIr, TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("x=y")},
			wantMeta: map[string]string{"a": "1", "b": "2"}, wantType: "text/plain", wantCache: "max-age=60",
			wantClass: types.StorageClassGlacierIr, wantTags: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key, in.CopySource = aws.String("meta"), aws.String("dst"), aws.String("meta/src")
			if _, err := c.CopyObject(ctx, &in); err != nil {
				t.Fatal(err)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("dst")})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(head.Metadata) != fmt.Sprint(tc.wantMeta) {
				t.Errorf("metadata %v, want %v", head.Metadata, tc.wantMeta)
			}
			if aws.ToString(head.ContentType) != tc.wantType || aws.ToString(head.CacheControl) != tc.wantCache {
				t.Errorf("content-type %q cache-control %q, want %q %q", aws.ToString(head.ContentType),
					aws.ToString(head.CacheControl), tc.wantType, tc.wantCache)
			}
			if head.StorageClass != tc.wantClass {
				t.Errorf("storage class %q, want %q", head.StorageClass, tc.wantClass)
			}
			if aws.ToInt32(head.TagCount) != tc.wantTags {
				t.Errorf("tag count %d, want %d", aws.ToInt32(head.TagCount), tc.wantTags)
			}
			if got, err := getBytes(c, "meta", "dst"); err != nil || string(got) != "payload" {
				t.Errorf("copied body %q, %v", got, err)
			}
		})
	}

	t.Run("PUT replaces the previous object's metadata", func(t *testing.T) {
		put("over", map[string]string{"old": "1"})
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("over"),
			Body: strings.NewReader("v2"), Metadata: map[string]string{"new": "2"}}); err != nil {
			t.Fatal(err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("over")})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(head.Metadata) != "map[new:2]" || head.StorageClass != "" || head.CacheControl != nil || head.TagCount != nil {
			t.Fatalf("overwrite kept old state: meta %v class %q cache %v tags %v", head.Metadata, head.StorageClass,
				head.CacheControl, head.TagCount)
		}
	})

	t.Run("copy onto itself must change something", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("meta"), Key: aws.String("src"), CopySource: aws.String("meta/src")})
		expectCode(t, err, "InvalidRequest", http.StatusBadRequest)
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("meta"), Key: aws.String("src"), CopySource: aws.String("meta/src"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"z": "9"}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("copy-source conditions", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("meta"), Key: aws.String("dst2"),
			CopySource: aws.String("meta/src"), CopySourceIfMatch: aws.String(`"nope"`)})
		expectCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("meta"), Key: aws.String("dst2"), CopySource: aws.String("meta/missing")})
		expectCode(t, err, "NoSuchKey", http.StatusNotFound)
	})
}

func TestObjectTagging(t *testing.T) { eachMode(t, testObjectTagging) }

func testObjectTagging(t *testing.T, opts Options) {
	e := start(t, opts, true)
	c := e.client()
	mustBucket(t, c, "tags", "")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Body: strings.NewReader("x"), Tagging: aws.String("a=1&b=two%20words")}); err != nil {
		t.Fatal(err)
	}
	before, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	tags := func() string {
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range out.TagSet {
			s = append(s, *tg.Key+"="+*tg.Value)
		}
		return strings.Join(s, ",")
	}
	if got := tags(); got != "a=1,b=two words" {
		t.Fatalf("tags after PUT: %q", got)
	}
	time.Sleep(1100 * time.Millisecond) // Last-Modified has second precision
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("state"), Value: aws.String("done")}}}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "state=done" {
		t.Fatalf("tags after PutObjectTagging: %q", got)
	}
	after, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	if err != nil || !after.LastModified.Equal(*before.LastModified) || aws.ToString(after.ETag) != aws.ToString(before.ETag) {
		t.Fatalf("tagging changed the object: %v -> %v, %v", before.LastModified, after.LastModified, err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "" {
		t.Fatalf("tags after DeleteObjectTagging: %q", got)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("nope")})
	expectCode(t, err, "NoSuchKey", http.StatusNotFound)
}

// With a RestoreDelay a restore takes time, as S3's do: in progress, the
// object says ongoing-request="true", cannot be read, and a second request
// is refused (409 RestoreAlreadyInProgress); once the delay has passed it
// reads, and a new request extends it (200). An unknown tier is refused.
func TestRestoreTakesItsDelay(t *testing.T) {
	e := start(t, Options{RestoreDelay: time.Hour}, false)
	c := e.client()
	mustBucket(t, c, "arch", "")
	mustPut(t, c, "arch", "cold.csv", []byte("a\n"), types.StorageClassGlacier)
	restore := func(tier types.Tier) (int, error) {
		out, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String("arch"), Key: aws.String("cold.csv"),
			RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1), GlacierJobParameters: &types.GlacierJobParameters{Tier: tier}}})
		if err != nil {
			return 0, err
		}
		return rawResponse(out.ResultMetadata).StatusCode, nil
	}
	if _, err := restore("Slow"); apiCode(err) != "MalformedXML" {
		t.Fatalf("an unknown tier: %v", err)
	}
	if got, err := restore(types.TierBulk); err != nil || got != http.StatusAccepted {
		t.Fatalf("first restore: %d %v", got, err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("arch"), Key: aws.String("cold.csv")})
	if err != nil || aws.ToString(head.Restore) != `ongoing-request="true"` {
		t.Fatalf("in progress: restore %q, %v", aws.ToString(head.Restore), err)
	}
	_, err = getBytes(c, "arch", "cold.csv")
	expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
	_, err = restore(types.TierBulk)
	expectCode(t, err, "RestoreAlreadyInProgress", http.StatusConflict)

	e.srv.now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) }
	defer func() { e.srv.now = time.Now }()
	if got, err := getBytes(c, "arch", "cold.csv"); err != nil || string(got) != "a\n" {
		t.Fatalf("after the delay: %q %v", got, err)
	}
	if got, err := restore(types.TierBulk); err != nil || got != http.StatusOK {
		t.Fatalf("a restore of a restored object: %d %v", got, err)
	}
}
