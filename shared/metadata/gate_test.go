package metadata

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// The catalog entry is each file's exactly-once gate: one outcome per file
// per run whatever the deliveries, a give-up and a late success of the same
// file cannot both count, a skip or failure keeps the version the catalog
// had, and a late duplicate of an older run cannot overwrite a newer run's
// entry. The steps run in order against DynamoDB Local, twice: with no
// planner's hint, and with every copy hinted as a file the catalog did not
// hold (inserted in a batch where true, refused and put where stale).
func TestCatalogGate(t *testing.T) {
	for _, hint := range []bool{false, true} {
		t.Run(fmt.Sprintf("hint=%v", hint), func(t *testing.T) { catalogGate(t, hint) })
	}
}

func catalogGate(t *testing.T, hint bool) {
	s, ctx := newStore(t), context.Background()
	datasetID := uuid.NewString()
	t1 := time.Now().UTC()
	t2 := t1.Add(time.Minute)
	r1 := run.Run{RunId: uuid.NewString(), DatasetId: datasetID, StartedAt: &t1}
	r2 := run.Run{RunId: uuid.NewString(), DatasetId: datasetID, StartedAt: &t2}
	copied := func(r run.Run, name, etag string) run.FileResult {
		res := gateCopied(r, name, etag)
		res.NoEntry = hint
		return res
	}
	failed, skipped := gateFailed, gateSkipped
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

// marked sets the planner's mark (NoEntry) on results' copies, or clears it.
func marked(results []run.FileResult, mark bool) {
	for i := range results {
		results[i].NoEntry = mark && results[i].File != nil
	}
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
	names := []string{"a.csv", "b.csv", "c.csv", "d.csv", "e.csv", "f.csv", "old.csv", "new.csv"}
	names = append(names, want...)
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

// A worker killed between writing its copied files' entries and its
// commit's transaction leaves them stamped and uncounted: the pre-check
// does not take them for committed, and the redelivery counts each file
// once (one of them delivered for the last time and given up on: the copy
// the entry holds is what counts), by abandoning the dead commit and
// adopting its entries; the dead worker's late transaction is refused and
// counts nothing. Both with and without the planner's mark (the dead
// worker's entries inserted, the redelivery's inserts refused).
func TestCommitRecoversAKilledWorker(t *testing.T) {
	for _, hint := range []bool{false, true} {
		t.Run(fmt.Sprintf("hint=%v", hint), func(t *testing.T) { recoversAKilledWorker(t, hint) })
	}
}

func recoversAKilledWorker(t *testing.T, hint bool) {
	s, ctx := newStore(t), context.Background()
	r := gateRun()
	var results []run.FileResult
	for i := range 5 {
		results = append(results, gateCopied(r, fmt.Sprintf("k%d.csv", i), "v1"))
	}
	marked(results, hint)
	names := namesOf(results)
	g, err := s.catalogGates(r)
	if err != nil {
		t.Fatal(err)
	}
	dead := newCommitID()
	if kept, _, err := g.writeEntries(ctx, dead, results); err != nil || len(kept) != len(results) {
		t.Fatalf("step 1 of the killed worker: %d kept (%v)", len(kept), err)
	}
	if got, err := s.CommittedTasks(ctx, r, names); err != nil || len(got) != 0 {
		t.Fatalf("before the redelivery, committed: %v (%v), want none: none was counted", got, err)
	}
	redelivered := append(slices.Clone(results[:4]), gateFailed("k4.csv"))
	if n, err := s.CommitFiles(ctx, r, redelivered); err != nil || n != 5 {
		t.Fatalf("redelivery committed %d (%v), want 5", n, err)
	}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != 0 {
		t.Fatalf("a second redelivery committed %d (%v), want 0", n, err)
	}
	if n, _, err := s.commitAs(ctx, r, g, dead, results); err != nil || len(n) != 0 {
		t.Fatalf("the dead worker's late transaction counted %d (%v), want 0", len(n), err)
	}
	wantTotals(t, s, r, 5, 5, 0)
	got, err := s.CommittedTasks(ctx, r, names)
	if err != nil || len(got) != 5 || got["k4.csv"].SourceETag != "v1" {
		t.Fatalf("committed after recovery: %v (%v)", got, err)
	}
	if st := commitStateOf(t, s, r, dead); st != commitAbandoned {
		t.Errorf("the dead commit is %q, want abandoned", st)
	}
}

// A duplicate delivered while the first worker still runs: the duplicate
// abandons the commit of the files the first one wrote and adopts them,
// and the first, refused on its commit's record, moves only the files it
// still holds to a new commit. Each file is counted once, with and
// without the planner's mark.
func TestCommitDuplicateWhileTheFirstRuns(t *testing.T) {
	for _, hint := range []bool{false, true} {
		t.Run(fmt.Sprintf("hint=%v", hint), func(t *testing.T) { duplicateWhileTheFirstRuns(t, hint) })
	}
}

func duplicateWhileTheFirstRuns(t *testing.T, hint bool) {
	s, ctx := newStore(t), context.Background()
	r := gateRun()
	var files []run.FileResult
	for i := range 15 {
		files = append(files, gateCopied(r, fmt.Sprintf("f%02d.csv", i), "v1"))
	}
	marked(files, hint)
	g, err := s.catalogGates(r)
	if err != nil {
		t.Fatal(err)
	}
	first := newCommitID()
	if _, _, err := g.writeEntries(ctx, first, files[:10]); err != nil {
		t.Fatal(err)
	}
	n2, err := s.CommitFiles(ctx, r, files[5:]) // the duplicate: five files of the first's, five its own
	if err != nil || n2 != 10 {
		t.Fatalf("the duplicate committed %d (%v), want 10", n2, err)
	}
	n1, _, err := s.commitAs(ctx, r, g, first, files[:10])
	if err != nil || !slices.Equal(namesOf(n1), namesOf(files[:5])) {
		t.Fatalf("the first worker counted %v (%v), want the 5 files it kept", namesOf(n1), err)
	}
	wantTotals(t, s, r, 15, 15, 0)
	wantCommitted(t, s, r, namesOf(files)...)
}

// Duplicates committing the same outcomes at once, copies and failures
// and restores mixed, over several runs: each file is counted once, and
// the run's TasksDone is exact. The last two rounds' copies carry the
// planner's mark: the workers race their inserts.
func TestCommitConcurrentDuplicates(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	for round := range 4 {
		r := gateRun()
		var results []run.FileResult
		for i := range 99 {
			switch name := fmt.Sprintf("r%d/%03d.csv", round, i); {
			case i%11 == 0:
				results = append(results, gateFailed(name))
			case i%13 == 0:
				results = append(results, gateSkipped(name))
			default:
				results = append(results, gateCopied(r, name, "v1"))
			}
		}
		marked(results, round >= 2)
		const workers = 3
		var wg sync.WaitGroup
		counted := make([]int, workers)
		for w := range workers {
			wg.Go(func() {
				var err error
				if counted[w], err = s.CommitFiles(ctx, r, results); err != nil {
					t.Errorf("worker %d: %v", w, err)
				}
			})
		}
		wg.Wait()
		total := 0
		for _, n := range counted {
			total += n
		}
		if total != len(results) {
			t.Errorf("round %d: workers counted %v, %d in all, want %d", round, counted, total, len(results))
		}
		c := run.CountsOf(results)
		wantTotals(t, s, r, int64(len(results)), c.Copied, c.Failed)
	}
}

// A conditional put, a batch of inserts and a transaction whose answers
// were lost are retried by the SDK: the put finds the entry stamped by its
// own commit (it is ours), so does the put that follows a retried insert's
// refusal, and the transaction finds its own record counted (or the token
// makes the retry a success). Each file counts once.
func TestCommitLostAnswers(t *testing.T) {
	base := newStore(t)
	var lost atomic.Int64
	lossy := dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = loseFirstAnswers{next: awshttp.NewBuildableClient(), lost: &lost}
	})
	s, ctx := New(lossy, base.table), context.Background()
	r := gateRun()
	results := []run.FileResult{gateCopied(r, "a.csv", "a1"), gateCopied(r, "b.csv", "b1"), gateFailed("c.csv")}
	results[0].NoEntry = true // inserted in a batch: the retry is refused, and the put finds it ours
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != 3 {
		t.Fatalf("committed %d (%v), want 3", n, err)
	}
	if lost.Load() < 4 { // the batch, two puts and the transaction
		t.Fatalf("%d answers lost, want every first attempt's", lost.Load())
	}
	wantTotals(t, s, r, 3, 2, 1)
	wantCommitted(t, s, r, "a.csv", "b.csv", "c.csv")
	// Recovery through lost answers: the abandoned record's put, the
	// adopting put and the adopting update of a file given up on.
	dead := newCommitID()
	g, _ := base.catalogGates(r)
	if _, _, err := g.writeEntries(ctx, dead, []run.FileResult{gateCopied(r, "e.csv", "e1"), gateCopied(r, "f.csv", "f1")}); err != nil {
		t.Fatal(err)
	}
	before := lost.Load()
	if n, err := s.CommitFiles(ctx, r, []run.FileResult{gateCopied(r, "e.csv", "e1"), gateFailed("f.csv")}); err != nil || n != 2 {
		t.Fatalf("recovery committed %d (%v), want 2", n, err)
	}
	if lost.Load()-before < 4 { // the put refused, the record abandoned, the adopting put and update, the transaction
		t.Fatalf("%d answers lost in the recovery", lost.Load()-before)
	}
	wantTotals(t, s, r, 5, 4, 1)
}

