package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// restoreCounts are the run record's restore counters.
func restoreCounts(r map[string]any) map[string]int {
	out := counts(r)
	for _, k := range []string{"Restoring", "RestoreRequested", "Restored", "RestoreCostMicroUSD"} {
		if v, ok := r[k].(float64); ok {
			out[k] = int(v)
		}
	}
	return out
}

// jsonOf is v as JSON.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sweep runs the platform's sweep now, as its schedule does every minute.
func sweep(t *testing.T) {
	t.Helper()
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, []byte(eventscheduler.SweepInput())); err != nil {
		t.Fatal(err)
	}
}

// followUpRun waits for the run the sweep starts for the schedule's due
// restores, sweeping until there is one, and returns its final record.
func followUpRun(t *testing.T, user, scheduleID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sweep(t)
		_, page := call(t, user, "GET", "/schedules/"+scheduleID+"/runs", nil)
		for _, r := range page["Runs"].([]any) {
			if run := r.(map[string]any); run["Trigger"] == "restore_follow_up" {
				return waitRun(t, user, run["RunId"].(string))
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("no follow-up run of schedule %s", scheduleID)
	return nil
}

// A dataset that restores archived files: the source's refusal is a
// reason on the file; once granted, each restore is requested once across
// runs, the files are listed as restoring with class, tier and cost, and
// the platform ingests them when their restores are done, with no one
// asking; a restore that expired before the copy is requested again.
func TestRestoreThenIngest(t *testing.T) {
	const user, bucket = "restorer", "restore-then-ingest"
	csv := func(s string) []byte { return []byte("id,name\n" + s + "\n") }
	putFiles(t, bucket, []srcFile{
		{"data/a.csv", csv("1,a"), ""},
		{"data/glacier.csv", csv("2,g"), s3types.StorageClassGlacier},
		{"data/deep.csv", csv("3,d"), s3types.StorageClassDeepArchive},
	})
	dsID, sch := setup(t, user, bucket, "1.8", "csv", "data/", false)
	status, ds := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": map[string]any{"Tier": "expedited", "Days": 2}})
	if status != http.StatusOK || ds["RestoreArchived"].(map[string]any)["Tier"] != "Expedited" {
		t.Fatalf("opt in: %d %v", status, ds)
	}

	// The policy attached before the dataset opted in grants no restore.
	r := runToEnd(t, user, sch)
	wantCounts(t, r, map[string]int{"Copied": 1, "SkippedStorageClass": 2, "Failed": 0})
	if c := restoreCounts(r); c["Restoring"] != 0 || r["State"] != "succeeded" {
		t.Fatalf("refused restores: %v", r)
	}
	for _, f := range r["SkippedFiles"].([]any) {
		if why := f.(map[string]any)["Reason"].(string); !strings.Contains(why, "refused RestoreObject") {
			t.Errorf("refusal reason %q", why)
		}
	}

	// The owner attaches the policies again: they grant RestoreObject on the dataset's prefix.
	connID := ds["ConnectionId"].(string)
	_, pol := call(t, user, "GET", "/connections/"+connID+"/policies", nil)
	if !strings.Contains(pol["RestoresPaidBy"].(string), "bucket owner") || !strings.Contains(jsonOf(t, pol["BucketPolicy"]), `"s3:RestoreObject"`) {
		t.Fatalf("policies: %v", pol)
	}
	attach(t, user, connID)
	r = runToEnd(t, user, sch)
	c := restoreCounts(r)
	if r["State"] != "succeeded" || c["Restoring"] != 2 || c["RestoreRequested"] != 2 || c["SkippedUnchanged"] != 1 || c["RestoreCostMicroUSD"] <= 0 {
		t.Fatalf("restoring run: %v", r)
	}
	tiers := map[string]string{}
	for _, f := range r["SkippedFiles"].([]any) {
		f := f.(map[string]any)
		if f["Outcome"] != "restoring" || f["RestoreRequestedAt"] == nil {
			t.Errorf("restoring file %v", f)
		}
		tiers[f["Name"].(string)] = f["RestoreTier"].(string)
	}
	if tiers["glacier.csv"] != "Expedited" || tiers["deep.csv"] != "Standard" { // Deep Archive has no Expedited
		t.Errorf("tiers %v", tiers)
	}
	_, pending := call(t, user, "GET", "/datasets/"+dsID+"/restores", nil)
	if got := names(pending["Restores"]); !slices.Equal(got, []string{"deep.csv", "glacier.csv"}) {
		t.Fatalf("pending restores %v", pending)
	}

	// A run meanwhile requests nothing again.
	r = runToEnd(t, user, sch)
	if c := restoreCounts(r); c["RestoreRequested"] != 0 || c["Restoring"]+c["Copied"] != 2 {
		t.Fatalf("run during the restores: %v", r)
	}

	// With no one asking, the sweep starts a run once the restores are due.
	r = followUpRun(t, user, sch)
	if c := restoreCounts(r); r["State"] != "succeeded" || c["Copied"]+c["SkippedUnchanged"] < 2 || c["Restoring"] != 0 {
		t.Fatalf("follow-up run: %v", r)
	}
	waitEvent(t, r["RunId"].(string))
	if evs := outboundEvents(t)[runevents.EventId(r["RunId"].(string), runevents.KindRestored)]; len(evs) != 1 ||
		evs[0].Event.DetailType != runevents.DetailTypeRestored {
		t.Errorf("Archived Files Restored events of the follow-up run: %+v", evs)
	}
	_, pending = call(t, user, "GET", "/datasets/"+dsID+"/restores", nil)
	if len(pending["Restores"].([]any)) != 0 {
		t.Errorf("restores still pending after they landed: %v", pending)
	}
	prefix := ds["Domain"].(string) + "/" + ds["DatasetName"].(string) + "/upload_date="
	if got := stripPartition(keys(t, plat.Config.DLZBucket, prefix)); !slices.Contains(got, "glacier.csv") || !slices.Contains(got, "deep.csv") {
		t.Errorf("DLZ holds %v", got)
	}

	// A copy that expired is requested again when the file changes.
	if err := plat.S3.ExpireRestore(bucket, "data/glacier.csv"); err != nil {
		t.Fatal(err)
	}
	putFiles(t, bucket, []srcFile{{"data/glacier.csv", csv("2,g2"), s3types.StorageClassGlacier}})
	r = runToEnd(t, user, sch)
	if c := restoreCounts(r); c["RestoreRequested"] != 1 || c["Restoring"] != 1 {
		t.Fatalf("run after the expiry: %v", r)
	}
}

// RestoreArchived needs 1.7: a 1.6 connection refuses it, naming the
// field, and a connection with such a dataset cannot go back to 1.6.
func TestRestoreNeedsVersion17(t *testing.T) {
	const user = "restorer"
	putFiles(t, "restore-versions", []srcFile{{"data/a.csv", []byte("id\n1\n"), ""}})
	dsID, _ := setup(t, user, "restore-versions", "1.6", "csv", "data/", false)
	status, out := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": map[string]any{"Tier": "Bulk", "Days": 1}})
	if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "RestoreArchived") {
		t.Fatalf("1.6 accepted a restore option: %d %v", status, out)
	}
	_, ds := call(t, user, "GET", "/datasets/"+dsID, nil)
	connID := ds["ConnectionId"].(string)
	if status, out := call(t, user, "POST", "/connections/"+connID+"/upgrade", map[string]any{"Version": "1.7"}); status != http.StatusOK {
		t.Fatalf("upgrade: %d %v", status, out)
	}
	for _, bad := range []map[string]any{{"Tier": "Slow", "Days": 1}, {"Tier": "Bulk", "Days": 31}, {"Tier": "Bulk", "Days": 2, "MaxEstimatedCostUSD": -1}} {
		if status, out := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": bad}); status != http.StatusBadRequest ||
			!strings.Contains(fmt.Sprint(out), "RestoreArchived.") {
			t.Errorf("%v: %d %v", bad, status, out)
		}
	}
	if status, out := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": map[string]any{"Tier": "Bulk", "Days": 1}}); status != http.StatusOK {
		t.Fatalf("1.7 refused the restore option: %d %v", status, out)
	}
	status, out = call(t, user, "POST", "/connections/"+connID+"/downgrade", nil)
	if status != http.StatusConflict || !strings.Contains(fmt.Sprint(out), "RestoreArchived") {
		t.Fatalf("downgrade with a restoring dataset: %d %v", status, out)
	}
	if status, out := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": map[string]any{}}); status != http.StatusOK || out["RestoreArchived"] != nil {
		t.Fatalf("remove the option: %d %v", status, out)
	}
	if status, out := call(t, user, "POST", "/connections/"+connID+"/downgrade", nil); status != http.StatusOK {
		t.Fatalf("downgrade once no dataset restores: %d %v", status, out)
	}
}

