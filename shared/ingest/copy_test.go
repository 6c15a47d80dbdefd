package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

const mib = 1 << 20

// localS3 is the local S3 over HTTP with the SDK's client, as the worker
// uses it: the client's default request checksums are on (CRC32, as the
// SDK computes them since 2025), plain is a client without them, so that
// its uploads get S3's default CRC64NVME.
type localS3 struct {
	srv           *s3local.Server
	client, plain *s3.Client
}

func newLocalS3(t *testing.T, buckets ...string) *localS3 {
	t.Helper()
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	opts := s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	l := &localS3{srv: srv, client: s3.New(opts), plain: s3.New(opts, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})}
	for _, b := range buckets {
		if _, err := l.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// upload is how a test's source object was uploaded: with S3's default
// checksum, a PutObject checksum of alg, or a multipart upload of alg and
// type typ in parts of 5 MiB.
type upload struct {
	alg checksum.Algorithm
	typ checksum.Type
}

// put uploads body as src says and returns its ETag.
func (l *localS3) put(t *testing.T, bucket, key string, body []byte, src upload) string {
	t.Helper()
	ctx := context.Background()
	if src.typ == "" {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithm(src.alg)}
		out, err := l.plain.PutObject(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Trim(aws.ToString(out.ETag), `"`)
	}
	up, err := l.plain.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithm(src.alg), ChecksumType: types.ChecksumType(src.typ)})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i := 0; i*5*mib < len(body); i++ {
		chunk := body[i*5*mib : min((i+1)*5*mib, len(body))]
		out, err := l.plain.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk), ChecksumAlgorithm: types.ChecksumAlgorithm(src.alg)})
		if err != nil {
			t.Fatal(err)
		}
		p := types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))}
		completedPartFields(&p).set(src.alg, partOutFields(out).sum("").Value)
		parts = append(parts, p)
	}
	out, err := l.plain.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`)
}

// stored is an object's body and the checksum S3 reports for it.
func (l *localS3) stored(t *testing.T, bucket, key string) ([]byte, Sum, bool) {
	t.Helper()
	out, err := l.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if errorCode(err) == "NoSuchKey" {
		return nil, Sum{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, getFields(out).sum(out.ChecksumType), true
}

// uploadsInProgress counts a bucket's multipart uploads not completed nor aborted.
func (l *localS3) uploadsInProgress(t *testing.T, bucket string) int {
	t.Helper()
	out, err := l.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func randomBody(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// copyPaths are the four ways the Copier writes an object.
var copyPaths = []struct {
	name       string
	serverSide bool
	size       int
}{
	{"server-side CopyObject", true, 3*mib + 5},
	{"server-side UploadPartCopy (over CopyThreshold, as a >5 GiB object is)", true, 16*mib + 7},
	{"streamed PutObject", false, 3*mib + 5},
	{"streamed multipart upload", false, 16*mib + 7},
}

// A copier whose CopyThreshold and PartSize stand in for 5 GiB and 64 MiB:
// an object over 5 MiB takes the multipart paths, in parts of 5 MiB (S3's
// smallest), 4 of them for 16 MiB.
func testCopier(target TargetBuckets) *Copier {
	return &Copier{Target: target, KMSKeyID: "alias/zones", CopyThreshold: 5 * mib, PartSize: 5 * mib, Parallel: 3}
}

// Every copy path asks S3 for a full-object checksum in the source's own
// algorithm when it has a full-object one (a CRC for a multipart copy),
// else CRC64NVME; the copy's checksum, the one the Copier returns and the
// one S3 keeps all equal the checksum of the source's bytes.
func TestEveryCopyPathAgreesWithTheSource(t *testing.T) {
	l := newLocalS3(t, "src", "zone")
	sources := []struct {
		name string
		src  upload
		// want is the copy's algorithm on a single-request and a multipart path.
		single, multi checksum.Algorithm
	}{
		{"S3's default CRC64NVME", upload{}, checksum.CRC64NVME, checksum.CRC64NVME},
		{"CRC32 (the SDK's default)", upload{alg: checksum.CRC32}, checksum.CRC32, checksum.CRC32},
		{"CRC32C", upload{alg: checksum.CRC32C}, checksum.CRC32C, checksum.CRC32C},
		{"SHA256: no full-object multipart form", upload{alg: checksum.SHA256}, checksum.SHA256, checksum.CRC64NVME},
		{"multipart FULL_OBJECT CRC32C", upload{alg: checksum.CRC32C, typ: checksum.FullObject}, checksum.CRC32C, checksum.CRC32C},
		{"multipart COMPOSITE CRC32", upload{alg: checksum.CRC32, typ: checksum.Composite}, checksum.CRC64NVME, checksum.CRC64NVME},
	}
	ctx := context.Background()
	for i, p := range copyPaths {
		for j, s := range sources {
			t.Run(p.name+"/"+s.name, func(t *testing.T) {
				body := randomBody(p.size, int64(10*i+j))
				key, dst := "in/"+t.Name(), "out/"+t.Name()
				etag := l.put(t, "src", key, body, s.src)
				c := testCopier(l.client)
				var got Sum
				var err error
				if p.serverSide {
					got, err = c.ServerSide(ctx, "src", key, int64(len(body)), etag, Sum{}, "zone", dst)
				} else {
					got, err = c.Stream(ctx, l.client, "src", key, int64(len(body)), etag, "zone", dst)
				}
				if err != nil {
					t.Fatal(err)
				}
				alg := s.single
				if p.size > 5*mib {
					alg = s.multi
				}
				want := Sum{Algorithm: alg, Value: checksum.Of(alg, body), Type: checksum.FullObject}
				if got != want {
					t.Errorf("copy's checksum %+v, want %+v", got, want)
				}
				stored, kept, ok := l.stored(t, "zone", dst)
				if !ok || !bytes.Equal(stored, body) || kept != want {
					t.Errorf("the zone keeps %d bytes (equal: %v) with checksum %+v, want %+v", len(stored), bytes.Equal(stored, body), kept, want)
				}
			})
		}
	}
}

// A copy whose bytes differ from the source's (the local S3's copy fault,
// between source and target) is caught by its checksum on every
// server-side path, and removed: nothing of it stays in the zone.
func TestCorruptedServerSideCopyIsRemoved(t *testing.T) {
	l := newLocalS3(t, "src", "zone")
	l.srv.CorruptCopies(func(bucket, _ string) bool { return bucket == "zone" })
	ctx := context.Background()
	for i, p := range copyPaths[:2] {
		t.Run(p.name, func(t *testing.T) {
			body := randomBody(p.size, int64(i))
			etag := l.put(t, "src", "k", body, upload{alg: checksum.CRC32})
			_, err := testCopier(l.client).ServerSide(ctx, "src", "k", int64(len(body)), etag, Sum{}, "zone", "copy")
			var mismatch *ChecksumMismatch
			if !errors.As(err, &mismatch) {
				t.Fatalf("error %v, want a checksum mismatch", err)
			}
			reason, _ := permanent(err, connection.Connection{})
			for _, want := range []string{"CRC32:" + checksum.Of(checksum.CRC32, body), "CRC32:" + mismatch.Got.Value} {
				if !strings.Contains(reason, want) || mismatch.Got.Value == checksum.Of(checksum.CRC32, body) {
					t.Errorf("reason %q should name the source's and the copy's checksums (%s)", reason, want)
				}
			}
			if _, _, ok := l.stored(t, "zone", "copy"); ok {
				t.Error("the corrupted copy is still in the zone")
			}
			if n := l.uploadsInProgress(t, "zone"); n != 0 {
				t.Errorf("%d multipart uploads left in progress", n)
			}
		})
	}
}

// A source changed since the listing fails the checksum read like the
// copy it precedes (PreconditionFailed), so the worker reads it again; a
// deleted one is NotFound, so the file is vanished.
func TestSourceChecksumReadKeepsTheCopysConditions(t *testing.T) {
	l := newLocalS3(t, "src", "zone")
	l.put(t, "src", "k", []byte("a,b\n"), upload{})
	c := testCopier(l.client)
	_, err := c.ServerSide(context.Background(), "src", "k", 4, "0123456789abcdef0123456789abcdef", Sum{}, "zone", "copy")
	if code := errorCode(err); code != "PreconditionFailed" {
		t.Errorf("changed source: error %v (%s), want PreconditionFailed", err, code)
	}
	_, err = c.ServerSide(context.Background(), "src", "gone", 4, "", Sum{}, "zone", "copy")
	if !vanished(err) {
		t.Errorf("deleted source: error %v (%s), want one that says it vanished", err, errorCode(err))
	}
}

// The worker's outcome of a corrupted copy, on the way into the LZ and on
// the move to the DLZ: that file fails, naming both checksums, and
// neither zone keeps anything of it.
func TestCorruptedCopyFailsThatFile(t *testing.T) {
	for _, zone := range []string{testLZ, testDLZ} {
		t.Run("into "+zone, func(t *testing.T) {
			l := newLocalS3(t, "src", testLZ, testDLZ)
			body := []byte("id,amount\n1,10\n2,20\n")
			etag := l.put(t, "src", "k.csv", body, upload{})
			l.srv.CorruptCopies(func(bucket, _ string) bool { return bucket == zone })
			conn := connection.Connection{ConnectionId: "c", S3Bucket: "src", ConnectionAccessType: connection.BucketPolicy, Version: rules.V1_8}
			w := &Worker{
				Store: &connStore{conn: conn}, Sources: fixedSource{Source{Reader: l.client, Copier: l.client}},
				Copier: testCopier(l.client), LZBucket: testLZ, DLZBucket: testDLZ, Log: slog.New(slog.DiscardHandler),
			}
			task := Task{RunId: "r", DatasetId: "d", ConnectionId: "c", Bucket: "src", Key: "k.csv", Name: "k.csv", Size: int64(len(body)),
				ETag: etag, Version: rules.V1_8, FileType: dataset.CSV, TargetKey: "t.csv", RunStarted: testRunStart}
			res, err := w.ingest(context.Background(), task)
			if err != nil {
				t.Fatal(err)
			}
			want := "CRC64NVME:" + checksum.Of(checksum.CRC64NVME, body)
			if res.Outcome != run.OutcomeFailed || !strings.Contains(res.Reason, "checksum mismatch") || !strings.Contains(res.Reason, want) || res.File != nil {
				t.Errorf("outcome %q, reason %q, entry %+v: want failed, naming %s", res.Outcome, res.Reason, res.File, want)
			}
			for _, b := range []string{testLZ, testDLZ} {
				if _, _, ok := l.stored(t, b, "t.csv"); ok {
					t.Errorf("%s keeps the file", b)
				}
			}
			l.srv.CorruptCopies(nil) // and without the fault, the same file lands with its checksum
			if res, err = w.ingest(context.Background(), task); err != nil || res.Outcome != "" || res.File.Checksum != want {
				t.Errorf("without the fault: %+v, %v; want copied with checksum %s", res, err, want)
			}
		})
	}
}

// fixedSource opens every connection's bucket as one Source.
type fixedSource struct{ s Source }

func (f fixedSource) Open(context.Context, connection.Connection) (Source, error) { return f.s, nil }

func TestSumForms(t *testing.T) {
	s := Sum{Algorithm: checksum.CRC64NVME, Value: "Rnr2/5P7Gsk=", Type: checksum.FullObject}
	if s.String() != "CRC64NVME:Rnr2/5P7Gsk=" || ParseSum(s.String()) != s {
		t.Errorf("String %q, ParseSum %+v", s.String(), ParseSum(s.String()))
	}
	for _, bad := range []string{"", "CRC64NVME", "MD5:abc", "CRC32:"} {
		if ParseSum(bad).Known() {
			t.Errorf("ParseSum(%q) = %+v, want none", bad, ParseSum(bad))
		}
	}
	if (Sum{}).String() != "" {
		t.Error("no checksum has a catalog form")
	}
}

// An empty object copies with the checksum of no bytes on both paths.
func TestEmptyObjectCopies(t *testing.T) {
	l := newLocalS3(t, "src", "zone")
	etag := l.put(t, "src", "empty", nil, upload{})
	c := testCopier(l.client)
	want := Sum{Algorithm: checksum.CRC64NVME, Value: checksum.Of(checksum.CRC64NVME, nil), Type: checksum.FullObject}
	server, err := c.ServerSide(context.Background(), "src", "empty", 0, etag, Sum{}, "zone", "a")
	if err != nil || server != want {
		t.Errorf("server-side: %+v, %v; want %+v", server, err, want)
	}
	streamed, err := c.Stream(context.Background(), l.client, "src", "empty", 0, etag, "zone", "b")
	if err != nil || streamed != want {
		t.Errorf("streamed: %+v, %v; want %+v", streamed, err, want)
	}
}