// loseFirstAnswers sends every request, and answers the first attempt of
// each put, update, batch of statements or transaction with a 500 as if
// the answer had been lost.
type loseFirstAnswers struct {
	next dynamodb.HTTPClient
	lost *atomic.Int64
}

func (l loseFirstAnswers) Do(req *http.Request) (*http.Response, error) {
	resp, err := l.next.Do(req)
	op := req.Header.Get("X-Amz-Target")
	first := strings.Contains(req.Header.Get("Amz-Sdk-Request"), "attempt=1;")
	if err != nil || !first || !strings.HasSuffix(op, ".PutItem") && !strings.HasSuffix(op, ".UpdateItem") && !strings.HasSuffix(op, ".TransactWriteItems") &&
		!strings.HasSuffix(op, ".BatchExecuteStatement") {
		return resp, err
	}
	_ = resp.Body.Close()
	l.lost.Add(1)
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost"}`
	return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// Entries written by workers that committed before commit records (one
// transaction, no Commit stamp) are committed: the pre-check drops them
// and a new commit is refused by their gate. A later run's skip, which
// sets only the gate, drops the earlier run's stamp with it.
func TestCommitAfterTransactionalEntries(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := gateRun()
	old := gateCopied(r, "old.csv", "o1")
	item, err := attributevalue.MarshalMap(old.File)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := s.catalogGates(r)
	k := g.entryKey(old.Name)
	item[attrPK], item[attrSK], item[attrGate] = k[attrPK], k[attrSK], g.gate
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		t.Fatal(err)
	}
	wantCommitted(t, s, r, "old.csv")
	if n, err := s.CommitFiles(ctx, r, []run.FileResult{old, gateCopied(r, "new.csv", "n1")}); err != nil || n != 1 {
		t.Fatalf("committed %d (%v), want 1", n, err)
	}
	later := r
	at := r.StartedAt.Add(time.Hour)
	later.RunId, later.StartedAt = uuid.NewString(), &at
	if n, err := s.CommitFiles(ctx, later, []run.FileResult{gateSkipped("new.csv")}); err != nil || n != 1 {
		t.Fatalf("the later run's skip committed %d (%v), want 1", n, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: g.entryKey("new.csv"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item[attrCommit] != nil || out.Item["SourceETag"] == nil {
		t.Fatalf("the skipped entry: %v (%v), want its version kept and no commit stamp", out.Item, err)
	}
	wantCommitted(t, s, later, "new.csv")
}

func gateRun() run.Run {
	at := time.Now().UTC()
	return run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: &at}
}

func namesOf(results []run.FileResult) []string {
	var names []string
	for _, res := range results {
		names = append(names, res.Name)
	}
	slices.Sort(names)
	return names
}

// wantTotals checks the run's counters: files done, copied, failed.
func wantTotals(t *testing.T, s *Store, r run.Run, done, copied, failed int64) {
	t.Helper()
	got, err := s.shardTotals(context.Background(), r.RunId)
	if err != nil || got.TasksDone != done || got.Copied != copied || got.Failed != failed {
		t.Fatalf("counted %d done, %d copied, %d failed (%v); want %d, %d, %d", got.TasksDone, got.Copied, got.Failed, err, done, copied, failed)
	}
}

func commitStateOf(t *testing.T, s *Store, r run.Run, id string) string {
	t.Helper()
	out, err := s.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &s.table, Key: commitKey(r.RunId, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return commitState(out.Item)
}

// The events function asks whether an event's file was committed under a
// run of its own making (its id is not the run's): the commit's record is
// read in the run the entry names, so a counted copy is committed and a
// copy whose commit was not counted is not.
func TestCommittedTasksAskedUnderAnotherRunId(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := gateRun()
	if n, err := s.CommitFiles(ctx, r, []run.FileResult{gateCopied(r, "a.csv", "a1")}); err != nil || n != 1 {
		t.Fatalf("committed %d (%v)", n, err)
	}
	g, err := s.catalogGates(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.writeEntries(ctx, newCommitID(), []run.FileResult{gateCopied(r, "b.csv", "b1")}); err != nil {
		t.Fatal(err)
	}
	asker := run.Run{RunId: "event-1", DatasetId: r.DatasetId, StartedAt: r.StartedAt}
	got, err := s.CommittedTasks(ctx, asker, []string{"a.csv", "b.csv"})
	if _, ok := got["a.csv"]; err != nil || !ok || len(got) != 1 {
		t.Fatalf("committed %v (%v), want a.csv alone: b.csv's commit was not counted", got, err)
	}
}
