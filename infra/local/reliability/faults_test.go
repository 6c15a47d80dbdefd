package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/faults"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Every batch of tasks reaches two workers at once, as SQS's at-least-once
// delivery allows: each file is copied and catalogued once.
func TestEveryTaskDeliveredTwice(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 300, 1, false, false)
	plat.SetDuplicateDeliveries(true)
	r := f.run(t)
	// Both deliveries write the entries under commits of their own: where
	// one finds the other's uncounted, it abandons that commit and adopts.
	t.Logf("commit records: %v", commitStates(t, r["RunId"].(string)))
	f.checkFirstRun(t, r)
}

// Batches outlive a 2-second visibility timeout (S3 answers slowly) and
// are delivered again while their first delivery still works on them.
func TestBatchesRedeliveredAfterVisibilityTimeout(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 200, 0, false, false)
	setVisibility(t, 2*time.Second)
	plat.Faults.S3.SetConfig(faults.Config{LatencyRate: 0.1, Latency: 2 * time.Second})
	before := plat.Poller.Stats().Received
	r := f.run(t)
	received := plat.Poller.Stats().Received - before
	t.Logf("%d tasks, %d deliveries", len(f.files), received)
	if received <= int64(len(f.files)) {
		t.Errorf("no batch was delivered again (%d deliveries of %d tasks): the test proves nothing", received, len(f.files))
	}
	f.checkFirstRun(t, r)
}

// Workers die in the middle of multipart copies and between moving a file
// to the DLZ and removing it from the LZ: their tasks come back after the
// visibility timeout and complete once.
func TestWorkerKilledMidCopy(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 60, 3, false, false)
	setVisibility(t, 3*time.Second)
	var midCopy, midMove atomic.Bool
	var killed atomic.Int64
	plat.Faults.S3.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		if (op == "UploadPartCopy" && midCopy.CompareAndSwap(false, true)) ||
			(op == "DeleteObject" && midMove.CompareAndSwap(false, true)) {
			killed.Add(int64(plat.Runtime.Kill(plat.Names.WorkerFunction)))
		}
		return faults.None
	}})
	r := f.run(t)
	if !midCopy.Load() || !midMove.Load() || killed.Load() < 2 {
		t.Errorf("killed %d invocations (mid-copy %v, mid-move %v): the test proves nothing", killed.Load(), midCopy.Load(), midMove.Load())
	}
	t.Logf("killed %d worker invocations", killed.Load())
	f.checkFirstRun(t, r)
}

// A worker dies after writing its copied files' catalog entries and
// before its commit's transaction: the entries carry the run's gate and an
// uncounted commit. The redelivered tasks are copied again (their inserts
// refused, their puts too), the dead commit abandoned and its entries
// adopted: each file counts once.
func TestWorkerKilledBetweenEntriesAndCommit(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 80, 0, true, false)
	setVisibility(t, 3*time.Second)
	var entries, killedOnce atomic.Bool
	plat.Faults.DynamoDB.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		switch {
		case op == "PutItem" || op == "BatchExecuteStatement": // only a commit's catalog entries are written so, once the run is under way
			entries.Store(true)
		case op == "TransactWriteItems" && entries.Load() && killedOnce.CompareAndSwap(false, true):
			plat.Runtime.Kill(plat.Names.WorkerFunction)
			return faults.ResetBefore // the transaction never reaches the table
		}
		return faults.None
	}})
	runID := f.start(t)
	r := f.wait(t, runID)
	if !killedOnce.Load() {
		t.Fatal("no worker was killed before its commit: the test proves nothing")
	}
	states := commitStates(t, runID)
	if states["abandoned"] == 0 {
		t.Errorf("commit records %v: no commit was abandoned and adopted, the test proves nothing", states)
	}
	t.Logf("commit records: %v", states)
	f.checkFirstRun(t, r)
}

// commitStates counts a run's commit records by state.
func commitStates(t *testing.T, runID string) map[string]int {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := dynamodb.NewFromConfig(cfg).Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(plat.Config.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :commit)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "RUN#" + runID}, ":commit": &types.AttributeValueMemberS{Value: "COMMIT#"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, it := range out.Items {
		if st, ok := it["State"].(*types.AttributeValueMemberS); ok {
			states[st.Value]++
		}
	}
	return states
}

// One call in ten to S3, DynamoDB and SQS fails: 500s, throttling, and
// connections reset before or after the service acted. Server-side copies
// and streamed copies (access keys) both end exact, and a re-run finds
// every file unchanged.
func TestTenPercentOfCallsFail(t *testing.T) {
	noFaults(t)
	policy := newFixture(t, 300, 2, false, false)
	keys := newFixture(t, 100, 1, false, true)
	before := total()
	plat.Faults.Set(faults.Config{ErrorRate: 0.08, ResetRate: 0.02})
	policyRun, keysRun := policy.start(t), keys.start(t)
	policy.checkFirstRun(t, policy.wait(t, policyRun))
	keys.checkFirstRun(t, keys.wait(t, keysRun))
	for _, f := range []*fixture{policy, keys} {
		r := f.run(t)
		if r["State"] != "succeeded" {
			t.Errorf("re-run: %v", r)
		}
		wantCounts(t, r, map[string]int{"Listed": len(f.files), "SkippedUnchanged": len(f.files), "TasksPlanned": 0, "Copied": 0})
	}
	t.Logf("%d faults injected", total()-before)
	if total()-before < 100 {
		t.Errorf("only %d faults injected: the test proves little", total()-before)
	}
}

