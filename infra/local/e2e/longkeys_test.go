package e2e

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
// 1,019 bytes, longer than a DynamoDB sort key allows with its prefix, and
// too long for a key in the data lake (<domain>/<dataset>/upload_date=…/
// <name>), which S3 would refuse: the worker records them as failed with
// the reason (the Glacier one is skipped first), the run's lists show the
// names in full, the short file is copied, and a re-run tries the failed
// ones again while the short one is unchanged. Exact counts throughout.
func TestLongKeysAreRecordedInFull(t *testing.T) {
	const bucket, user = "long-keys", "longkeys"
	csv := []byte("id,name\n1,x\n")
	long := []string{
		longKey("a", ".csv"),
		longKey("m", "")[:5+949] + "€" + strings.Repeat("m", 63) + ".csv", // the 950-byte cut falls inside €
		longKey("é", "x.csv"),
		longKey("s", "/one.csv"), // these two differ only in their last 7 bytes
		longKey("s", "/two.csv"),
	}
	const short = "long/short.csv"
	glacier, empty := longKey("g", ".csv"), longKey("e", ".csv")
	files := []srcFile{{short, csv, ""}, {glacier, csv, s3types.StorageClassGlacier}, {empty, nil, ""}}
	for _, k := range long {
		files = append(files, srcFile{k, csv, ""})
	}
	for _, f := range files[1:] {
		if len(f.key) != 1024 {
			t.Fatalf("test key of %d bytes, want 1,024", len(f.key))
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
	failed := append(slices.Clone(long), empty)

	dsID, sch := setup(t, user, bucket, "1.7", "csv", "long/", false)
	r := runToEnd(t, user, sch)
	if r["State"] != "failed" {
		t.Fatalf("run: %v %v", r["State"], r["Reason"])
	}
	wantCounts(t, r, map[string]int{"Listed": 8, "Matched": 8, "Copied": 1, "SkippedStorageClass": 1, "FailedValidation": 0,
		"Failed": 6, "SkippedUnchanged": 0, "TasksPlanned": 8, "TasksDone": 8})
	sameNames("skipped files", namesOf(r["SkippedFiles"]), namesFor(glacier))
	sameNames("failed files", namesOf(r["FailedFiles"]), namesFor(failed...))
	for _, f := range r["FailedFiles"].([]any) {
		if reason := f.(map[string]any)["Reason"].(string); !strings.Contains(reason, "S3 allows 1024") {
			t.Errorf("failed with %q", reason)
		}
	}

	// The catalog, through page tokens.
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
	sameNames("catalog", catalog, namesFor(short))

	lz, dlz := plat.Config.LZBucket, plat.Config.DLZBucket
	_, ds := call(t, user, "GET", "/datasets/"+dsID, nil)
	prefix := fmt.Sprintf("%s/%s/upload_date=", ds["Domain"], ds["DatasetName"])
	sameNames("DLZ", stripPartition(keys(t, dlz, prefix)), namesFor(short))
	sameNames("LZ", stripPartition(keys(t, lz, prefix)), nil)

	r = runToEnd(t, user, sch)
	wantCounts(t, r, map[string]int{"Listed": 8, "Matched": 8, "SkippedUnchanged": 1, "Copied": 0, "SkippedStorageClass": 1,
		"FailedValidation": 0, "Failed": 6, "TasksPlanned": 7, "TasksDone": 7})
	sameNames("failed files on the re-run", namesOf(r["FailedFiles"]), namesFor(failed...))
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
