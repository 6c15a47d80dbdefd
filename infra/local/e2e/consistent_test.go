package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A run sees its source as it was when it started: a file written in the
// second the run started (or later) is counted as Deferred, not copied,
// and the next run copies it: never both, never lost. S3 keeps times to
// the second, so the test writes the file at the start of a second and
// starts the run at once, and checks from the run's StartedAt and the
// object's LastModified that they share a second (trying again in the
// rare case they do not).
func TestFilesWrittenAfterTheStartWaitForTheNextRun(t *testing.T) {
	const bucket, user = "consistent-runs", "consistent"
	putFiles(t, bucket, []srcFile{{"in/old.csv", []byte("id\n1\n"), ""}})
	dsID, sch := setup(t, user, bucket, "1.8", "csv", "in/", false)
	first := runToEnd(t, user, sch)
	wantCounts(t, first, map[string]int{"Matched": 1, "Copied": 1, "Deferred": 0})
	for attempt := 0; ; attempt++ {
		name := fmt.Sprintf("in/new-%d.csv", attempt)
		nextSecond()
		putObjects(t, bucket, []srcFile{{name, []byte("id\n2\n"), ""}})
		r := runToEnd(t, user, sch)
		if !sameSecond(t, bucket, name, r) {
			if attempt == 4 {
				t.Fatalf("the run never started in the second its file was written: %v", r)
			}
			continue
		}
		wantCounts(t, r, map[string]int{"Matched": attempt + 2, "SkippedUnchanged": attempt + 1, "Deferred": 1, "TasksPlanned": 0, "Copied": 0})
		if inDLZ(t, user, dsID, name) {
			t.Fatalf("%s was copied by the run it was deferred in", name)
		}
		nextSecond() // the next run starts in a later second
		next := runToEnd(t, user, sch)
		wantCounts(t, next, map[string]int{"Copied": 1, "Deferred": 0, "TasksPlanned": 1})
		if !inDLZ(t, user, dsID, name) {
			t.Fatalf("%s was not copied by the next run", name)
		}
		return
	}
}

// sameSecond says whether run r started in the second key was written in.
func sameSecond(t *testing.T, bucket, key string, r map[string]any) bool {
	t.Helper()
	h, err := sourceS3(t).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	started, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r["StartedAt"]))
	if err != nil {
		t.Fatalf("StartedAt %v: %v", r["StartedAt"], err)
	}
	return aws.ToTime(h.LastModified).Truncate(time.Second).Equal(started.Truncate(time.Second))
}

// inDLZ says whether the dataset's DLZ prefix holds a file named name.
func inDLZ(t *testing.T, user, dsID, name string) bool {
	t.Helper()
	_, d := call(t, user, "GET", "/datasets/"+dsID, nil)
	for _, k := range keys(t, plat.Config.DLZBucket, fmt.Sprintf("%s/%s/", d["Domain"], d["DatasetName"])) {
		if strings.HasSuffix(k, "/"+strings.TrimPrefix(name, "in/")) {
			return true
		}
	}
	return false
}