// total is the number of faults injected so far.
func total() int64 {
	return plat.Faults.S3.Counts().Total() + plat.Faults.DynamoDB.Counts().Total() + plat.Faults.SQS.Counts().Total()
}

// A scheduled firing while the dataset's run is still running is recorded
// as skipped, naming that run, which ends exact; the next firing runs.
func TestScheduleFiredWhileItsRunRuns(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 150, 0, false, false)
	plat.Faults.S3.SetConfig(faults.Config{LatencyRate: 0.3, Latency: 500 * time.Millisecond})
	runID := f.start(t)
	fire := func() {
		ev, _ := json.Marshal(ingest.PlannerEvent{ScheduleId: f.scheduleID})
		if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, ev); err != nil {
			t.Fatal(err)
		}
	}
	fire()
	_, list := api(t, f.user, "GET", "/schedules/"+f.scheduleID+"/runs", nil)
	runs := list["Runs"].([]any)
	fired := runs[0].(map[string]any)
	if len(runs) != 2 || fired["State"] != "skipped" || !strings.Contains(fired["Reason"].(string), runID) {
		t.Fatalf("firing during run %s: %v", runID, runs)
	}
	f.checkFirstRun(t, f.wait(t, runID))

	plat.Faults.S3.SetConfig(faults.Config{})
	fire()
	_, list = api(t, f.user, "GET", "/schedules/"+f.scheduleID+"/runs", nil)
	if runs = list["Runs"].([]any); len(runs) != 3 {
		t.Fatalf("runs after the second firing: %v", runs)
	}
	r := f.wait(t, runs[0].(map[string]any)["RunId"].(string))
	wantCounts(t, r, map[string]int{"Listed": len(f.files), "SkippedUnchanged": len(f.files), "Copied": 0})
}

// The planner dies twice during a two-page listing: while it lists the
// second page (after the first page was saved), and then halfway through
// sending the tasks of the second page, which it has not saved yet. Lambda's retries resume the chain
// from its checkpoint; every object is planned and copied exactly once.
func TestPlannerDiesBetweenPages(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 1600, 0, true, false)
	var lists, sends, killed atomic.Int64
	plat.Faults.S3.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		if op == "ListObjectsV2" && lists.Add(1) == 2 {
			killed.Add(int64(plat.Runtime.Kill(plat.Names.PlannerFunction)))
		}
		return faults.None
	}})
	plat.Faults.SQS.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		if op == "SendMessageBatch" && sends.Add(1) == 150 { // batches 101-160 are the second page's
			killed.Add(int64(plat.Runtime.Kill(plat.Names.PlannerFunction)))
		}
		return faults.None
	}})
	r := f.run(t)
	if killed.Load() < 2 { // more when the platform's sweep (every minute) was running too
		t.Errorf("killed %d planner invocations, want 2", killed.Load())
	}
	t.Logf("%d listings, %d task batches sent for %d files", lists.Load(), sends.Load(), len(f.files))
	f.checkFirstRun(t, r)
}

// Between the listing and the copy, one source file is deleted and another
// rewritten: the deleted one is counted as Vanished, the rewritten one as
// Deferred (written after the run started: never half-copied, never its
// old content), both listed among the skipped files, and the run
// succeeds; the next run copies the rewritten file.
func TestSourceChangesBetweenListingAndCopy(t *testing.T) {
	noFaults(t)
	f := newFixture(t, 40, 0, false, false)
	const gone, changed = "f00003.csv", "f00007.csv"
	newBody := []byte("id,name,amount\n7,rewritten,1.00\n8,added,2.00\n")
	var once atomic.Bool
	plat.Faults.SQS.SetConfig(faults.Config{Decide: func(op string) faults.Fault {
		if op == "SendMessageBatch" && once.CompareAndSwap(false, true) { // listed, not yet copied
			ctx := context.Background()
			if _, err := f.source.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(f.prefix + gone)}); err != nil {
				t.Error(err)
			}
			if err := f.put(changed, newBody); err != nil {
				t.Error(err)
			}
		}
		return faults.None
	}})
	r := f.run(t)
	n := len(f.files)
	wantCounts(t, r, map[string]int{"Listed": n, "TasksPlanned": n, "TasksDone": n, "Copied": n - 2, "Vanished": 1, "Deferred": 1, "Failed": 0})
	skipped := map[string]string{}
	for _, s := range r["SkippedFiles"].([]any) {
		skipped[s.(map[string]any)["Name"].(string)] = s.(map[string]any)["Outcome"].(string)
	}
	if r["State"] != "succeeded" || skipped[gone] != "vanished" || skipped[changed] != "deferred" {
		t.Errorf("run %v, want succeeded with %s vanished and %s deferred", r, gone, changed)
	}
	delete(f.files, gone)
	delete(f.files, changed)
	f.checkDataset(t)

	nextSecond() // the rewrite is older than the next run
	r = f.run(t)
	wantCounts(t, r, map[string]int{"Listed": n - 1, "SkippedUnchanged": n - 2, "Copied": 1, "Deferred": 0, "Failed": 0})
	if r["State"] != "succeeded" {
		t.Errorf("re-run %v", r)
	}
	f.files[changed] = newBody
	f.checkDataset(t)
}
