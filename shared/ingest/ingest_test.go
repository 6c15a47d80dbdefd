package ingest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// memObject is an object of memS3.
type memObject struct {
	body         []byte
	class        types.StorageClass
	restore      string
	lastModified time.Time
}

func (o memObject) etag() string {
	sum := md5.Sum(o.body)
	return hex.EncodeToString(sum[:])
}

// memS3 is an in-memory S3 of whole objects for the worker's logic: both
// its source buckets and the platform's. It answers the conditions the
// worker sends (If-Match, x-amz-copy-source-if-match) and refuses reads of
// archived objects, with S3's error codes; multipart calls are not needed
// below CopyThreshold and PartSize and fail the test if made.
type memS3 struct {
	t       *testing.T
	mu      sync.Mutex
	objects map[string]memObject // "bucket/key"
	calls   []string             // operation bucket/key, in order
}

func newMemS3(t *testing.T) *memS3 { return &memS3{t: t, objects: map[string]memObject{}} }

func apiError(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func (m *memS3) put(bucket, key string, o memObject) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[bucket+"/"+key] = o
}

func (m *memS3) get(bucket, key string) (memObject, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[bucket+"/"+key]
	return o, ok
}

// read is an object as a reader of it finds it.
func (m *memS3) read(op, bucket, key string, ifMatch *string) (memObject, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, op+" "+bucket+"/"+key)
	o, ok := m.objects[bucket+"/"+key]
	switch {
	case !ok:
		return o, apiError("NoSuchKey")
	case ifMatch != nil && strings.Trim(*ifMatch, `"`) != o.etag():
		return o, apiError("PreconditionFailed")
	}
	return o, nil
}

func archivedNow(o memObject) bool {
	return (o.class == types.StorageClassGlacier || o.class == types.StorageClassDeepArchive) &&
		!strings.Contains(o.restore, `ongoing-request="false"`)
}

func (m *memS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	o, err := m.read("HeadObject", *in.Bucket, *in.Key, in.IfMatch)
	if err != nil {
		return nil, err
	}
	out := &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(o.body))), ETag: aws.String(`"` + o.etag() + `"`), StorageClass: o.class}
	if in.ChecksumMode == types.ChecksumModeEnabled { // every object has S3's default checksum
		out.ChecksumCRC64NVME, out.ChecksumType = aws.String(checksum.Of(checksum.CRC64NVME, o.body)), types.ChecksumTypeFullObject
	}
	if !o.lastModified.IsZero() {
		out.LastModified = aws.Time(o.lastModified)
	}
	if o.restore != "" {
		out.Restore = aws.String(o.restore)
	}
	return out, nil
}

func (m *memS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	o, err := m.read("GetObject", *in.Bucket, *in.Key, in.IfMatch)
	if err != nil {
		return nil, err
	}
	if archivedNow(o) {
		return nil, apiError("InvalidObjectState")
	}
	body := o.body
	if in.Range != nil {
		var from, to int
		if _, err := fmt.Sscanf(*in.Range, "bytes=%d-%d", &from, &to); err != nil || to >= len(body) {
			m.t.Fatalf("GetObject range %q of %d bytes", *in.Range, len(body))
		}
		body = body[from : to+1]
	}
	out := &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: aws.Int64(int64(len(body)))}
	if in.ChecksumMode == types.ChecksumModeEnabled && in.Range == nil {
		out.ChecksumCRC64NVME, out.ChecksumType = aws.String(checksum.Of(checksum.CRC64NVME, body)), types.ChecksumTypeFullObject
	}
	return out, nil
}

func (m *memS3) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	bucket, key, _ := strings.Cut(*in.CopySource, "/")
	o, err := m.read("CopyObject", bucket, key, in.CopySourceIfMatch)
	if err != nil {
		return nil, err
	}
	if archivedNow(o) {
		return nil, apiError("InvalidObjectState")
	}
	if in.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		m.t.Errorf("CopyObject to %s/%s without SSE-KMS", *in.Bucket, *in.Key)
	}
	m.put(*in.Bucket, *in.Key, memObject{body: o.body, class: types.StorageClassStandard})
	if in.ChecksumAlgorithm != types.ChecksumAlgorithmCrc64nvme {
		m.t.Errorf("CopyObject to %s/%s asks for checksum %q, want CRC64NVME (the source's)", *in.Bucket, *in.Key, in.ChecksumAlgorithm)
	}
	return &s3.CopyObjectOutput{CopyObjectResult: &types.CopyObjectResult{
		ChecksumCRC64NVME: aws.String(checksum.Of(checksum.CRC64NVME, o.body)), ChecksumType: types.ChecksumTypeFullObject,
	}}, nil
}

