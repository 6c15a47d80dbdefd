package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/ingest"
)

// Alice shares a connection with bob, who builds a dataset and a schedule
// on it and shares them with mallory; alice then removes bob. Neither bob
// nor mallory can run the schedule, and alice lists and deletes what bob
// built on her connection.
func TestAccessFollowsTheWholeChain(t *testing.T) {
	conn := policyConn(platformlocal.DemoBucket)
	conn["AuthorizedUsers"] = []string{"chain-bob"}
	cid := mustCreate(t, "chain-alice", conn)
	status, ds := call(t, "chain-bob", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("chain"), "Domain": "chain", "ConnectionId": cid, "FileType": "csv",
		"DirectoryPath": "chain-nothing-here/", "AuthorizedUsers": []string{"chain-mallory"},
	})
	if status != 400 || ds["Field"] != "AuthorizedUsers" {
		t.Fatalf("sharing with a user who may not use the connection: %d %v", status, ds)
	}
	status, ds = call(t, "chain-bob", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("chain"), "Domain": "chain", "ConnectionId": cid, "FileType": "csv",
		"DirectoryPath": "chain-nothing-here/",
	})
	if status != 201 {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	did := ds["DatasetId"].(string)
	status, sch := call(t, "chain-bob", "POST", "/schedules", map[string]any{"ScheduleName": "chain", "DatasetId": did})
	if status != 201 {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	sid := sch["ScheduleId"].(string)
	if status, out := call(t, "chain-bob", "GET", "/datasets/"+did+"/files", nil); status != 200 {
		t.Fatalf("bob lists his dataset's files: %d %v", status, out)
	}
	if status, out := call(t, "chain-alice", "PUT", "/connections/"+cid, map[string]any{"AuthorizedUsers": []string{}}); status != 200 {
		t.Fatalf("alice removes bob: %d %v", status, out)
	}
	status, out := call(t, "chain-bob", "GET", "/datasets/"+did+"/files", nil)
	if status != 403 || !strings.Contains(fmt.Sprint(out["Message"]), "chain-bob may no longer use connection "+cid) {
		t.Fatalf("bob lists the files after alice removed him: %d %v", status, out)
	}
	status, out = call(t, "chain-bob", "POST", "/schedules/"+sid+"/run", nil)
	if status != 403 || !strings.Contains(out["Message"].(string), "chain-bob may no longer use connection "+cid) {
		t.Fatalf("bob's run after alice removed him: %d %v", status, out)
	}
	// A scheduled firing (as EventBridge Scheduler invokes the planner)
	// starts a run that fails at once, naming the broken link.
	payload, _ := json.Marshal(ingest.PlannerEvent{ScheduleId: sid})
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, payload); err != nil {
		t.Fatal(err)
	}
	_, runs := call(t, "chain-bob", "GET", "/schedules/"+sid+"/runs", nil)
	items, _ := runs["Runs"].([]any)
	if len(items) != 1 {
		t.Fatalf("runs of the schedule: %v", runs)
	}
	r := waitRun(t, "chain-bob", items[0].(map[string]any)["RunId"].(string))
	if r["State"] != "failed" || !strings.Contains(fmt.Sprint(r["Reason"]), "may no longer use connection "+cid) || counts(r)["Copied"] != 0 {
		t.Fatalf("the scheduled run: %v %v", r["State"], r["Reason"])
	}
	status, out = call(t, "chain-alice", "GET", "/connections/"+cid+"/datasets", nil)
	list, _ := out["Datasets"].([]any)
	if status != 200 || len(list) != 1 || list[0].(map[string]any)["CreatedBy"] != "chain-bob" {
		t.Fatalf("alice lists her connection's datasets: %d %v", status, out)
	}
	if status, out := call(t, "chain-alice", "DELETE", "/schedules/"+sid, nil); status != 204 {
		t.Fatalf("alice deletes bob's schedule: %d %v", status, out)
	}
	if status, out := call(t, "chain-alice", "DELETE", "/datasets/"+did, nil); status != 204 {
		t.Fatalf("alice deletes bob's dataset: %d %v", status, out)
	}
}
