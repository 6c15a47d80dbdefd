package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/httpapi"
)

// The placeholder ids in events/, replaced by real ones when replayed.
const (
	fixtureConnection = "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11"
	fixtureDataset    = "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01"
	fixtureSchedule   = "0198f5d2-9b3c-7d4e-8f5a-6b7c8d9e0f12"
	fixtureRun        = "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23"
)

func fixturePath(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "..", "events"}, parts...)...)
}

// loadFixture reads events/<dir>/<name>.json with its placeholder ids replaced.
func loadFixture(t *testing.T, dir, name string, ids map[string]string) []byte {
	t.Helper()
	raw, err := os.ReadFile(fixturePath(dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for placeholder, id := range ids {
		s = strings.ReplaceAll(s, placeholder, id)
	}
	return []byte(s)
}

// Every route has a sample event in events/api, and each one, invoked on
// the api function in the local runtime as API Gateway would, does what it
// says: together they walk a connection, a dataset, a schedule and a run
// through their lives.
func TestAPIEventFixtures(t *testing.T) {
	files, _ := filepath.Glob(fixturePath("api", "*.json"))
	var fixtureRoutes, routes []string
	for _, f := range files {
		var ev events.APIGatewayV2HTTPRequest
		raw, _ := os.ReadFile(f)
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fixtureRoutes = append(fixtureRoutes, ev.RouteKey)
	}
	for _, r := range httpapi.Routes() {
		routes = append(routes, r.Key())
	}
	slices.Sort(fixtureRoutes)
	slices.Sort(routes)
	if !slices.Equal(fixtureRoutes, routes) {
		t.Fatalf("fixtures cover %v\nroutes are %v", fixtureRoutes, routes)
	}

	ctx := context.Background()
	ids := map[string]string{}
	invoke := func(name string, status int) map[string]any {
		t.Helper()
		out, err := plat.Runtime.Invoke(ctx, plat.Names.APIFunction, loadFixture(t, "api", name, ids))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp.StatusCode != status {
			t.Fatalf("%s: %d %s, want %d", name, resp.StatusCode, resp.Body, status)
		}
		body := map[string]any{}
		_ = json.Unmarshal([]byte(resp.Body), &body)
		return body
	}
	ids[fixtureConnection] = invoke("create-connection", 201)["ConnectionId"].(string)
	for _, name := range []string{"health", "list-connections", "get-connection", "connection-policies",
		"test-connection", "update-connection", "upgrade-connection", "downgrade-connection"} {
		invoke(name, 200)
	}
	ids[fixtureDataset] = invoke("create-dataset", 201)["DatasetId"].(string)
	for _, name := range []string{"list-datasets", "get-dataset", "update-dataset", "list-dataset-files", "list-connection-datasets", "get-domain", "update-domain"} {
		invoke(name, 200)
	}
	ids[fixtureSchedule] = invoke("create-schedule", 201)["ScheduleId"].(string)
	for _, name := range []string{"list-schedules", "get-schedule", "update-schedule"} {
		invoke(name, 200)
	}
	ids[fixtureRun] = invoke("run-schedule", 202)["RunId"].(string)
	invoke("get-run", 200)
	invoke("list-runs", 200)
	waitRun(t, "alice", ids[fixtureRun])
	waitReport(t, "alice", ids[fixtureRun])
	if loc := invoke("get-run-report", 302)["Location"]; loc == nil {
		t.Errorf("the report's answer has no Location")
	}

	// The worker's sample event names the run that just ended: a late
	// duplicate, which the worker acknowledges without doing anything.
	out, err := plat.Runtime.Invoke(ctx, plat.Names.WorkerFunction, loadFixture(t, "worker", "copy-task", ids))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("worker answered %s (%v)", out, err)
	}

	// The planner's on-demand event for that run, delivered again: a no-op.
	if _, err := plat.Runtime.Invoke(ctx, plat.Names.PlannerFunction, loadFixture(t, "planner", "run-on-demand", ids)); err != nil {
		t.Fatalf("planner on an ended run: %v", err)
	}

	invoke("delete-schedule", 204)
	invoke("delete-dataset", 204)
	invoke("delete-connection", 204)
}

// The planner's sample events: a connection test, a scheduled firing, a
// batch of its failure queue (Lambda's record of a failed invocation, here
// of a run that had ended, which it leaves as it is) and the lease sweep.
func TestPlannerEventFixtures(t *testing.T) {
	id := connect(t, "alice", policyConn(platformlocal.DemoBucket))
	out, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction,
		loadFixture(t, "planner", "test-connection", map[string]string{fixtureConnection: id}))
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Ok bool }
	if err := json.Unmarshal(out, &res); err != nil || !res.Ok {
		t.Fatalf("planner answered %s (%v)", out, err)
	}

	_, sch := setup(t, "alice", platformlocal.DemoBucket, "1.8", "json", "events/", false)
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction,
		loadFixture(t, "planner", "scheduled-run", map[string]string{fixtureSchedule: sch})); err != nil {
		t.Fatal(err)
	}
	_, runs := call(t, "alice", "GET", "/schedules/"+sch+"/runs", nil)
	list := runs["Runs"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["Trigger"] != "schedule" {
		t.Fatalf("runs after a scheduled firing: %v", runs)
	}
	runID := list[0].(map[string]any)["RunId"].(string)
	ended := waitRun(t, "alice", runID)

	out, err = plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction,
		loadFixture(t, "planner", "failure-record", map[string]string{fixtureRun: runID}))
	var resp events.SQSEventResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("planner answered the failure record with %s (%v), want no batch item failures", out, err)
	}
	if _, r := call(t, "alice", "GET", "/runs/"+runID, nil); r["State"] != ended["State"] || r["Reason"] != ended["Reason"] {
		t.Errorf("a failure record changed the ended run: %v, was %v", r, ended)
	}
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, loadFixture(t, "planner", "sweep-leases", nil)); err != nil {
		t.Errorf("lease sweep: %v", err)
	}
}
