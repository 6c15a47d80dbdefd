package stack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/httpapi"
)

const fixtureID = "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11"

// loadFixture reads events/<dir>/<name>.json with the placeholder connection
// id replaced by id.
func loadFixture(t *testing.T, dir, name, id string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(raw), fixtureID, id))
}

// Every route has a sample event in events/api, and each one, invoked on
// the api function in the local runtime as API Gateway would, does what it
// says: together they walk one connection through its life.
func TestAPIEventFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "events", "api", "*.json"))
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
	invoke := func(name, id string) events.APIGatewayV2HTTPResponse {
		out, err := plat.Runtime.Invoke(ctx, plat.Names.APIFunction, loadFixture(t, "api", name, id))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return resp
	}
	created := invoke("create-connection", fixtureID)
	var conn struct{ ConnectionId string }
	if err := json.Unmarshal([]byte(created.Body), &conn); created.StatusCode != 201 || err != nil {
		t.Fatalf("create-connection: %d %s", created.StatusCode, created.Body)
	}
	for _, step := range []struct {
		name   string
		status int
	}{
		{"health", 200}, {"list-connections", 200}, {"get-connection", 200}, {"connection-policies", 200},
		{"test-connection", 200}, {"update-connection", 200}, {"upgrade-connection", 200},
		{"downgrade-connection", 200}, {"delete-connection", 204},
	} {
		if resp := invoke(step.name, conn.ConnectionId); resp.StatusCode != step.status {
			t.Errorf("%s: %d %s, want %d", step.name, resp.StatusCode, resp.Body, step.status)
		}
	}
}

// The planner's sample event runs a connection test.
func TestPlannerEventFixture(t *testing.T) {
	id := mustCreate(t, "alice", policyConn(DemoBucket))
	out, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, loadFixture(t, "planner", "test-connection", id))
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Ok bool }
	if err := json.Unmarshal(out, &res); err != nil || !res.Ok {
		t.Fatalf("planner answered %s (%v)", out, err)
	}
}
