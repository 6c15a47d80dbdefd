package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Every copied file's catalog entry carries S3's checksum of its copy,
// equal to the source's own (a CopyObject, and an UploadPartCopy for
// big.csv, over the suite's 5 MiB copy threshold). A copy corrupted
// between source and target (the local S3's copy fault), on the way into
// the LZ or on the move to the DLZ, fails that file with a reason naming
// both checksums, and neither zone keeps it; the run still ends.
func TestChecksumsEndToEnd(t *testing.T) {
	const bucket = "checksummed-source"
	files := []srcFile{
		{"in/a.csv", []byte("id,name\n1,a\n"), ""},
		{"in/big.csv", bigCSV(), ""},
		{"in/corrupt-in.csv", []byte("id,name\n2,b\n"), ""},
		{"in/corrupt-move.csv", []byte("id,name\n3,c\n"), ""},
	}
	putFiles(t, bucket, files)
	dsID, sch := setup(t, "ingester", bucket, "1.8", "csv", "in/", false)
	prefix := datasetName(t, dsID) + "/"
	lz, dlz := plat.Config.LZBucket, plat.Config.DLZBucket
	plat.S3.CorruptCopies(func(b, key string) bool {
		return strings.HasPrefix(key, prefix) && (b == lz && strings.HasSuffix(key, "/corrupt-in.csv") || b == dlz && strings.HasSuffix(key, "/corrupt-move.csv"))
	})
	t.Cleanup(func() { plat.S3.CorruptCopies(nil) })

	r := runToEnd(t, "ingester", sch)
	wantCounts(t, r, map[string]int{"Matched": 4, "Copied": 2, "Failed": 2})
	if r["State"] != "failed" {
		t.Errorf("run state %v, want failed (two files failed)", r["State"])
	}
	sums := sourceChecksums(t, bucket, files)
	for _, f := range r["FailedFiles"].([]any) {
		f := f.(map[string]any)
		reason := fmt.Sprint(f["Reason"])
		if want := sums["in/"+fmt.Sprint(f["Name"])]; f["Outcome"] != "failed" || !strings.Contains(reason, "checksum mismatch") || !strings.Contains(reason, want) {
			t.Errorf("failed file %v: want a checksum mismatch naming the source's %s", f, want)
		}
	}
	if got := names(r["FailedFiles"]); !slices.Equal(got, []string{"corrupt-in.csv", "corrupt-move.csv"}) {
		t.Errorf("failed files %v", got)
	}
	if got := stripPartition(keys(t, dlz, prefix)); !slices.Equal(got, []string{"a.csv", "big.csv"}) {
		t.Errorf("DLZ holds %v, want only the verified copies", got)
	}
	if got := keys(t, lz, prefix); len(got) != 0 {
		t.Errorf("LZ holds %v, want nothing", got)
	}
	_, listing := call(t, "ingester", "GET", "/datasets/"+dsID+"/files", nil)
	entries := listing["Files"].([]any)
	if len(entries) != 2 {
		t.Fatalf("catalog lists %v, want a.csv and big.csv", entries)
	}
	for _, e := range entries {
		e := e.(map[string]any)
		if want := sums["in/"+fmt.Sprint(e["Name"])]; e["Checksum"] != want || want == "" {
			t.Errorf("catalog entry %v: Checksum %v, want the source's %s", e["Name"], e["Checksum"], want)
		}
	}
}

// sourceChecksums are the full-object checksums S3 keeps for files, in the
// catalog's form.
func sourceChecksums(t *testing.T, bucket string, files []srcFile) map[string]string {
	t.Helper()
	c := sourceS3(t)
	out := map[string]string{}
	for _, f := range files {
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.key), ChecksumMode: s3types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		for alg, v := range map[string]*string{"CRC32": h.ChecksumCRC32, "CRC32C": h.ChecksumCRC32C, "CRC64NVME": h.ChecksumCRC64NVME} {
			if v != nil && h.ChecksumType == s3types.ChecksumTypeFullObject {
				out[f.key] = alg + ":" + *v
			}
		}
	}
	return out
}
