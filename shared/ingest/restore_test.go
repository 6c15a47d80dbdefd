package ingest

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// An archived file of a dataset that restores is restored once: its first
// delivery requests the restore; a redelivery, or the next run, finds it in
// progress and requests nothing. Whichever duplicate commits first, the
// run counts the restore as its own; a later run does not.
func TestRestoreRequestedOnce(t *testing.T) {
	mem := newMemS3(t)
	mem.put("src", "g.csv", memObject{body: []byte("a\n"), class: types.StorageClassGlacier})
	conn := connection.Connection{ConnectionId: "c", S3Bucket: "src", ConnectionAccessType: connection.BucketPolicy, Version: rules.V1_8}
	store := &connStore{taskStore: taskStore{commits: map[string]commit{}}, conn: conn}
	w := &Worker{
		Store: store, Sources: memSources{mem}, Copier: &Copier{Target: mem, KMSKeyID: "key", CopyThreshold: DefaultCopyThreshold, PartSize: DefaultPartSize},
		LZBucket: testLZ, DLZBucket: testDLZ, Log: slog.New(slog.DiscardHandler),
		RestoreWaits: rules.RestoreWaits{"GLACIER/Bulk": time.Hour}, Now: func() time.Time { return testRunStart.Add(10 * time.Second) },
	}
	task := Task{RunId: "r1", DatasetId: "d", ConnectionId: "c", Bucket: "src", Key: "g.csv", Name: "g.csv", StorageClass: "GLACIER",
		Version: rules.V1_8, FileType: dataset.CSV, TargetKey: "t", RunStarted: testRunStart, ScheduleId: "s",
		Restore: &rules.RestoreArchived{Tier: rules.Bulk, Days: 3}}
	ingest := func(task Task) run.FileResult {
		t.Helper()
		res, err := w.ingest(context.Background(), task)
		if err != nil || res.Outcome != run.OutcomeRestoring || res.Restore == nil || !strings.Contains(res.Reason, "Bulk") {
			t.Fatalf("outcome %+v, %v: want restoring", res, err)
		}
		return res
	}
	restores := func() int { return strings.Count(strings.Join(mem.calls, ","), "RestoreObject") }

	first := ingest(task)
	if !first.Restore.Requested || restores() != 1 || first.Restore.CostMicroUSD <= 0 {
		t.Fatalf("first delivery: %+v, calls %v", first.Restore, mem.calls)
	}
	if want := first.Restore.RequestedAt.Add(time.Hour); !first.Restore.ReadyAt.Equal(want) {
		t.Errorf("ready at %v, want %v (the setting's wait)", first.Restore.ReadyAt, want)
	}
	again := ingest(task) // a duplicate delivery, before either committed
	if !again.Restore.Requested || restores() != 1 {
		t.Fatalf("duplicate delivery: %+v, calls %v", again.Restore, mem.calls)
	}
	if c := run.CountsOf([]run.FileResult{again}); c.Restoring != 1 || c.RestoreRequested != 1 || c.RestoreCostMicroUSD != first.Restore.CostMicroUSD {
		t.Errorf("counts of the duplicate %+v", c)
	}
	if _, err := store.CommitOutcomes(context.Background(), run.Run{RunId: "r1", DatasetId: "d"}, []run.FileResult{first}); err != nil {
		t.Fatal(err)
	}
	next := task
	next.RunId, next.RunStarted = "r2", testRunStart.Add(time.Minute)
	later := ingest(next)
	if later.Restore.Requested || restores() != 1 || !later.Restore.RequestedAt.Equal(*first.Restore.RequestedAt) {
		t.Fatalf("next run: %+v, calls %v", later.Restore, mem.calls)
	}
	if c := run.CountsOf([]run.FileResult{later}); c.Restoring != 1 || c.RestoreRequested != 0 || c.RestoreCostMicroUSD != 0 {
		t.Errorf("counts of the next run %+v", c)
	}

	// Restored: copied, and its commit ends the pending restore.
	o, _ := mem.get("src", "g.csv")
	o.restore = `ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"`
	mem.put("src", "g.csv", o)
	res, err := w.ingest(context.Background(), next)
	if err != nil || res.Outcome != "" || !res.Restored || !res.EndsRestore || restores() != 1 {
		t.Fatalf("restored file: %+v, %v", res, err)
	}
}
