package s3local

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// startAt runs a Server on dir until the test ends or restart stops it.
func startAt(t *testing.T, dir string) *env {
	t.Helper()
	srv, err := New(Options{DataPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, http: httptestServer(srv)}
	t.Cleanup(func() { e.http.Close(); _ = srv.Close() })
	return e
}

// restart stops e's Server and starts a new one on the same DataPath.
func (e *env) restart(t *testing.T) *env {
	t.Helper()
	e.http.Close()
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	return startAt(t, e.srv.opts.DataPath)
}

// hostileKeys are keys that must not name paths on disk.
var hostileKeys = []string{
	"../../../outside", "/leading/slash", "a/./b/../../c", "..", "trailing/",
	"日本語/キー 🙂", strings.Repeat("k/..", 256), // 1,024 bytes
}

func TestPersistenceAcrossRestart(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	data := randomBytes(5<<20, 9)
	tail := []byte("tail")

	e := startAt(t, dir)
	c := e.client(withRegion("eu-west-1"))
	mustBucket(t, c, "keep", "eu-west-1")
	mustPut(t, c, "keep", "cold", []byte("cold"), types.StorageClassGlacier)
	mustPut(t, c, "keep", "thawed", []byte("thawed"), types.StorageClassDeepArchive)
	mustPut(t, c, "keep", "ia", []byte("ia"), types.StorageClassStandardIa)
	if _, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String("keep"), Key: aws.String("thawed"),
		RestoreRequest: &types.RestoreRequest{Days: aws.Int32(3)}}); err != nil {
		t.Fatal(err)
	}
	etag := multipartUpload(t, c, "keep", "multi", "", data, tail)

	described := []byte(`{"rows": 3}`)
	sum := sha256.Sum256(described)
	wantSHA := base64.StdEncoding.EncodeToString(sum[:])
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keep"), Key: aws.String("described"),
		Body: bytes.NewReader(described), Metadata: map[string]string{"origin": "sensor-7", "batch": "42"},
		ContentType: aws.String("application/json"), CacheControl: aws.String("max-age=60"),
		ContentLanguage: aws.String("fr"), StorageClass: types.StorageClassOnezoneIa,
		Tagging: aws.String("team=ingest"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("keep"), Key: aws.String("described"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("state"), Value: aws.String("done")},
			{Key: aws.String("team"), Value: aws.String("ingest")}}}}); err != nil {
		t.Fatal(err)
	}
	before, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("keep"), Key: aws.String("described")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range hostileKeys {
		mustPut(t, c, "keep", k, []byte("body of "+k), "")
	}

	e = e.restart(t)
	c = e.client(withRegion("eu-west-1"))

	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("keep")})
	if err != nil || aws.ToString(head.BucketRegion) != "eu-west-1" {
		t.Fatalf("region after restart: %q %v", aws.ToString(head.BucketRegion), err)
	}
	_, err = e.client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("keep")})
	expectCode(t, err, "PermanentRedirect", http.StatusMovedPermanently)

	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("keep")})
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]types.ObjectStorageClass{}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, *o.Key)
		classes[*o.Key] = o.StorageClass
		if *o.Key == "multi" && aws.ToString(o.ETag) != etag {
			t.Errorf("multipart ETag after restart %s, want %s", aws.ToString(o.ETag), etag)
		}
	}
	want := map[string]types.ObjectStorageClass{"cold": "GLACIER", "thawed": "DEEP_ARCHIVE", "ia": "STANDARD_IA",
		"multi": "STANDARD", "described": "ONEZONE_IA"}
	for k, v := range want {
		if classes[k] != v {
			t.Errorf("%s: class %q after restart, want %q", k, classes[k], v)
		}
	}
	wantKeys := append([]string{"cold", "thawed", "ia", "multi", "described"}, hostileKeys...)
	sort.Strings(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("keys after restart %q, want %q", keys, wantKeys)
	}

	_, err = getBytes(c, "keep", "cold")
	expectCode(t, err, "InvalidObjectState", http.StatusForbidden)
	hd, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("keep"), Key: aws.String("thawed")})
	if err != nil {
		t.Fatal(err)
	}
	checkRestoreHeader(t, aws.ToString(hd.Restore), 3)
	if got, err := getBytes(c, "keep", "thawed"); err != nil || string(got) != "thawed" {
		t.Fatalf("restored object after restart: %q %v", got, err)
	}
	got, err := getBytes(c, "keep", "multi")
	if err != nil || md5Of(got) != md5Of(append(append([]byte{}, data...), tail...)) {
		t.Fatalf("multipart object after restart: %d bytes, %v", len(got), err)
	}
	hd, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("keep"), Key: aws.String("multi")})
	if err != nil || aws.ToString(hd.ETag) != etag {
		t.Fatalf("multipart HeadObject after restart: %v %v", aws.ToString(hd.ETag), err)
	}

	after, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("keep"), Key: aws.String("described"),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after.Metadata) != "map[batch:42 origin:sensor-7]" || aws.ToString(after.ContentType) != "application/json" ||
		aws.ToString(after.CacheControl) != "max-age=60" || aws.ToString(after.ContentLanguage) != "fr" ||
		after.StorageClass != types.StorageClassOnezoneIa || aws.ToInt32(after.TagCount) != 2 ||
		aws.ToString(after.ChecksumSHA256) != wantSHA {
		t.Errorf("described after restart: meta %v type %q cache %q lang %q class %q tags %d sha256 %q",
			after.Metadata, aws.ToString(after.ContentType), aws.ToString(after.CacheControl), aws.ToString(after.ContentLanguage),
			after.StorageClass, aws.ToInt32(after.TagCount), aws.ToString(after.ChecksumSHA256))
	}
	if !after.LastModified.Equal(*before.LastModified) || aws.ToString(after.ETag) != aws.ToString(before.ETag) {
		t.Errorf("described changed across restart: %v %s -> %v %s", before.LastModified, aws.ToString(before.ETag),
			after.LastModified, aws.ToString(after.ETag))
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("keep"), Key: aws.String("described")})
	if err != nil || len(tags.TagSet) != 2 || *tags.TagSet[0].Key != "state" || *tags.TagSet[1].Value != "ingest" {
		t.Fatalf("tags after restart: %+v %v", tags, err)
	}
	if got, err := getBytes(c, "keep", "described"); err != nil || !bytes.Equal(got, described) {
		t.Fatalf("described body after restart: %q %v", got, err)
	}
	for _, k := range hostileKeys {
		if got, err := getBytes(c, "keep", k); err != nil || string(got) != "body of "+k {
			t.Errorf("%q after restart: %q %v", k, got, err)
		}
	}
	if entries, err := os.ReadDir(parent); err != nil || len(entries) != 1 {
		t.Fatalf("files written next to the DataPath: %v %v", entries, err)
	}
}

func TestDeletesAndOverwritesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e := startAt(t, dir)
	c := e.client()
	mustBucket(t, c, "churn", "")
	mustBucket(t, c, "gone", "")
	for _, k := range []string{"a", "b", "e"} {
		mustPut(t, c, "churn", k, []byte("first "+k), "")
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("churn"), Key: aws.String("c"),
		Body: strings.NewReader("c1"), Metadata: map[string]string{"v": "1"}, StorageClass: types.StorageClassGlacier,
		Tagging: aws.String("x=1")}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.MarkRestored("churn", "c"); err != nil {
		t.Fatal(err)
	}
	multipartUpload(t, c, "churn", "d", types.StorageClassStandardIa, randomBytes(5<<20, 1), []byte("end"))
	mustPut(t, c, "gone", "x", []byte("x"), "")

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("churn"), Key: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("churn"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("b")}, {Key: aws.String("never-was")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("churn"), Key: aws.String("c"),
		Body: strings.NewReader("c2"), Metadata: map[string]string{"v": "2"}}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, c, "churn", "d", []byte("flat"), "")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("churn"), Key: aws.String("f"),
		CopySource: aws.String("churn/e")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("churn"), Key: aws.String("e")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("gone"), Key: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}

	check := func(c *s3.Client, want map[string]string) {
		t.Helper()
		list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("churn")})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list.Contents {
			keys = append(keys, *o.Key)
		}
		wantKeys := make([]string, 0, len(want))
		for k := range want {
			wantKeys = append(wantKeys, k)
		}
		sort.Strings(wantKeys)
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("keys %q, want %q", keys, wantKeys)
		}
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			got, err := getBytes(c, "churn", k)
			if body, ok := want[k]; !ok {
				expectCode(t, err, "NoSuchKey", http.StatusNotFound)
			} else if err != nil || string(got) != body {
				t.Fatalf("%s: %q %v, want %q", k, got, err, body)
			}
		}
		// One body file per object: the replaced and deleted ones are gone.
		bodies := 0
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, bodyExt) {
				bodies++
			}
			return err
		})
		if bodies != len(want) {
			t.Fatalf("%d body files for %d objects", bodies, len(want))
		}
	}
	check(c, map[string]string{"c": "c2", "d": "flat", "f": "first e"})

	e = e.restart(t)
	c = e.client()
	check(c, map[string]string{"c": "c2", "d": "flat", "f": "first e"})
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("churn"), Key: aws.String("c")})
	if err != nil || fmt.Sprint(head.Metadata) != "map[v:2]" || head.StorageClass != "" || head.TagCount != nil || head.Restore != nil {
		t.Fatalf("overwritten c after restart: %+v %v", head, err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("churn"), Key: aws.String("d")})
	if flat := md5.Sum([]byte("flat")); err != nil || aws.ToString(head.ETag) != `"`+hex.EncodeToString(flat[:])+`"` ||
		head.StorageClass != "" {
		t.Fatalf("d overwritten by a single PUT after restart: etag %s class %q %v", aws.ToString(head.ETag), head.StorageClass, err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("gone")})
	if httpStatus(err) != http.StatusNotFound {
		t.Fatalf("deleted bucket after restart: %v", err)
	}
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 1 || *buckets.Buckets[0].Name != "churn" {
		t.Fatalf("buckets after restart: %+v %v", buckets, err)
	}

	// And once more, with changes made after a restart.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("churn"), Key: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, c, "churn", "f", []byte("second f"), "")
	e = e.restart(t)
	check(e.client(), map[string]string{"d": "flat", "f": "second f"})
}

