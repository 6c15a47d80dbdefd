package s3local

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/checksum"
)

// bkt is the tests' bucket.
const bkt = "sums"

// sums is the checksum fields every S3 output that carries a checksum has.
type sums struct {
	crc32, crc32c, crc64nvme, sha1, sha256 *string
	typ                                    types.ChecksumType
}

// got is the one checksum set, as "<ALG>=<value>/<type>", so that a test
// failure shows a wrong algorithm as plainly as a wrong value.
func (s sums) got() string {
	out := ""
	for a, v := range map[checksum.Algorithm]*string{checksum.CRC32: s.crc32, checksum.CRC32C: s.crc32c,
		checksum.CRC64NVME: s.crc64nvme, checksum.SHA1: s.sha1, checksum.SHA256: s.sha256} {
		if v != nil {
			out += fmt.Sprintf("%s=%s", a, *v)
		}
	}
	return out + "/" + string(s.typ)
}

func want(a checksum.Algorithm, value string, typ checksum.Type) string {
	return fmt.Sprintf("%s=%s/%s", a, value, typ)
}

func putSums(o *s3.PutObjectOutput) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func headSums(o *s3.HeadObjectOutput) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func getSums(o *s3.GetObjectOutput) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func completeSums(o *s3.CompleteMultipartUploadOutput) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func copySums(o *types.CopyObjectResult) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func uploadPartSums(o *s3.UploadPartOutput) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, ""}
}
func copyPartSums(o *types.CopyPartResult) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, ""}
}
func attrSums(o *types.Checksum) sums {
	if o == nil {
		return sums{}
	}
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumType}
}
func objectPartSums(o types.ObjectPart) sums {
	return sums{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, ""}
}

// The SDK's request checksums: by default (when_supported) it sends a
// CRC32 with PutObject and UploadPart; when_required sends none.
var sdkModes = []struct {
	name string
	opt  clientOpt
}{
	{"sdk-default", func(*s3.Options) {}},
	{"when-required", func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }},
}

// eachClient runs f for both storage modes and both SDK checksum modes.
func eachClient(t *testing.T, f func(t *testing.T, e *env, c *s3.Client, sdkDefault bool)) {
	eachMode(t, func(t *testing.T, opts Options) {
		for _, m := range sdkModes {
			t.Run(m.name, func(t *testing.T) {
				e := start(t, opts, false)
				c := e.client(m.opt)
				mustBucket(t, c, bkt, "")
				f(t, e, c, m.name == "sdk-default")
			})
		}
	})
}

// checkStored reads an object's checksum back with HeadObject and GetObject
// (x-amz-checksum-mode: ENABLED) and GetObjectAttributes.
func checkStored(t *testing.T, c *s3.Client, key string, data []byte, wantSum string) {
	t.Helper()
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bkt), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if got := headSums(head).got(); got != wantSum {
		t.Errorf("HeadObject %s: checksum %s, want %s", key, got, wantSum)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bkt), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, err = body.ReadFrom(get.Body) // the SDK validates full-object checksums while reading
	get.Body.Close()
	if err != nil || !bytes.Equal(body.Bytes(), data) {
		t.Fatalf("GetObject %s: %d bytes, %v", key, body.Len(), err)
	}
	if got := getSums(get).got(); got != wantSum {
		t.Errorf("GetObject %s: checksum %s, want %s", key, got, wantSum)
	}
	plain, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bkt), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if got := headSums(plain).got(); got != "/" {
		t.Errorf("HeadObject %s without checksum mode: %s, want none", key, got)
	}
}

// attributes is GetObjectAttributes of every attribute.
func attributes(t *testing.T, c *s3.Client, key string) *s3.GetObjectAttributesOutput {
	t.Helper()
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bkt), Key: aws.String(key),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum,
			types.ObjectAttributesObjectParts, types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}})
	if err != nil {
		t.Fatalf("GetObjectAttributes %s: %v", key, err)
	}
	return out
}

