package s3local

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"hash/crc32"
	"io"
	"math/rand"
	"strings"
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
		disk   bool
	}{
		// Over HTTP the SDK signs the payload's SHA-256 and sends the CRC32 in a header.
		{"http signed", false, true, false},
		// Over HTTPS it streams STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked
		// bodies with the CRC32 in a trailer.
		{"https signed", true, true, false},
		{"https no auth", true, false, false},
		{"https signed on disk", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.signed {
				opts.Credentials = map[string]string{testKey: testSecret}
			}
			if tc.disk {
				opts.DataPath = t.TempDir()
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