func (m *memS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	if in.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		m.t.Errorf("PutObject to %s/%s without SSE-KMS", *in.Bucket, *in.Key)
	}
	m.mu.Lock()
	m.calls = append(m.calls, "PutObject "+*in.Bucket+"/"+*in.Key)
	m.mu.Unlock()
	if sum := checksum.Of(checksum.CRC64NVME, body); aws.ToString(in.ChecksumCRC64NVME) != sum {
		return nil, apiError("BadDigest")
	}
	m.put(*in.Bucket, *in.Key, memObject{body: body, class: types.StorageClassStandard})
	return &s3.PutObjectOutput{ChecksumCRC64NVME: in.ChecksumCRC64NVME, ChecksumType: types.ChecksumTypeFullObject}, nil
}

func (m *memS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "DeleteObject "+*in.Bucket+"/"+*in.Key)
	delete(m.objects, *in.Bucket+"/"+*in.Key)
	return &s3.DeleteObjectOutput{}, nil
}

func (m *memS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	m.t.Fatal("multipart upload of a small object")
	return nil, nil
}

func (m *memS3) UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return nil, apiError("NotImplemented")
}

func (m *memS3) UploadPartCopy(context.Context, *s3.UploadPartCopyInput, ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	return nil, apiError("NotImplemented")
}

func (m *memS3) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return nil, apiError("NotImplemented")
}

func (m *memS3) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return nil, apiError("NotImplemented")
}

// RestoreObject starts a restore as S3 does: 409 while one is in progress,
// 403 InvalidObjectState for an object in no archive.
func (m *memS3) RestoreObject(_ context.Context, in *s3.RestoreObjectInput, _ ...func(*s3.Options)) (*s3.RestoreObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "RestoreObject "+*in.Bucket+"/"+*in.Key)
	o, ok := m.objects[*in.Bucket+"/"+*in.Key]
	switch {
	case !ok:
		return nil, apiError("NoSuchKey")
	case o.class != types.StorageClassGlacier && o.class != types.StorageClassDeepArchive:
		return nil, apiError("InvalidObjectState")
	case strings.Contains(o.restore, `ongoing-request="true"`):
		return nil, apiError("RestoreAlreadyInProgress")
	}
	o.restore = `ongoing-request="true"`
	m.objects[*in.Bucket+"/"+*in.Key] = o
	return &s3.RestoreObjectOutput{}, nil
}

// memSources opens every connection's bucket on the same memS3.
type memSources struct{ s3 *memS3 }

func (s memSources) Open(_ context.Context, c connection.Connection) (Source, error) {
	if c.ConnectionAccessType == connection.BucketPolicy {
		return Source{Reader: s.s3, Copier: s.s3}, nil
	}
	return Source{Reader: s.s3}, nil
}

// connStore is a WorkerStore that knows one connection.
type connStore struct {
	taskStore
	conn connection.Connection
}

func (s *connStore) GetConnection(_ context.Context, id string) (connection.Connection, error) {
	if id != s.conn.ConnectionId {
		return connection.Connection{}, connection.NotFound(id)
	}
	return s.conn, nil
}

const (
	testLZ  = "platform-lz"
	testDLZ = "platform-dlz"
)

// testRunStart is when the tests' run started, within its second.
var testRunStart = time.Date(2026, 12, 7, 9, 0, 10, 500_000_000, time.UTC)