func TestPutObjectChecksums(t *testing.T) {
	eachClient(t, func(t *testing.T, e *env, c *s3.Client, sdkDefault bool) {
		data := []byte("test data..")
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("plain"), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		// Without a checksum S3 stores CRC64NVME; the SDK's default sends a CRC32.
		wantPlain := want(checksum.CRC64NVME, "qUVrWYOrIAM=", checksum.FullObject) // S3's answer, recorded by LocalStack
		if sdkDefault {
			wantPlain = want(checksum.CRC32, checksum.Of(checksum.CRC32, data), checksum.FullObject)
		}
		if got := putSums(out).got(); got != wantPlain {
			t.Errorf("PutObject: %s, want %s", got, wantPlain)
		}
		checkStored(t, c, "plain", data, wantPlain)
		attrs := attributes(t, c, "plain")
		if got := attrSums(attrs.Checksum).got(); got != wantPlain {
			t.Errorf("GetObjectAttributes: %s, want %s", got, wantPlain)
		}
		if aws.ToString(attrs.ETag) != fmt.Sprintf("%x", md5Of(data)) || aws.ToInt64(attrs.ObjectSize) != int64(len(data)) ||
			attrs.StorageClass != types.StorageClassStandard || attrs.ObjectParts != nil {
			t.Errorf("GetObjectAttributes: ETag %s, size %d, class %s, parts %v", aws.ToString(attrs.ETag),
				aws.ToInt64(attrs.ObjectSize), attrs.StorageClass, attrs.ObjectParts)
		}

		// An algorithm the SDK computes, and a value the caller computed.
		out, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("sha"), Body: bytes.NewReader(data),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		wantSHA := want(checksum.SHA256, checksum.Of(checksum.SHA256, data), checksum.FullObject)
		if err != nil || putSums(out).got() != wantSHA {
			t.Fatalf("PutObject SHA256: %v %s, want %s", err, putSums(out).got(), wantSHA)
		}
		checkStored(t, c, "sha", data, wantSHA)
		given := checksum.Of(checksum.CRC64NVME, data)
		out, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("given"), Body: bytes.NewReader(data),
			ChecksumCRC64NVME: aws.String(given)})
		if err != nil || putSums(out).got() != want(checksum.CRC64NVME, given, checksum.FullObject) {
			t.Fatalf("PutObject with a CRC64NVME: %v %s", err, putSums(out).got())
		}
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("bad"), Body: bytes.NewReader(data),
			ChecksumCRC64NVME: aws.String(checksum.Of(checksum.CRC64NVME, []byte("other")))})
		expectCode(t, err, "BadDigest", http.StatusBadRequest)
	})
}

func TestPutObjectChecksumErrors(t *testing.T) {
	e := start(t, Options{}, false)
	mustBucket(t, e.client(), bkt, "")
	for _, tc := range []struct {
		name    string
		headers map[string]string
		code    string
	}{
		{"not base64", map[string]string{"X-Amz-Checksum-Crc32": "not base64!"}, "InvalidRequest"},
		{"wrong size", map[string]string{"X-Amz-Checksum-Crc32": checksum.Of(checksum.CRC64NVME, nil)}, "InvalidRequest"},
		{"two", map[string]string{"X-Amz-Checksum-Crc32": checksum.Of(checksum.CRC32, []byte("x")),
			"X-Amz-Checksum-Sha1": checksum.Of(checksum.SHA1, []byte("x"))}, "InvalidRequest"},
		{"mismatch", map[string]string{"X-Amz-Checksum-Sha1": checksum.Of(checksum.SHA1, []byte("y"))}, "BadDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(sdkModes[1].opt, withTransport(func(r *http.Request) {
				for k, v := range tc.headers {
					r.Header.Set(k, v)
				}
			}))
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))})
			expectCode(t, err, tc.code, http.StatusBadRequest)
		})
	}
	if _, err := e.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bkt), Key: aws.String("k")}); apiCode(err) != "NotFound" {
		t.Fatalf("a refused PUT stored the object: %v", err)
	}
}

// mpuParts are a multipart object's parts: sizes that do not align with
// CRC tables, and a last part of one byte.
var mpuParts = [][]byte{randomBytes(70_001, 11), randomBytes(65_537, 12), []byte("z")}

