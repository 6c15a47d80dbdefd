//go:build scale

package reliability

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/inventorygen"
)

// TestInventoryScale100k: a dataset of SCALE_OBJECTS (default 100,000)
// objects planned from its inventory report, one page per planner
// invocation (a chain of 100 that each skip to their row), with zero
// ListObjectsV2 calls on the source bucket, every object copied once.
// `make test-scale`.
func TestInventoryScale100k(t *testing.T) {
	noFaults(t)
	n := 100_000
	if v, _ := strconv.Atoi(os.Getenv("SCALE_OBJECTS")); v > 0 {
		n = v
	}
	f := newFixture(t, n, 0, true, false)
	ctx := context.Background()
	invBucket := f.bucket + "-inv"
	if _, err := f.source.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(invBucket)}); err != nil {
		t.Fatal(err)
	}
	loc := inventorygen.Location(invBucket, "inventory", f.bucket, "daily")
	if _, listed, err := inventorygen.Generate(ctx, f.source, f.bucket, loc, time.Now().UTC()); err != nil || listed != n {
		t.Fatalf("inventory of %d objects: %v", listed, err)
	}
	f.setInventory(t, loc, 200)
	f.attachInventoryPolicy(t, invBucket)
	before := plat.Faults.S3.Counts().ByBucket
	started := time.Now()
	runID := f.start(t)
	var r map[string]any
	for deadline := time.Now().Add(50 * time.Minute); ; time.Sleep(2 * time.Second) {
		if _, r = api(t, f.user, "GET", "/runs/"+runID, nil); r["State"] == "succeeded" || r["State"] == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not end: %v", r)
		}
	}
	after := plat.Faults.S3.Counts().ByBucket
	t.Logf("%d objects planned from the inventory and copied in %s; ListObjectsV2 calls: source %d, inventory %d",
		n, time.Since(started).Round(time.Second), after["ListObjectsV2 "+f.bucket]-before["ListObjectsV2 "+f.bucket],
		after["ListObjectsV2 "+invBucket]-before["ListObjectsV2 "+invBucket])
	if r["State"] != "succeeded" {
		t.Fatalf("run %v", r)
	}
	wantCounts(t, r, map[string]int{"Listed": n, "Matched": n, "TasksPlanned": n, "Copied": n, "Failed": 0})
	if d := after["ListObjectsV2 "+f.bucket] - before["ListObjectsV2 "+f.bucket]; d != 0 {
		t.Errorf("%d ListObjectsV2 calls on the source bucket, want 0", d)
	}
}
