package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// unsafeKeys are source keys that must not become part of a zone key, with
// a word of the reason each is skipped with (rules.UnsafeName). Keys with
// C0 controls such as U+0001, which XML 1.0 cannot carry, reach the
// planner because it lists with encoding-type=url (source.List): without
// it, one such key made the whole listing page unreadable.
var unsafeKeys = map[string]string{
	"start\x01.csv":       "U+0001",
	"bell\x07.csv":        "U+0007",
	"nl\n.csv":            "U+000A",
	"a/../b.csv":          `".." path segment`,
	"./c.csv":             `"." path segment`,
	"x//y.csv":            "empty path segment",
	"upload_date=1/z.csv": "upload_date= path segment",
	"del\x7f.csv":         "U+007F",
	"c1\u0085.csv":        "U+0085",
	"evil\u202Evsc.csv":   "U+202E",
	"./archived.csv":      `"." path segment`, // in Glacier: 1.6 skips it rather than failing the run
}

// Files whose keys are unsafe in the data lake are skipped and listed with
// their reason, in every version (1.6 too, though one is archived), the run
// succeeds with counts that add up, and only the safe file lands: no LZ or
// DLZ key and no catalog entry holds the others.
func TestUnsafeKeysAreSkipped(t *testing.T) {
	const bucket, user = "safe-keys", "safekeys"
	body := []byte("id,name\n1,x\n")
	files := []srcFile{{"ok.csv", body, ""}}
	for k := range unsafeKeys {
		class := s3types.StorageClass("")
		if strings.Contains(k, "archived") {
			class = s3types.StorageClassGlacier
		}
		files = append(files, srcFile{k, body, class})
	}
	putFiles(t, bucket, files)
	n := len(unsafeKeys)
	for _, version := range []string{"1.6", "1.8"} {
		t.Run(version, func(t *testing.T) {
			dsID, sch := setup(t, user, bucket, version, "csv", "", false)
			r := runToEnd(t, user, sch)
			if r["State"] != "succeeded" {
				t.Fatalf("run: %v", r)
			}
			wantCounts(t, r, map[string]int{"Listed": n + 1, "Matched": n + 1, "SkippedUnsafeKey": n, "TasksPlanned": 1,
				"TasksDone": 1, "Copied": 1, "SkippedUnchanged": 0, "Failed": 0})
			wantUnsafeSkipped(t, r)
			wantOnlySafeFile(t, user, dsID)
			again := runToEnd(t, user, sch)
			wantCounts(t, again, map[string]int{"Matched": n + 1, "SkippedUnsafeKey": n, "SkippedUnchanged": 1, "TasksPlanned": 0, "Copied": 0})
			wantUnsafeSkipped(t, again)
			wantOnlySafeFile(t, user, dsID)
		})
	}
}

// wantUnsafeSkipped checks that run r lists every unsafe key as skipped,
// with its reason, and fails none.
func wantUnsafeSkipped(t *testing.T, r map[string]any) {
	t.Helper()
	var want []string
	for k := range unsafeKeys {
		want = append(want, k)
	}
	slices.Sort(want)
	if got := names(r["SkippedFiles"]); !slices.Equal(got, want) {
		t.Errorf("skipped %q, want %q", got, want)
	}
	for _, f := range r["SkippedFiles"].([]any) {
		f := f.(map[string]any)
		name, _ := f["Name"].(string)
		if f["Outcome"] != "skipped_unsafe_key" || f["SourceKey"] != name || !strings.Contains(fmt.Sprint(f["Reason"]), unsafeKeys[name]) {
			t.Errorf("skipped file %q: %v", name, f)
		}
	}
	if failed := r["FailedFiles"].([]any); len(failed) != 0 {
		t.Errorf("failed files %v", failed)
	}
}

// wantOnlySafeFile checks that the dataset's zones and catalog hold
// ok.csv alone.
func wantOnlySafeFile(t *testing.T, user, dsID string) {
	t.Helper()
	_, d := call(t, user, "GET", "/datasets/"+dsID, nil)
	prefix := fmt.Sprintf("%s/%s/", d["Domain"], d["DatasetName"])
	for _, bucket := range []string{plat.Config.DLZBucket, plat.Config.LZBucket} {
		got := keys(t, bucket, prefix)
		for _, k := range got {
			if !strings.HasSuffix(k, "/ok.csv") {
				t.Errorf("%s holds %q", bucket, k)
			}
		}
		if bucket == plat.Config.DLZBucket && len(got) != 1 {
			t.Errorf("DLZ holds %q, want ok.csv once", got)
		}
	}
	_, catalog := call(t, user, "GET", "/datasets/"+dsID+"/files", nil)
	if got := names(catalog["Files"]); !slices.Equal(got, []string{"ok.csv"}) {
		t.Errorf("catalog holds %q, want ok.csv", got)
	}
}