// uploadParts creates an upload, uploads parts (sending the upload's
// algorithm's checksum when sendAlg) and checks each part's checksum.
func uploadParts(t *testing.T, c *s3.Client, key string, alg checksum.Algorithm, typ checksum.Type, sendAlg bool) (*string, []types.CompletedPart) {
	t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithm(alg), ChecksumType: types.ChecksumType(typ)}
	mpu, err := c.CreateMultipartUpload(ctx, in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s/%s: %v", alg, typ, err)
	}
	wantTyp := typ
	if typ == "" && alg != "" {
		wantTyp = alg.DefaultType()
	}
	if mpu.ChecksumAlgorithm != types.ChecksumAlgorithm(alg) || mpu.ChecksumType != types.ChecksumType(wantTyp) {
		t.Errorf("CreateMultipartUpload confirmed %q/%q, want %q/%q", mpu.ChecksumAlgorithm, mpu.ChecksumType, alg, wantTyp)
	}
	var done []types.CompletedPart
	for i, p := range mpuParts {
		pin := &s3.UploadPartInput{Bucket: aws.String(bkt), Key: aws.String(key), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)}
		if sendAlg {
			pin.ChecksumAlgorithm = types.ChecksumAlgorithm(alg)
		}
		out, err := c.UploadPart(ctx, pin)
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		cp := types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))}
		if alg != "" {
			if got, want := uploadPartSums(out).got(), want(alg, checksum.Of(alg, p), ""); got != want {
				t.Errorf("UploadPart %d: %s, want %s", i+1, got, want)
			}
			cp.ChecksumCRC32, cp.ChecksumCRC32C, cp.ChecksumCRC64NVME, cp.ChecksumSHA1, cp.ChecksumSHA256 =
				out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256
		}
		done = append(done, cp)
	}
	checkListParts(t, c, key, mpu.UploadId, alg, wantTyp)
	return mpu.UploadId, done
}

// checkListParts checks ListParts' checksums of an upload of mpuParts: the
// algorithm, type and part checksums for an upload with an algorithm, none
// for one without.
func checkListParts(t *testing.T, c *s3.Client, key string, id *string, alg checksum.Algorithm, typ checksum.Type) {
	t.Helper()
	out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bkt), Key: aws.String(key), UploadId: id})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if out.ChecksumAlgorithm != types.ChecksumAlgorithm(alg) || out.ChecksumType != types.ChecksumType(typ) || len(out.Parts) != len(mpuParts) {
		t.Fatalf("ListParts: %q/%q, %d parts; want %q/%q, %d", out.ChecksumAlgorithm, out.ChecksumType, len(out.Parts), alg, typ, len(mpuParts))
	}
	for i, p := range out.Parts {
		wantPart := "/"
		if alg != "" {
			wantPart = want(alg, checksum.Of(alg, mpuParts[i]), "")
		}
		got := sums{p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256, ""}.got()
		if got != wantPart || aws.ToInt64(p.Size) != int64(len(mpuParts[i])) || aws.ToString(p.ETag) == "" {
			t.Errorf("ListParts part %d: %s, size %d, ETag %s; want %s", i+1, got, aws.ToInt64(p.Size), aws.ToString(p.ETag), wantPart)
		}
	}
}

// expectedMultipart is the checksum S3 gives the object of mpuParts,
// computed here from the bytes: a full-object checksum is the checksum of
// the whole (not a combination of parts), a composite one the checksum of
// the parts' checksums.
func expectedMultipart(alg checksum.Algorithm, typ checksum.Type) (value string, typOut checksum.Type) {
	if alg == "" {
		return checksum.Of(checksum.CRC64NVME, bytes.Join(mpuParts, nil)), checksum.FullObject
	}
	if typ == "" {
		typ = alg.DefaultType()
	}
	if typ == checksum.FullObject {
		return checksum.Of(alg, bytes.Join(mpuParts, nil)), typ
	}
	var partSums [][]byte
	for _, p := range mpuParts {
		partSums = append(partSums, checksum.Sum(alg, p))
	}
	return checksum.CompositeOf(alg, partSums), typ
}

