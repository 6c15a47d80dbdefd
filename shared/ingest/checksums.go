package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Sum is an object's checksum as S3 reports it. Every copy asks S3 for a
// full-object one and checks it (see Copier); the catalog entry keeps it
// as String writes it.
type Sum struct {
	Algorithm checksum.Algorithm
	Value     string        // Base64, as S3 sends it; a COMPOSITE one ends in "-<parts>"
	Type      checksum.Type // "" is FULL_OBJECT
}

// Known says whether s holds a checksum at all.
func (s Sum) Known() bool { return s.Algorithm != "" && s.Value != "" }

// fullObject says whether s is a checksum of the whole object's bytes,
// which a copy made with s's algorithm must reproduce.
func (s Sum) fullObject() bool { return s.Known() && s.Type != checksum.Composite }

// String is the catalog's form of s, "<ALGORITHM>:<Base64>" (for example
// "CRC64NVME:Rnr2/5P7Gsk="), "" for no checksum.
func (s Sum) String() string {
	if !s.Known() {
		return ""
	}
	return string(s.Algorithm) + ":" + s.Value
}

// ParseSum reads a catalog entry's checksum (String's form); the zero Sum
// for "" or anything else it cannot read.
func ParseSum(v string) Sum {
	name, value, ok := strings.Cut(v, ":")
	a, known := checksum.Parse(name)
	if !ok || !known || value == "" {
		return Sum{}
	}
	return Sum{Algorithm: a, Value: value, Type: checksum.FullObject}
}

// copyAlgorithm is the checksum a copy asks S3 for: the source's own
// full-object algorithm, so that the two can be compared (for a multipart
// copy only a CRC: S3 has no full-object SHA of a multipart object), else
// CRC64NVME, S3's default.
func copyAlgorithm(src Sum, multipart bool) checksum.Algorithm {
	if src.fullObject() && (!multipart || src.Algorithm.IsCRC()) {
		return src.Algorithm
	}
	return checksum.CRC64NVME
}

// sumFields are the Checksum<ALG> fields of one S3 input or output.
type sumFields struct {
	crc32, crc32c, crc64nvme, sha1, sha256 **string
}

func (f sumFields) field(a checksum.Algorithm) **string {
	switch a {
	case checksum.CRC32:
		return f.crc32
	case checksum.CRC32C:
		return f.crc32c
	case checksum.CRC64NVME:
		return f.crc64nvme
	case checksum.SHA1:
		return f.sha1
	case checksum.SHA256:
		return f.sha256
	}
	return nil
}

// set puts value in the field of algorithm a.
func (f sumFields) set(a checksum.Algorithm, value string) {
	if p := f.field(a); p != nil {
		*p = aws.String(value)
	}
}

// sum reads the checksum the fields hold (S3 sends one at most).
func (f sumFields) sum(typ types.ChecksumType) Sum {
	for _, a := range checksum.Algorithms {
		if p := f.field(a); p != nil && aws.ToString(*p) != "" {
			return Sum{Algorithm: a, Value: aws.ToString(*p), Type: checksum.Type(typ)}
		}
	}
	return Sum{}
}

