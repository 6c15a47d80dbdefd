package e2e

import (
	"fmt"
	"strings"
	"testing"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A 1.6 run whose check pass spans planner invocations (one listing page
// each here) fails before copying anything on the archived files of every
// page, not only those of the invocation that reached the listing's end;
// it lists the run's first 100 of them, counts them all in its reason, and
// records everything it listed.
func TestCheckPassOfManyInvocationsRejectsTheRun(t *testing.T) {
	const n = 1000 + 7 // two listing pages
	files := make([]srcFile, n)
	for i := range files {
		files[i] = srcFile{key: fmt.Sprintf("many/%05d.txt", i), body: []byte(fmt.Sprint(i))}
		if i%10 == 0 { // 100 on the first page, 1 on the second
			files[i].class = s3types.StorageClassGlacier
		}
	}
	putFilesParallel(t, "check-pass-chain", files)
	dsID, sch := setup(t, "checker", "check-pass-chain", "1.6", "txt", "many/", false)
	r := runToEnd(t, "checker", sch)
	want := "101 matched files are in other classes (FailedFiles lists the first 100)"
	if r["State"] != "failed" || !strings.Contains(fmt.Sprint(r["Reason"]), want) {
		t.Fatalf("run: %v %q, want failed saying %q", r["State"], r["Reason"], want)
	}
	wantCounts(t, r, map[string]int{"Listed": n, "Matched": n, "TasksPlanned": 0, "TasksDone": 0, "Copied": 0, "Failed": 0})
	failed := r["FailedFiles"].([]any)
	if len(failed) != 100 {
		t.Errorf("FailedFiles lists %d files, want the first 100", len(failed))
	}
	for _, f := range failed {
		if f := f.(map[string]any); f["Outcome"] != "rejected_storage_class" || f["StorageClass"] != "GLACIER" || f["Name"] == "01000.txt" {
			t.Errorf("listed %v, want the first page's Glacier files", f)
		}
	}
	if _, out := call(t, "checker", "GET", "/datasets/"+dsID+"/files", nil); len(out["Files"].([]any)) != 0 {
		t.Errorf("the rejected run copied files: %v", out["Files"])
	}
}