func TestMultipartChecksums(t *testing.T) {
	cases := []struct {
		alg checksum.Algorithm
		typ checksum.Type
	}{
		{"", ""}, // S3's default: a full-object CRC64NVME
		{checksum.CRC64NVME, ""}, {checksum.CRC32, checksum.FullObject}, {checksum.CRC32C, checksum.FullObject},
		{checksum.CRC32, checksum.Composite}, {checksum.CRC32C, ""}, {checksum.SHA1, checksum.Composite}, {checksum.SHA256, ""},
	}
	eachClient(t, func(t *testing.T, e *env, c *s3.Client, sdkDefault bool) {
		for _, tc := range cases {
			name := fmt.Sprintf("%s-%s", tc.alg, tc.typ)
			t.Run(name, func(t *testing.T) {
				key := "mpu/" + name
				// The SDK's default sends CRC32 unless told the upload's algorithm.
				id, done := uploadParts(t, c, key, tc.alg, tc.typ, sdkDefault && tc.alg != "")
				out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key),
					UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
				if err != nil {
					t.Fatal(err)
				}
				value, typ := expectedMultipart(tc.alg, tc.typ)
				alg := tc.alg
				if alg == "" {
					alg = checksum.CRC64NVME
				}
				wantSum := want(alg, value, typ)
				if got := completeSums(out).got(); got != wantSum {
					t.Errorf("CompleteMultipartUpload: %s, want %s", got, wantSum)
				}
				checkStored(t, c, key, bytes.Join(mpuParts, nil), wantSum)
				checkAttributes(t, c, key, alg, value, typ)
			})
		}
	})
}

// checkAttributes checks GetObjectAttributes of a multipart object of mpuParts.
func checkAttributes(t *testing.T, c *s3.Client, key string, alg checksum.Algorithm, value string, typ checksum.Type) {
	t.Helper()
	attrs := attributes(t, c, key)
	bare, n := checksum.SplitParts(value)
	if typ == checksum.Composite && n != len(mpuParts) {
		t.Fatalf("composite %s has no -%d suffix", value, len(mpuParts))
	}
	if got, want := attrSums(attrs.Checksum).got(), want(alg, bare, typ); got != want {
		t.Errorf("GetObjectAttributes checksum %s, want %s (no -N suffix)", got, want)
	}
	p := attrs.ObjectParts
	if p == nil || aws.ToInt32(p.TotalPartsCount) != int32(len(mpuParts)) {
		t.Fatalf("GetObjectAttributes ObjectParts %+v, want %d parts", p, len(mpuParts))
	}
	if typ != checksum.Composite {
		if len(p.Parts) != 0 {
			t.Errorf("a %s object lists its parts: %+v", typ, p.Parts)
		}
		return
	}
	if len(p.Parts) != len(mpuParts) || aws.ToBool(p.IsTruncated) {
		t.Fatalf("GetObjectAttributes parts: %d (truncated %v), want %d", len(p.Parts), aws.ToBool(p.IsTruncated), len(mpuParts))
	}
	for i, part := range p.Parts {
		if aws.ToInt32(part.PartNumber) != int32(i+1) || aws.ToInt64(part.Size) != int64(len(mpuParts[i])) ||
			objectPartSums(part).got() != want(alg, checksum.Of(alg, mpuParts[i]), "") {
			t.Errorf("part %d: number %d, size %d, %s", i+1, aws.ToInt32(part.PartNumber), aws.ToInt64(part.Size), objectPartSums(part).got())
		}
	}
	page, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bkt), Key: aws.String(key),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}, MaxParts: aws.Int32(1), PartNumberMarker: aws.String("1")})
	if err != nil || len(page.ObjectParts.Parts) != 1 || aws.ToInt32(page.ObjectParts.Parts[0].PartNumber) != 2 ||
		!aws.ToBool(page.ObjectParts.IsTruncated) || aws.ToString(page.ObjectParts.NextPartNumberMarker) != "2" {
		t.Errorf("second page of one part: %+v, %v", page, err)
	}
}