// A dataset that caps its restores' estimated cost: a run estimates them
// in a first pass and requests none when over the cap, saying why; within
// the cap it requests them. The first pass counts the listing once.
func TestRestoreCostCap(t *testing.T) {
	const user, bucket = "restorer", "restore-cost-cap"
	putFiles(t, bucket, []srcFile{
		{"data/a.csv", []byte("id\n1\n"), ""},
		{"data/g.csv", []byte("id\n2\n"), s3types.StorageClassGlacier},
	})
	dsID, sch := setup(t, user, bucket, "1.7", "csv", "data/", false)
	optIn := func(limit float64) {
		t.Helper()
		status, ds := call(t, user, "PUT", "/datasets/"+dsID, map[string]any{"RestoreArchived": map[string]any{"Tier": "Bulk", "Days": 1, "MaxEstimatedCostUSD": limit}})
		if status != http.StatusOK {
			t.Fatalf("opt in: %d %v", status, ds)
		}
		attach(t, user, ds["ConnectionId"].(string))
	}
	optIn(0)
	r := runToEnd(t, user, sch)
	c := restoreCounts(r)
	if c["Listed"] != 2 || c["Matched"] != 2 || c["Copied"] != 1 || c["SkippedStorageClass"] != 1 || c["Restoring"] != 0 ||
		r["RestoreEstimateMicroUSD"] != float64(25) || !strings.Contains(fmt.Sprint(r["RestoresWithheld"]), "MaxEstimatedCostUSD") {
		t.Fatalf("over the cap: %v", r)
	}
	optIn(0.01)
	r = runToEnd(t, user, sch)
	c = restoreCounts(r)
	if c["Listed"] != 2 || c["SkippedUnchanged"] != 1 || c["Restoring"] != 1 || c["RestoreRequested"] != 1 || r["RestoresWithheld"] != nil {
		t.Fatalf("within the cap: %v", r)
	}
}
