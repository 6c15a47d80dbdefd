package s3local

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// multipartUpload uploads parts through the SDK and returns the ETag that
// CompleteMultipartUpload reported.
func multipartUpload(t *testing.T, c *s3.Client, bucket, key string, class types.StorageClass, parts ...[]byte) string {
	t.Helper()
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), StorageClass: class})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ETag)
}

func md5Of(b []byte) [16]byte { return md5.Sum(b) }

func TestPayloadsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		signed bool
	}{
		// Over HTTP the SDK signs the payload's SHA-256 and sends the CRC32 in a header.
		{"http signed", false, true},
		// Over HTTPS it streams STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked
		// bodies with the CRC32 in a trailer.
		{"https signed", true, true},
		{"https no auth", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.signed {
				opts.Credentials = map[string]string{testKey: testSecret}
			}
			e := start(t, opts, tc.tls)
			c := e.client()
			mustBucket(t, c, "big", "")

			whole := randomBytes(6<<20+123, 1)
			sum := crc32.ChecksumIEEE(whole)
			want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("single"), Body: bytes.NewReader(whole)})
			if err != nil || aws.ToString(put.ChecksumCRC32) != want {
				t.Fatalf("PutObject: crc32 %q (want %q), %v", aws.ToString(put.ChecksumCRC32), want, err)
			}
			got, err := getBytes(c, "big", "single")
			if err != nil || md5Of(got) != md5Of(whole) {
				t.Fatalf("single PUT: %d bytes back, %v", len(got), err)
			}

			// The stored checksum comes back when asked for, and is right.
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("single"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(head.ChecksumCRC32) != want || aws.ToInt64(head.ContentLength) != int64(len(whole)) {
				t.Fatalf("HeadObject: crc32 %q (want %q), length %d", aws.ToString(head.ChecksumCRC32), want, aws.ToInt64(head.ContentLength))
			}
			// A range must not carry the whole object's checksum (the SDK would reject the body).
			rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("single"), Range: aws.String("bytes=100-199")})
			if err != nil {
				t.Fatal(err)
			}
			part, err := io.ReadAll(rng.Body)
			rng.Body.Close()
			if err != nil || !bytes.Equal(part, whole[100:200]) {
				t.Fatalf("range GET: %d bytes, %v", len(part), err)
			}

			// Multipart through the SDK, then UploadPartCopy of it.
			p1, p2, p3 := randomBytes(5<<20, 2), randomBytes(5<<20, 3), randomBytes(1<<20+7, 4)
			all := bytes.Join([][]byte{p1, p2, p3}, nil)
			etag := multipartUpload(t, c, "big", "multi", types.StorageClassStandardIa, p1, p2, p3)
			if !strings.HasSuffix(etag, `-3"`) {
				t.Fatalf("multipart ETag %s", etag)
			}
			got, err = getBytes(c, "big", "multi")
			if err != nil || md5Of(got) != md5Of(all) {
				t.Fatalf("multipart object: %d bytes, %v", len(got), err)
			}
			head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("multi")})
			if err != nil || aws.ToString(head.ETag) != etag || head.StorageClass != types.StorageClassStandardIa {
				t.Fatalf("HeadObject of multipart: etag %s (want %s) class %q, %v", aws.ToString(head.ETag), etag, head.StorageClass, err)
			}
			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("big"), Prefix: aws.String("multi")})
			if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].ETag) != etag ||
				aws.ToInt64(list.Contents[0].Size) != int64(len(all)) {
				t.Fatalf("listing of multipart: %+v, %v", list.Contents, err)
			}

			mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("copied")})
			if err != nil {
				t.Fatal(err)
			}
			var done []types.CompletedPart
			for i, r := range []string{"bytes=0-5242879", "bytes=5242880-11534342"} {
				out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("big"), Key: aws.String("copied"),
					UploadId: mpu.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("big/multi"), CopySourceRange: aws.String(r)})
				if err != nil {
					t.Fatalf("UploadPartCopy: %v", err)
				}
				done = append(done, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(int32(i + 1))})
			}
			if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("copied"),
				UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
				t.Fatal(err)
			}
			if got, err := getBytes(c, "big", "copied"); err != nil || md5Of(got) != md5Of(all) {
				t.Fatalf("UploadPartCopy result: %d bytes, %v", len(got), err)
			}

			// A plain CopyObject gets the content's MD5 as its ETag, as in S3.
			cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("big"), Key: aws.String("flat"), CopySource: aws.String("big/multi")})
			if err != nil || strings.Contains(aws.ToString(cp.CopyObjectResult.ETag), "-") {
				t.Fatalf("CopyObject of a multipart object: %v %v", cp, err)
			}
		})
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(5<<20, 9)
	tail := []byte("tail")

	srv, err := New(Options{DataPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, http: httptestServer(srv)}
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
	e.http.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	srv, err = New(Options{DataPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	e = &env{srv: srv, http: httptestServer(srv)}
	t.Cleanup(func() { e.http.Close(); _ = srv.Close() })
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
	for _, o := range list.Contents {
		classes[*o.Key] = o.StorageClass
		if *o.Key == "multi" && aws.ToString(o.ETag) != etag {
			t.Errorf("multipart ETag after restart %s, want %s", aws.ToString(o.ETag), etag)
		}
	}
	want := map[string]types.ObjectStorageClass{"cold": "GLACIER", "thawed": "DEEP_ARCHIVE", "ia": "STANDARD_IA", "multi": "STANDARD"}
	for k, v := range want {
		if classes[k] != v {
			t.Errorf("%s: class %q after restart, want %q", k, classes[k], v)
		}
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
}

// s3bolt hands out object bytes that alias bbolt's memory map; reads racing
// writes that grow the file must still see their own bytes.
func TestBoltConcurrentReadsAndWrites(t *testing.T) {
	e := start(t, Options{DataPath: t.TempDir()}, false)
	c := e.client()
	mustBucket(t, c, "busy", "")
	blob := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64<<10+i) }
	for i := 0; i < 8; i++ {
		mustPut(t, c, "busy", fmt.Sprintf("seed/%d", i), blob(i), "")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				if g%2 == 0 {
					key := fmt.Sprintf("grow/%d/%d", g, i)
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("busy"), Key: aws.String(key), Body: bytes.NewReader(blob(i))}); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				k := (g + i) % 8
				got, err := getBytes(c, "busy", fmt.Sprintf("seed/%d", k))
				if err != nil || !bytes.Equal(got, blob(k)) {
					t.Errorf("seed/%d: %d bytes, %v", k, len(got), err)
					return
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