// The errors S3 answers for checksums of multipart uploads, as LocalStack
// recorded them against AWS (test_s3.snapshot.json, 21-02-2026).
func TestMultipartChecksumErrors(t *testing.T) {
	e := start(t, Options{}, false)
	c := e.client(sdkModes[1].opt)
	mustBucket(t, c, bkt, "")
	create := func(alg, typ string) error {
		_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("k"),
			ChecksumAlgorithm: types.ChecksumAlgorithm(alg), ChecksumType: types.ChecksumType(typ)})
		return err
	}
	for _, tc := range [][2]string{{"CRC64NVME", "COMPOSITE"}, {"SHA1", "FULL_OBJECT"}, {"SHA256", "FULL_OBJECT"},
		{"", "COMPOSITE"}, {"MD5", ""}, {"CRC32", "PARTIAL"}} {
		expectCode(t, create(tc[0], tc[1]), "InvalidRequest", http.StatusBadRequest)
	}

	// A part sent with another algorithm's checksum.
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("k"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bkt), Key: aws.String("k"), UploadId: mpu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("abc")), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	expectCode(t, err, "InvalidRequest", http.StatusBadRequest)

	id, done := uploadParts(t, c, "k", checksum.CRC32C, checksum.FullObject, false)
	complete := func(parts []types.CompletedPart, f func(*s3.CompleteMultipartUploadInput)) error {
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("k"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
		f(in)
		_, err := c.CompleteMultipartUpload(ctx, in)
		return err
	}
	noChange := func(*s3.CompleteMultipartUploadInput) {}
	wrong := append([]types.CompletedPart(nil), done...)
	wrong[1].ChecksumCRC32C = aws.String(checksum.Of(checksum.CRC32C, []byte("other")))
	expectCode(t, complete(wrong, noChange), "InvalidPart", http.StatusBadRequest)
	missing := append([]types.CompletedPart(nil), done...)
	missing[0].ChecksumCRC32C = nil
	expectCode(t, complete(missing, noChange), "InvalidRequest", http.StatusBadRequest)
	expectCode(t, complete(done, func(in *s3.CompleteMultipartUploadInput) { in.ChecksumType = types.ChecksumTypeComposite }),
		"InvalidRequest", http.StatusBadRequest)
	whole := checksum.Of(checksum.CRC32C, bytes.Join(mpuParts, nil))
	expectCode(t, complete(done, func(in *s3.CompleteMultipartUploadInput) {
		in.ChecksumType, in.ChecksumCRC32C = types.ChecksumTypeFullObject, aws.String(checksum.Of(checksum.CRC32C, []byte("x")))
	}), "BadDigest", http.StatusBadRequest)
	expectCode(t, complete(done, func(in *s3.CompleteMultipartUploadInput) { in.MpuObjectSize = aws.Int64(5) }),
		"InvalidRequest", http.StatusBadRequest)
	// The right full-object checksum, with its type, completes.
	if err := complete(done, func(in *s3.CompleteMultipartUploadInput) {
		in.ChecksumType, in.ChecksumCRC32C = types.ChecksumTypeFullObject, aws.String(whole)
		in.MpuObjectSize = aws.Int64(int64(len(bytes.Join(mpuParts, nil))))
	}); err != nil {
		t.Fatalf("complete with the right checksum: %v", err)
	}

	// An upload without an algorithm takes no part checksums and no type.
	id, done = uploadParts(t, c, "k", "", "", false)
	withSum := append([]types.CompletedPart(nil), done...)
	withSum[0].ChecksumCRC32 = aws.String(checksum.Of(checksum.CRC32, mpuParts[0]))
	expectCode(t, complete(withSum, noChange), "InvalidPart", http.StatusBadRequest)
	expectCode(t, complete(done, func(in *s3.CompleteMultipartUploadInput) { in.ChecksumType = types.ChecksumTypeFullObject }),
		"InvalidRequest", http.StatusBadRequest)
}