func headFields(o *s3.HeadObjectOutput) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func getFields(o *s3.GetObjectOutput) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func copyResultFields(o *types.CopyObjectResult) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func copyPartFields(o *types.CopyPartResult) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func putInFields(in *s3.PutObjectInput) sumFields {
	return sumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

func putOutFields(o *s3.PutObjectOutput) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func partInFields(in *s3.UploadPartInput) sumFields {
	return sumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

func partOutFields(o *s3.UploadPartOutput) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

func completedPartFields(p *types.CompletedPart) sumFields {
	return sumFields{&p.ChecksumCRC32, &p.ChecksumCRC32C, &p.ChecksumCRC64NVME, &p.ChecksumSHA1, &p.ChecksumSHA256}
}

func completeInFields(in *s3.CompleteMultipartUploadInput) sumFields {
	return sumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

func completeOutFields(o *s3.CompleteMultipartUploadOutput) sumFields {
	return sumFields{&o.ChecksumCRC32, &o.ChecksumCRC32C, &o.ChecksumCRC64NVME, &o.ChecksumSHA1, &o.ChecksumSHA256}
}

// ChecksumMismatch says that a copy's bytes are not the source's: a
// checksum of the copy (Got, GotOf says which) differs from the one it
// must equal (Want, of WantOf). Nothing of the copy is kept; the file
// fails with Error as its reason.
type ChecksumMismatch struct {
	GotOf, WantOf string
	Got, Want     Sum
}

func (e *ChecksumMismatch) Error() string {
	return fmt.Sprintf("checksum mismatch: %s is %s, %s is %s; the copy was not kept", e.GotOf, e.Got, e.WantOf, e.Want)
}

// agree checks got against want when both are checksums of one algorithm
// and want is a full-object one; an unknown got (S3 sent none) is no
// disagreement.
func agree(wantOf string, want Sum, gotOf string, got Sum) error {
	if !want.fullObject() || !got.Known() || got.Algorithm != want.Algorithm {
		return nil
	}
	if got.Type == checksum.Composite || got.Value != want.Value {
		return &ChecksumMismatch{GotOf: gotOf, WantOf: wantOf, Got: got, Want: want}
	}
	return nil
}

// written is the checksum to record for a copy: S3's, or, when S3 sent
// none, the one the copy was checked against.
func written(got, want Sum) Sum {
	if got.Known() {
		return Sum{Algorithm: got.Algorithm, Value: got.Value, Type: checksum.FullObject}
	}
	return want
}

// sourceSum reads the source object's checksum (HeadObject with
// x-amz-checksum-mode: ENABLED), conditional on its ETag like the copy.
// S3 lists only a checksum's algorithm, so a server-side copy, whose bytes
// the worker never sees, has no other way to learn the value it must
// reproduce.
func (c *Copier) sourceSum(ctx context.Context, bucket, key, etag string) (Sum, error) {
	out, err := c.Target.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: ifMatch(etag),
		ChecksumMode: types.ChecksumModeEnabled, ExpectedBucketOwner: nonEmptyString(c.SourceOwner),
	})
	if err != nil {
		return Sum{}, err
	}
	return headFields(out).sum(out.ChecksumType), nil
}

// discard removes an object a copy wrote whose checksum disagreed, with
// the worker's own role (a connection's session may write the zones, not
// delete from them), and returns the mismatch.
func (c *Copier) discard(ctx context.Context, bucket, key string, mismatch error) error {
	remover := c.own
	if remover == nil {
		remover = c.Target
	}
	if _, err := remover.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("remove the copy whose checksum disagrees: %w (%v)", err, mismatch)
	}
	return mismatch
}

// mismatchReason is the failure reason of a copy whose checksum disagreed.
func mismatchReason(err error) (string, bool) {
	var m *ChecksumMismatch
	if errors.As(err, &m) {
		return m.Error(), true
	}
	return "", false
}

// copiedChecksum is the checksum copyIn recorded for a copied file.
func copiedChecksum(res run.FileResult) string {
	if res.File == nil {
		return ""
	}
	return res.File.Checksum
}

// moveFailed fails a file whose move to the DLZ disagreed with its LZ
// copy's checksum: the DLZ copy is gone already, and the LZ copy goes too,
// since no catalog entry will name it.
func (w *Worker) moveFailed(ctx context.Context, t Task, reason string) (run.FileResult, error) {
	if _, err := w.Copier.Target.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(w.LZBucket), Key: aws.String(t.TargetKey)}); err != nil {
		return run.FileResult{Name: t.Name, SourceKey: t.Key}, fmt.Errorf("remove from LZ after a checksum mismatch: %w", err)
	}
	return failedFile(t, reason), nil
}