// GETs racing PUTs (of other keys, and of the same key) see whole objects.
func TestDiskConcurrentReadsAndWrites(t *testing.T) {
	e := start(t, Options{DataPath: t.TempDir()}, false)
	c := e.client()
	mustBucket(t, c, "busy", "")
	blob := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64<<10+i) }
	for i := 0; i < 8; i++ {
		mustPut(t, c, "busy", fmt.Sprintf("seed/%d", i), blob(i), "")
	}
	mustPut(t, c, "busy", "hot", blob(0), "")
	var wg sync.WaitGroup
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				switch g % 3 {
				case 0:
					key := fmt.Sprintf("grow/%d/%d", g, i)
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("busy"), Key: aws.String(key), Body: bytes.NewReader(blob(i))}); err != nil {
						t.Error(err)
						return
					}
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("busy"), Key: aws.String("hot"), Body: bytes.NewReader(blob(g + i))}); err != nil {
						t.Error(err)
						return
					}
				case 1:
					k := (g + i) % 8
					got, err := getBytes(c, "busy", fmt.Sprintf("seed/%d", k))
					if err != nil || !bytes.Equal(got, blob(k)) {
						t.Errorf("seed/%d: %d bytes, %v", k, len(got), err)
						return
					}
				default:
					out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("busy"), Key: aws.String("hot")})
					if err != nil {
						t.Error(err)
						return
					}
					var buf bytes.Buffer
					_, err = buf.ReadFrom(out.Body)
					out.Body.Close()
					sum := md5.Sum(buf.Bytes())
					if n := buf.Len(); err != nil || n < 64<<10 || !bytes.Equal(buf.Bytes(), blob(n-64<<10)) ||
						aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
						t.Errorf("hot: %d bytes (etag %s), %v", n, aws.ToString(out.ETag), err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()

	var ids []types.ObjectIdentifier
	for i := 0; i < 8; i++ {
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("seed/%d", i))})
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("busy"), Delete: &types.Delete{Objects: ids}})
	if err != nil || len(out.Deleted) != 8 {
		t.Fatalf("DeleteObjects: %+v %v", out, err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("busy"), Prefix: aws.String("seed/")})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("after DeleteObjects: %d left, %v", len(list.Contents), err)
	}
}

func TestDataPathHasOneServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	startAt(t, dir)
	if srv, err := New(Options{DataPath: dir}); err == nil {
		_ = srv.Close()
		t.Fatal("a second Server opened a DataPath in use")
	}
}