func TestCopyObjectChecksums(t *testing.T) {
	eachClient(t, func(t *testing.T, e *env, c *s3.Client, sdkDefault bool) {
		data := randomBytes(10_000, 3)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("src"), Body: bytes.NewReader(data),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c}); err != nil {
			t.Fatal(err)
		}
		copyTo := func(dst, src string, alg types.ChecksumAlgorithm) string {
			t.Helper()
			out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String(dst),
				CopySource: aws.String(bkt + "/" + src), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatalf("CopyObject %s -> %s (%s): %v", src, dst, alg, err)
			}
			return copySums(out.CopyObjectResult).got()
		}
		// The source's checksum is copied.
		wantCRC32C := want(checksum.CRC32C, checksum.Of(checksum.CRC32C, data), checksum.FullObject)
		if got := copyTo("copy", "src", ""); got != wantCRC32C {
			t.Errorf("CopyObject: %s, want the source's %s", got, wantCRC32C)
		}
		checkStored(t, c, "copy", data, wantCRC32C)
		// x-amz-checksum-algorithm recomputes, also in place.
		wantSHA1 := want(checksum.SHA1, checksum.Of(checksum.SHA1, data), checksum.FullObject)
		if got := copyTo("copy-sha1", "src", types.ChecksumAlgorithmSha1); got != wantSHA1 {
			t.Errorf("CopyObject with SHA1: %s, want %s", got, wantSHA1)
		}
		checkStored(t, c, "copy-sha1", data, wantSHA1)
		wantNVME := want(checksum.CRC64NVME, checksum.Of(checksum.CRC64NVME, data), checksum.FullObject)
		if got := copyTo("src", "src", types.ChecksumAlgorithmCrc64nvme); got != wantNVME {
			t.Errorf("in-place CopyObject with CRC64NVME: %s, want %s", got, wantNVME)
		}
		checkStored(t, c, "src", data, wantNVME)

		// A composite source is copied as a full-object checksum of its algorithm.
		id, done := uploadParts(t, c, "mpu", checksum.SHA256, checksum.Composite, sdkDefault)
		if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("mpu"),
			UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
			t.Fatal(err)
		}
		whole := bytes.Join(mpuParts, nil)
		wantSHA256 := want(checksum.SHA256, checksum.Of(checksum.SHA256, whole), checksum.FullObject)
		if got := copyTo("mpu-copy", "mpu", ""); got != wantSHA256 {
			t.Errorf("CopyObject of a COMPOSITE object: %s, want %s", got, wantSHA256)
		}
		checkStored(t, c, "mpu-copy", whole, wantSHA256)
		if attrs := attributes(t, c, "mpu-copy"); attrs.ObjectParts != nil {
			t.Errorf("a copy keeps its source's parts: %+v", attrs.ObjectParts)
		}
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String("x"),
			CopySource: aws.String(bkt + "/src"), ChecksumAlgorithm: "MD5"})
		expectCode(t, err, "InvalidRequest", http.StatusBadRequest)
	})
}