// What the worker does with one file, on each path the rules and the
// zones allow, as its S3 calls and the objects they leave.
func TestIngestPaths(t *testing.T) {
	good := []byte("id,amount\n1,10\n2,20\n")
	bad := []byte("id,amount\n1,10,extra\n")
	restored := `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
	testCases := []struct {
		name    string
		access  connection.AccessType
		version rules.Version
		skipLZ  bool
		fileTyp dataset.FileType
		object  memObject
		listed  func(*Task) // the listing's word, when it differs from the object
		outcome run.Outcome
		inDLZ   bool
		inLZ    bool
		calls   []string // S3 calls, in order
	}{
		{name: "server-side copy, validated in the LZ, moved to the DLZ", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.CSV,
			object: memObject{body: good}, inDLZ: true,
			calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv", "GetObject platform-lz/t", "CopyObject platform-lz/t", "DeleteObject platform-lz/t"}},
		{name: "skip-LZ on 1.8 goes straight to the DLZ", access: connection.BucketPolicy, version: rules.V1_8, skipLZ: true, fileTyp: dataset.CSV,
			object: memObject{body: good}, inDLZ: true, calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv"}},
		{name: "skip-LZ on 1.7 still stops in the LZ", access: connection.BucketPolicy, version: rules.V1_7, skipLZ: true, fileTyp: dataset.CSV,
			object: memObject{body: good}, inDLZ: true,
			calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv", "GetObject platform-lz/t", "CopyObject platform-lz/t", "DeleteObject platform-lz/t"}},
		{name: "nothing to validate goes straight to the DLZ", access: connection.BucketPolicy, version: rules.V1_6, fileTyp: dataset.Others,
			object: memObject{body: bad}, inDLZ: true, calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv"}},
		{name: "streamed with the connection's keys", access: connection.AccessKeys, version: rules.V1_8, fileTyp: dataset.CSV,
			object: memObject{body: good}, inDLZ: true,
			calls: []string{"HeadObject src/k.csv", "GetObject src/k.csv", "PutObject platform-lz/t", "GetObject platform-lz/t", "CopyObject platform-lz/t", "DeleteObject platform-lz/t"}},
		{name: "failed validation stays in the LZ", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.CSV,
			object: memObject{body: bad}, outcome: run.OutcomeFailedValidation, inLZ: true,
			calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv", "GetObject platform-lz/t"}},
		{name: "changed since the listing: read again, copied as it is now", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.Others,
			object: memObject{body: good}, listed: func(t *Task) { t.ETag = "0123456789abcdef0123456789abcdef" }, inDLZ: true,
			calls: []string{"HeadObject src/k.csv", "HeadObject src/k.csv", "HeadObject src/k.csv", "CopyObject src/k.csv"}},
		{name: "1.7 skips Glacier", access: connection.BucketPolicy, version: rules.V1_7, fileTyp: dataset.CSV,
			object: memObject{body: good, class: types.StorageClassGlacier}, listed: func(t *Task) { t.StorageClass = "GLACIER" },
			outcome: run.OutcomeSkippedStorageClass, calls: []string{"HeadObject src/k.csv"}},
		{name: "1.7 copies restored Glacier", access: connection.BucketPolicy, version: rules.V1_7, fileTyp: dataset.Others,
			object: memObject{body: good, class: types.StorageClassGlacier, restore: restored}, listed: func(t *Task) { t.StorageClass = "GLACIER" },
			inDLZ: true, calls: []string{"HeadObject src/k.csv", "HeadObject src/k.csv", "CopyObject src/k.csv"}},
		{name: "archived since the listing: read again, then skipped", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.Others,
			object: memObject{body: good, class: types.StorageClassDeepArchive}, outcome: run.OutcomeSkippedStorageClass,
			calls: []string{"HeadObject src/k.csv", "CopyObject src/k.csv", "HeadObject src/k.csv"}},
		{name: "1.6 fails a file that left Standard", access: connection.BucketPolicy, version: rules.V1_6, fileTyp: dataset.CSV,
			object: memObject{body: good, class: types.StorageClassStandardIa}, listed: func(t *Task) { t.StorageClass = "STANDARD_IA" },
			outcome: run.OutcomeFailed},
		{name: "overwritten after the run started: left for the next run", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.Others,
			object: memObject{body: good, lastModified: testRunStart.Add(time.Second)}, listed: func(t *Task) { t.ETag = "0123456789abcdef0123456789abcdef" },
			outcome: run.OutcomeDeferred, calls: []string{"HeadObject src/k.csv", "HeadObject src/k.csv"}},
		{name: "overwritten in the second the run started: left too", access: connection.AccessKeys, version: rules.V1_6, fileTyp: dataset.Others,
			object:  memObject{body: good, lastModified: testRunStart.Truncate(time.Second)},
			outcome: run.OutcomeDeferred, calls: []string{"HeadObject src/k.csv"}},
		{name: "changed before the run started: copied as it is now", access: connection.AccessKeys, version: rules.V1_8, fileTyp: dataset.Others,
			object: memObject{body: good, lastModified: testRunStart.Add(-time.Second)}, inDLZ: true,
			calls: []string{"HeadObject src/k.csv", "GetObject src/k.csv", "PutObject platform-dlz/t"}},
		{name: "deleted since the listing", access: connection.AccessKeys, version: rules.V1_8, fileTyp: dataset.CSV,
			outcome: run.OutcomeVanished, calls: []string{"HeadObject src/k.csv"}},
		{name: "deleted since the listing, copied server-side", access: connection.BucketPolicy, version: rules.V1_8, fileTyp: dataset.CSV,
			outcome: run.OutcomeVanished, calls: []string{"HeadObject src/k.csv"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newMemS3(t)
			if tc.object.body != nil {
				mem.put("src", "k.csv", tc.object)
			}
			conn := connection.Connection{ConnectionId: "c", S3Bucket: "src", ConnectionAccessType: tc.access, Version: tc.version}
			w := &Worker{
				Store:    &connStore{conn: conn},
				Sources:  memSources{mem},
				Copier:   &Copier{Target: mem, KMSKeyID: "key", CopyThreshold: DefaultCopyThreshold, PartSize: DefaultPartSize, Parallel: 2},
				LZBucket: testLZ, DLZBucket: testDLZ, StreamBudget: 1 << 20, Log: slog.New(slog.DiscardHandler),
			}
			task := Task{RunId: "r", DatasetId: "d", ConnectionId: "c", Bucket: "src", Key: "k.csv", Name: "k.csv",
				Size: int64(len(tc.object.body)), ETag: tc.object.etag(), Version: tc.version, FileType: tc.fileTyp, SkipLZ: tc.skipLZ, TargetKey: "t",
				RunStarted: testRunStart}
			if tc.listed != nil {
				tc.listed(&task)
			}
			res, err := w.ingest(context.Background(), task)
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			if res.Outcome != tc.outcome || (res.Outcome != "") != (res.Reason != "") {
				t.Errorf("outcome %q (%q), want %q", res.Outcome, res.Reason, tc.outcome)
			}
			dlz, inDLZ := mem.get(testDLZ, "t")
			if _, inLZ := mem.get(testLZ, "t"); inLZ != tc.inLZ || inDLZ != tc.inDLZ {
				t.Errorf("in LZ %v, in DLZ %v; want %v, %v", inLZ, inDLZ, tc.inLZ, tc.inDLZ)
			}
			if inDLZ && !bytes.Equal(dlz.body, tc.object.body) {
				t.Errorf("DLZ holds %q, want %q", dlz.body, tc.object.body)
			}
			if landed := tc.inDLZ || tc.inLZ; landed != (res.File != nil) || landed && (res.File.SourceETag != tc.object.etag() || res.Bytes != int64(len(tc.object.body))) {
				t.Errorf("catalog entry %+v, %d bytes: want the object as copied (ETag %s)", res.File, res.Bytes, tc.object.etag())
			}
			if want := "CRC64NVME:" + checksum.Of(checksum.CRC64NVME, tc.object.body); res.File != nil && res.File.Checksum != want {
				t.Errorf("catalog entry's checksum %q, want %q", res.File.Checksum, want)
			}
			if got := strings.Join(mem.calls, ", "); got != strings.Join(tc.calls, ", ") {
				t.Errorf("S3 calls\n  %s\nwant\n  %s", got, strings.Join(tc.calls, ", "))
			}
		})
	}
}
