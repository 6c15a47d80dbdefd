package metadata

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// The catalog entry is each file's exactly-once gate: one outcome per file
// per run whatever the deliveries, a give-up and a late success of the same
// file cannot both count, a skip or failure keeps the version the catalog
// had, and a late duplicate of an older run cannot overwrite a newer run's
// entry. The steps run in order against DynamoDB Local.
func TestCatalogGate(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	datasetID := uuid.NewString()
	t1 := time.Now().UTC()
	t2 := t1.Add(time.Minute)
	r1 := run.Run{RunId: uuid.NewString(), DatasetId: datasetID, StartedAt: &t1}
	r2 := run.Run{RunId: uuid.NewString(), DatasetId: datasetID, StartedAt: &t2}
	copied, failed, skipped := gateCopied, gateFailed, gateSkipped
	steps := []struct {
		name      string
		run       run.Run
		results   []run.FileResult
		committed int
	}{
		{"first copies", r1, []run.FileResult{copied(r1, "a.csv", "a1"), copied(r1, "d.csv", "d1")}, 2},
		{"a redelivered copy", r1, []run.FileResult{copied(r1, "a.csv", "a1")}, 0},
		{"a duplicate that gave up after the copy counted", r1, []run.FileResult{failed("a.csv")}, 0},
		{"a give-up", r1, []run.FileResult{failed("b.csv")}, 1},
		{"a late success after the give-up", r1, []run.FileResult{copied(r1, "b.csv", "b1")}, 0},
		{"a committed file among new ones", r1, []run.FileResult{copied(r1, "c.csv", "c1"), copied(r1, "a.csv", "a1"), skipped("e.csv")}, 2},
		{"a skip of a file never copied", r1, []run.FileResult{skipped("bb.csv")}, 1},
		{"the next run skips a file", r2, []run.FileResult{skipped("a.csv")}, 1},
		{"and copies another", r2, []run.FileResult{copied(r2, "b.csv", "b2"), copied(r2, "d.csv", "d2")}, 2},
		{"a late duplicate of the older run", r1, []run.FileResult{copied(r1, "d.csv", "d1"), failed("a.csv")}, 0},
		{"the next run's second outcome for a file", r2, []run.FileResult{copied(r2, "a.csv", "a2")}, 0},
	}
	done := map[string]int64{}
	for _, st := range steps {
		n, err := s.CommitFiles(ctx, st.run, st.results)
		if err != nil || n != st.committed {
			t.Fatalf("%s: committed %d (%v), want %d", st.name, n, err, st.committed)
		}
		done[st.run.RunId] += int64(n)
	}
	for _, r := range []run.Run{r1, r2} {
		totals, err := s.shardTotals(ctx, r.RunId)
		if err != nil || totals.TasksDone != done[r.RunId] {
			t.Errorf("run counted %d files done (%v), want %d", totals.TasksDone, err, done[r.RunId])
		}
	}
	// The catalog: versions, never the gate-only entry of a file never
	// copied (bb.csv and e.csv were only skipped).
	wantCatalog(t, s, datasetID, map[string]string{"a.csv": "a1", "b.csv": "b2", "c.csv": "c1", "d.csv": "d2"})
	// Which files each run has an outcome for (or a later run has).
	wantCommitted(t, s, r1, "a.csv", "b.csv", "c.csv", "d.csv", "e.csv")
	wantCommitted(t, s, r2, "a.csv", "b.csv", "d.csv")
	if _, err := s.CommitFiles(ctx, run.Run{RunId: uuid.NewString(), DatasetId: datasetID}, []run.FileResult{copied(r1, "g.csv", "g1")}); err == nil {
		t.Error("a commit of a run with no start time succeeded")
	}
}

func gateCopied(r run.Run, name, etag string) run.FileResult {
	return run.FileResult{Name: name, SourceKey: "in/" + name, Bytes: 10, File: &dataset.File{
		Name: name, SourceKey: "in/" + name, Size: 10, SourceETag: etag, RunId: r.RunId, IngestedAt: *r.StartedAt, State: dataset.InDLZ,
	}}
}

func gateFailed(name string) run.FileResult {
	return run.FileResult{Name: name, SourceKey: "in/" + name, Outcome: run.OutcomeFailed, Reason: "gave up"}
}

func gateSkipped(name string) run.FileResult {
	return run.FileResult{Name: name, SourceKey: "in/" + name, Outcome: run.OutcomeSkippedStorageClass, StorageClass: "GLACIER"}
}

// wantCatalog checks that listing the dataset's catalog, all at once or a
// file a page, and reading it by range, give the versions want (name to
// ETag) and nothing else.
func wantCatalog(t *testing.T, s *Store, datasetID string, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	files, _, err := s.ListFiles(ctx, datasetID, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, f := range files {
		listed[f.Name] = f.SourceETag
	}
	ranged, err := s.CatalogRange(ctx, datasetID, "a.csv", "z.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, etag := range want {
		if listed[name] != etag || ranged[name].SourceETag != etag {
			t.Errorf("%s: listed %q, in range %q, want %q", name, listed[name], ranged[name].SourceETag, etag)
		}
	}
	if len(listed) != len(want) || len(ranged) != len(want) {
		t.Errorf("catalog lists %v and ranges %d entries, want %v", listed, len(ranged), want)
	}
	// One file a page: a gate-only entry never makes a page come back short,
	// and the last page, even one followed by gate-only entries, has no
	// token that would lead to an empty page.
	var paged []string
	for next, pages := "", 0; ; pages++ {
		page, n, err := s.ListFiles(ctx, datasetID, 1, next)
		if err != nil || pages > len(want) || len(page) > 1 || len(page) == 0 && len(want) > 0 {
			t.Fatalf("page %d: %v, next %q (%v)", pages, page, n, err)
		}
		for _, f := range page {
			paged = append(paged, f.Name)
		}
		if next = n; next == "" {
			break
		}
	}
	if names := slices.Sorted(maps.Keys(want)); !slices.Equal(paged, names) {
		t.Errorf("paged through %v, want %v", paged, names)
	}
}

// wantCommitted checks which of a few names (and of many more, never
// committed: more than one BatchGetItem holds) have an outcome committed
// by r or a later run.
func wantCommitted(t *testing.T, s *Store, r run.Run, want ...string) {
	t.Helper()
	names := []string{"a.csv", "b.csv", "c.csv", "d.csv", "e.csv", "f.csv"}
	for i := range 150 {
		names = append(names, fmt.Sprintf("never/%03d.csv", i))
	}
	got, err := s.CommittedTasks(context.Background(), r, names)
	if err != nil {
		t.Fatal(err)
	}
	if gotNames := slices.Sorted(maps.Keys(got)); !slices.Equal(gotNames, want) {
		t.Errorf("committed for the run started %v: %v, want %v", r.StartedAt, gotNames, want)
	}
}