// uploadCopiedParts copies src (twice: whole, then bytes 1-100) into a new
// upload of alg and returns the part results and the completed object's checksum.
func uploadCopiedParts(t *testing.T, c *s3.Client, key, src string, alg checksum.Algorithm, typ checksum.Type) ([]string, string) {
	t.Helper()
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithm(alg), ChecksumType: types.ChecksumType(typ)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var done []types.CompletedPart
	for i, rng := range []string{"", "bytes=1-100"} {
		in := &s3.UploadPartCopyInput{Bucket: aws.String(bkt), Key: aws.String(key), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(bkt + "/" + src)}
		if rng != "" {
			in.CopySourceRange = aws.String(rng)
		}
		out, err := c.UploadPartCopy(ctx, in)
		if err != nil {
			t.Fatalf("UploadPartCopy %d: %v", i+1, err)
		}
		r := out.CopyPartResult
		got = append(got, copyPartSums(r).got())
		done = append(done, types.CompletedPart{ETag: r.ETag, PartNumber: aws.Int32(int32(i + 1)), ChecksumCRC32: r.ChecksumCRC32,
			ChecksumCRC32C: r.ChecksumCRC32C, ChecksumCRC64NVME: r.ChecksumCRC64NVME, ChecksumSHA1: r.ChecksumSHA1, ChecksumSHA256: r.ChecksumSHA256})
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String(key),
		UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	return got, completeSums(out).got()
}

func TestUploadPartCopyChecksums(t *testing.T) {
	eachClient(t, func(t *testing.T, e *env, c *s3.Client, _ bool) {
		data := randomBytes(5_000, 4)
		mustPut(t, c, bkt, "src", data, "")
		parts := [][]byte{data, data[1:101]}
		whole := bytes.Join(parts, nil)
		for _, tc := range []struct {
			alg checksum.Algorithm
			typ checksum.Type
		}{{checksum.CRC32C, checksum.Composite}, {checksum.CRC64NVME, checksum.FullObject}, {"", ""}} {
			key := fmt.Sprintf("upc-%s-%s", tc.alg, tc.typ)
			got, obj := uploadCopiedParts(t, c, key, "src", tc.alg, tc.typ)
			for i, p := range parts {
				wantPart := "/" // S3 returns a part's checksum only for uploads with an algorithm
				if tc.alg != "" {
					wantPart = want(tc.alg, checksum.Of(tc.alg, p), "")
				}
				if got[i] != wantPart {
					t.Errorf("%s UploadPartCopy %d: %s, want %s", key, i+1, got[i], wantPart)
				}
			}
			var wantObj string
			switch tc.typ {
			case checksum.Composite:
				wantObj = want(tc.alg, checksum.CompositeOf(tc.alg, [][]byte{checksum.Sum(tc.alg, parts[0]), checksum.Sum(tc.alg, parts[1])}), tc.typ)
			case checksum.FullObject:
				wantObj = want(tc.alg, checksum.Of(tc.alg, whole), tc.typ)
			default:
				wantObj = want(checksum.CRC64NVME, checksum.Of(checksum.CRC64NVME, whole), checksum.FullObject)
			}
			if obj != wantObj {
				t.Errorf("%s completed: %s, want %s", key, obj, wantObj)
			}
			checkStored(t, c, key, whole, wantObj)
		}
	})
}

// The copy fault stores other bytes than the source's and reports their
// checksum, as S3 would have: a copier comparing the copy's checksum with
// the source's sees the difference.
func TestCorruptCopies(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		e := start(t, opts, false)
		c := e.client()
		mustBucket(t, c, bkt, "")
		data := randomBytes(1_000, 5)
		mustPut(t, c, bkt, "src", data, "") // the SDK's CRC32
		srcSum := want(checksum.CRC32, checksum.Of(checksum.CRC32, data), checksum.FullObject)
		e.srv.CorruptCopies(func(bucket, key string) bool { return key != "spared" })

		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String("bad"), CopySource: aws.String(bkt + "/src")})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := getBytes(c, bkt, "bad")
		if err != nil || bytes.Equal(stored, data) || len(stored) != len(data) {
			t.Fatalf("the corrupted copy holds the source's bytes (or fails: %v)", err)
		}
		wantBad := want(checksum.CRC32, checksum.Of(checksum.CRC32, stored), checksum.FullObject)
		if got := copySums(out.CopyObjectResult).got(); got != wantBad || got == srcSum {
			t.Errorf("corrupted CopyObject reported %s, want the stored bytes' %s (source: %s)", got, wantBad, srcSum)
		}
		if aws.ToString(out.CopyObjectResult.ETag) != fmt.Sprintf(`"%x"`, md5Of(stored)) {
			t.Errorf("corrupted CopyObject ETag %s is not the stored bytes'", aws.ToString(out.CopyObjectResult.ETag))
		}
		checkStored(t, c, "bad", stored, wantBad)

		got, _ := uploadCopiedParts(t, c, "bad-parts", "src", checksum.CRC32, checksum.FullObject)
		if got[0] == want(checksum.CRC32, checksum.Of(checksum.CRC32, data), "") {
			t.Errorf("corrupted UploadPartCopy reported the source's checksum %s", got[0])
		}

		out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String("spared"), CopySource: aws.String(bkt + "/src")})
		if err != nil || copySums(out.CopyObjectResult).got() != srcSum {
			t.Fatalf("copy the fault spares: %v %s", err, copySums(out.CopyObjectResult).got())
		}
		e.srv.CorruptCopies(nil)
		out, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bkt), Key: aws.String("good"), CopySource: aws.String(bkt + "/src")})
		if err != nil || copySums(out.CopyObjectResult).got() != srcSum {
			t.Fatalf("copy after the fault is off: %v %s", err, copySums(out.CopyObjectResult).got())
		}
	})
}

