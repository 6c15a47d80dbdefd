package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/infra/local/faults"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// census is what the functions asked of each service, by operation.
type census map[string]map[string]int64

func takeCensus() census {
	return census{"S3": plat.Faults.S3.Counts().Calls, "DynamoDB": plat.Faults.DynamoDB.Counts().Calls, "SQS": plat.Faults.SQS.Counts().Calls}
}

// since returns c - before, per object.
func (c census) since(before census, objects int) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for svc, ops := range c {
		for op, n := range ops {
			if d := n - before[svc][op]; d > 0 {
				if out[svc] == nil {
					out[svc] = map[string]float64{}
				}
				out[svc][op] = float64(d) / float64(objects)
			}
		}
	}
	return out
}

func sum(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

// The requests the functions make per object ingested and per unchanged
// object re-checked, counted at the emulators (docs/COST.md prices them;
// S3C_CENSUS=<file> writes them as JSON). The bounds guard against a
// change that adds a call per object unnoticed; the DynamoDB reads vary
// with how full the batches are (a completion check per batch, which
// reads the run while it is planning), which depends on timing, so those
// bounds are loose. A re-check costs one listing page per 1,000 objects
// and, once per run, the ListBuckets that refuses the platform's own
// buckets: 0.004 per object at this test's 500 objects. The run's report
// adds, per worker commit (a batch's chunk), two PutObjects (its part,
// tentative then confirmed), per planner page with files it decided on
// (the unchanged ones) one PutObject, and when the run ends a listing of
// the parts, a GetObject and a DeleteObject per part and the CSV and JSON
// PutObjects: per batch, like the commits, so those bounds are loose too. The event source's own
// ReceiveMessage/DeleteMessageBatch calls are not the functions' and are
// not counted here.
func TestRequestsPerObject(t *testing.T) {
	noFaults(t)
	plat.Faults.Set(faults.Config{})
	const n = 500
	type bound struct{ s3, dynamodb, sqs float64 }
	cases := []struct {
		name          string
		skipLZ        bool
		copy, recheck bound
	}{
		// A copy: HeadObject of the source with its checksum (S3 lists only
		// a checksum's algorithm, and a server-side copy must be checked
		// against the source's value), CopyObject; the file's catalog entry,
		// new here, a PartiQL INSERT (1 write unit where an item of a
		// transaction costs 2, infra/cdk/COST.md), 25 to a
		// BatchExecuteStatement, and no PutItem (a changed file's entry
		// is a PutItem of its own); per batch (up to 99 files) a commit
		// transaction and a completion check; a SendMessageBatch per 10
		// tasks. Per listing page (one per planner invocation here, as the
		// tests force a short budget): a listing, a catalog query, reads of
		// the run, dataset and connection, a saved position. Measured:
		// DynamoDB 0.21-0.25 per object (BatchExecuteStatement 0.05 with
		// the batches' fill), where a PutItem per entry made 1.11-1.25 and
		// the commit in one transaction 0.19-0.20 (and 2 write units).
		// A re-check: no request per object, a fixed few per run (the API's
		// reads and chain check, the run and its lease, a listing page's
		// catalog query and saved position, the run's end with its event's
		// outbox item, its publication and removal): about 30, under 40
		// (0.08 per object of 500).
		// The report's parts add up to 0.19 per object here (small batches).
		{"csv straight to the DLZ", true, bound{2.2, 0.4, 0.11}, bound{0.03, 0.08, 0}},
		// Through the LZ: head and copy in, read to validate, copy to the
		// DLZ (checked against the LZ copy's checksum: no head), delete.
		{"csv through the LZ", false, bound{5.2, 0.4, 0.11}, bound{0.03, 0.08, 0}},
	}
	report := map[string]any{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, n, 0, tc.skipLZ, false)
			before := takeCensus()
			f.waitQuietly(t, f.start(t))
			copied := takeCensus()
			f.waitQuietly(t, f.start(t))
			perCopy, perCheck := copied.since(before, n), takeCensus().since(copied, n)
			_, list := api(t, f.user, "GET", "/schedules/"+f.scheduleID+"/runs", nil)
			runs := list["Runs"].([]any)
			f.checkFirstRun(t, f.wait(t, runs[1].(map[string]any)["RunId"].(string)))
			wantCounts(t, f.wait(t, runs[0].(map[string]any)["RunId"].(string)), map[string]int{"SkippedUnchanged": n, "Copied": 0})
			for _, c := range []struct {
				what string
				got  map[string]map[string]float64
				max  bound
			}{{"copy", perCopy, tc.copy}, {"re-check", perCheck, tc.recheck}} {
				var lines []string
				for svc, max := range map[string]float64{"S3": c.max.s3, "DynamoDB": c.max.dynamodb, "SQS": c.max.sqs} {
					got := sum(c.got[svc])
					lines = append(lines, fmt.Sprintf("%s %.4f %v", svc, got, c.got[svc]))
					if got > max {
						t.Errorf("%s: %.4f %s requests per object, more than %.4f: %v", c.what, got, svc, max, c.got[svc])
					}
				}
				if puts, batches := c.got["DynamoDB"]["PutItem"], c.got["DynamoDB"]["BatchExecuteStatement"]; c.what == "copy" && (puts != 0 || batches < 1.0/25 || batches > 0.1) {
					t.Errorf("copy: %.4f PutItem and %.4f BatchExecuteStatement per object, want no PutItem and 1/25 to 1/10 BatchExecuteStatement: the new files' catalog entries, inserted in batches", puts, batches)
				}
				slices.Sort(lines)
				t.Logf("per object, %s: %s", c.what, strings.Join(lines, "; "))
			}
			report[tc.name] = map[string]any{"objects": n, "copy": perCopy, "recheck": perCheck}
		})
	}
	if path := os.Getenv("S3C_CENSUS"); path != "" {
		raw, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// waitQuietly waits for a run's end, and for its announcement (its
// report assembled, its event put), reading the table directly, so that
// the waiting adds no request of the API function to the census.
func (f *fixture) waitQuietly(t *testing.T, runID string) {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store := metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		r, pending, err := store.PendingRunEnd(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Ended() && !pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not end: %+v", runID, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
