package stack

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// longKey is "long/" + fill repeated + tail, exactly 1,024 bytes (S3's
// limit on a key) when fill is one byte or divides the space left.
func longKey(fill, tail string) string {
	n := (1024 - len("long/") - len(tail)) / len(fill)
	return "long/" + strings.Repeat(fill, n) + tail
}

// Source keys of 1,024 bytes, the longest S3 allows, are file names of
// 1,019 bytes, longer than a DynamoDB sort key allows with its prefix:
// the run ends with exact counts, the catalog and the run's lists show the
// names in full (through page tokens too), and a re-run finds them unchanged.
func TestLongKeysIngestAndRerun(t *testing.T) {
	const bucket, user = "long-keys", "longkeys"
	csv := []byte("id,name\n1,x\n")
	copied := []string{
		longKey("a", ".csv"),
		longKey("m", "")[:5+949] + "€" + strings.Repeat("m", 63) + ".csv", // the 950-byte cut falls inside €
		longKey("é", "x.csv"),
		longKey("s", "/one.csv"), // these two differ only in their last 7 bytes
		longKey("s", "/two.csv"),
		"long/short.csv",
	}
	glacier, empty := longKey("g", ".csv"), longKey("e", ".csv")
	var files []srcFile
	for _, k := range append(slices.Clone(copied), glacier, empty) {
		if k != "long/short.csv" && len(k) != 1024 {
			t.Fatalf("test key of %d bytes, want 1,024", len(k))
		}
		switch k {
		case glacier:
			files = append(files, srcFile{k, csv, s3types.StorageClassGlacier})
		case empty:
			files = append(files, srcFile{k, nil, ""})
		default:
			files = append(files, srcFile{k, csv, ""})
		}
	}
	putFiles(t, bucket, files)
	name := func(k string) string { return strings.TrimPrefix(k, "long/") }
	namesFor := func(keys ...string) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = name(k)
		}
		slices.Sort(out)
		return out
	}
	sameNames := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d names %v, want %d (in full)", what, len(got), lengths(got), len(want))
		}
	}

	dsID, sch := setup(t, user, bucket, "1.7", "csv", "long/", false)
	r := runToEnd(t, user, sch)
	if r["State"] != "succeeded" {
		t.Fatalf("run: %v %v", r["State"], r["Reason"])
	}
	wantCounts(t, r, map[string]int{"Listed": 8, "Matched": 8, "Copied": 6, "SkippedStorageClass": 1, "FailedValidation": 1,
		"Failed": 0, "SkippedUnchanged": 0, "TasksPlanned": 8, "TasksDone": 8})
	sameNames("skipped files", namesOf(r["SkippedFiles"]), namesFor(glacier))
	sameNames("failed files", namesOf(r["FailedFiles"]), namesFor(empty))

	// The catalog, two entries a page: page tokens of long names' keys.
	var catalog []string
	next := ""
	for pages := 0; ; pages++ {
		status, out := call(t, user, "GET", "/datasets/"+dsID+"/files?limit=2&next="+next, nil)
		if status != http.StatusOK || pages > 10 {
			t.Fatalf("files page %d: %d %.300v", pages, status, out)
		}
		catalog = append(catalog, namesOf(out["Files"])...)
		if out["Next"] == nil {
			break
		}
		next = out["Next"].(string)
	}
	slices.Sort(catalog)
	sameNames("catalog", catalog, namesFor(append(slices.Clone(copied), empty)...))

	lz, dlz := plat.Config.LZBucket, plat.Config.DLZBucket
	_, ds := call(t, user, "GET", "/datasets/"+dsID, nil)
	prefix := fmt.Sprintf("tests/%s/upload_date=", ds["DatasetName"])
	sameNames("DLZ", stripPartition(keys(t, dlz, prefix)), namesFor(copied...))
	sameNames("LZ", stripPartition(keys(t, lz, prefix)), namesFor(empty))

	r = runToEnd(t, user, sch)
	if r["State"] != "succeeded" {
		t.Fatalf("re-run: %v %v", r["State"], r["Reason"])
	}
	wantCounts(t, r, map[string]int{"Listed": 8, "Matched": 8, "SkippedUnchanged": 7, "Copied": 0, "SkippedStorageClass": 1,
		"FailedValidation": 0, "Failed": 0, "TasksPlanned": 1, "TasksDone": 1})
}

// namesOf is names (of ingest_test.go) for a list that may be absent.
func namesOf(list any) []string {
	if list == nil {
		return nil
	}
	return names(list)
}

func lengths(names []string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = len(n)
	}
	return out
}