// Checksums, their type and the parts stay with the object through a
// restart and through rewrites of its metadata (tagging, restore).
func TestChecksumsPersist(t *testing.T) {
	e := startAt(t, t.TempDir())
	c := e.client()
	mustBucket(t, c, bkt, "")
	id, done := uploadParts(t, c, "mpu", checksum.CRC32C, checksum.Composite, true)
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("mpu"),
		UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	plain := e.client(sdkModes[1].opt)
	mustPut(t, plain, bkt, "plain", []byte("test data.."), "")
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bkt), Key: aws.String("mpu"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
		t.Fatal(err)
	}
	e = e.restart(t)
	c = e.client()
	value, typ := expectedMultipart(checksum.CRC32C, checksum.Composite)
	checkStored(t, c, "mpu", bytes.Join(mpuParts, nil), want(checksum.CRC32C, value, typ))
	checkAttributes(t, c, "mpu", checksum.CRC32C, value, typ)
	checkStored(t, c, "plain", []byte("test data.."), want(checksum.CRC64NVME, "qUVrWYOrIAM=", checksum.FullObject))
}

// A range or a part is not the object: S3 sends no full-object checksum
// with it (the SDK would validate the range against it).
func TestRangedReadsHaveNoChecksum(t *testing.T) {
	e := start(t, Options{}, false)
	c := e.client()
	mustBucket(t, c, bkt, "")
	mustPut(t, c, bkt, "k", randomBytes(100, 6), "")
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bkt), Key: aws.String("k"), Range: aws.String("bytes=0-9"),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if got := getSums(out).got(); got != "/" {
		t.Errorf("ranged GetObject: %s, want no checksum", got)
	}
}

// Over HTTPS the SDK streams aws-chunked bodies with the checksum in a
// trailer: the trailer's checksum is the one stored, for objects and parts.
func TestTrailerChecksums(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		e := start(t, opts, true)
		c := e.client()
		mustBucket(t, c, bkt, "")
		data := randomBytes(3_000, 7)
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String("k"), Body: bytes.NewReader(data),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
		wantSum := want(checksum.CRC64NVME, checksum.Of(checksum.CRC64NVME, data), checksum.FullObject)
		if err != nil || putSums(out).got() != wantSum {
			t.Fatalf("PutObject over HTTPS: %v %s, want %s", err, putSums(out).got(), wantSum)
		}
		checkStored(t, c, "k", data, wantSum)
		id, done := uploadParts(t, c, "mpu", checksum.CRC32C, checksum.FullObject, true)
		res, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("mpu"),
			UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		value, typ := expectedMultipart(checksum.CRC32C, checksum.FullObject)
		if err != nil || completeSums(res).got() != want(checksum.CRC32C, value, typ) {
			t.Fatalf("CompleteMultipartUpload over HTTPS: %v %s", err, completeSums(res).got())
		}
	})
}

// ListMultipartUploads lists none in a bucket that never had an upload
// (gofakes3 answers NoSuchUpload), and the uploads in progress otherwise,
// so a copier's test can show it left none behind.
func TestListMultipartUploads(t *testing.T) {
	e := start(t, Options{}, false)
	c := e.client()
	mustBucket(t, c, bkt, "")
	list := func() []types.MultipartUpload {
		t.Helper()
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bkt)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Uploads
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("a bucket without uploads lists %d", len(got))
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("k"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || aws.ToString(got[0].UploadId) != aws.ToString(up.UploadId) {
		t.Fatalf("uploads %+v, want the one in progress", got)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bkt), Key: aws.String("k"), UploadId: up.UploadId}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("an aborted upload is still listed: %+v", got)
	}
	_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("no-such-bucket")})
	expectCode(t, err, "NoSuchBucket", http.StatusNotFound)
}
