package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// Every dataset, schedule and run route, for the owner, an authorized user,
// a stranger and no token.
func TestDatasetScheduleRunRoutesByCaller(t *testing.T) {
	conn := policyConn(platformlocal.DemoBucket)
	conn["AuthorizedUsers"] = []string{"bob"}
	cid := mustCreate(t, "alice", conn)
	status, ds := call(t, "alice", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("routes"), "Domain": "routes", "ConnectionId": cid, "FileType": "csv",
		"DirectoryPath": "sales/2026/", "AuthorizedUsers": []string{"bob"},
	})
	if status != 201 {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	d := "/datasets/" + ds["DatasetId"].(string)
	status, sch := call(t, "alice", "POST", "/schedules", map[string]any{
		"ScheduleName": "routes", "DatasetId": ds["DatasetId"], "AuthorizedUsers": []string{"bob"},
	})
	if status != 201 {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	s := "/schedules/" + sch["ScheduleId"].(string)
	all := func(alice, bob, mallory int) map[string]int {
		return map[string]int{"": 401, "mallory": mallory, "bob": bob, "alice": alice}
	}
	testCases := []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", d, nil, all(200, 200, 404)},
		{"GET", d + "/files", nil, all(200, 200, 404)},
		{"PUT", d, map[string]any{"Description": "2026 orders"}, all(200, 403, 404)},
		{"GET", s, nil, all(200, 200, 404)},
		{"PUT", s, map[string]any{"Description": "by hand"}, all(200, 403, 404)},
		{"GET", s + "/runs", nil, all(200, 200, 404)},
		{"POST", s + "/run", nil, map[string]int{"": 401, "mallory": 404, "bob": 202}},
		{"DELETE", s, nil, all(204, 403, 404)},
		{"DELETE", d, nil, all(204, 403, 404)},
		{"POST", "/datasets", map[string]any{}, map[string]int{"": 401}},
		{"GET", "/datasets", nil, map[string]int{"": 401}},
		{"POST", "/schedules", map[string]any{}, map[string]int{"": 401}},
		{"GET", "/schedules", nil, map[string]int{"": 401}},
		{"GET", "/runs/anything", nil, map[string]int{"": 401, "alice": 404}},
	}
	for _, tc := range testCases {
		for _, user := range []string{"", "mallory", "bob", "alice"} {
			want, ok := tc.want[user]
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s %s as %q", tc.method, tc.path, user), func(t *testing.T) {
				if tc.method == "DELETE" && user == "alice" && strings.HasPrefix(tc.path, "/schedules/") {
					waitIdle(t, s)
				}
				status, out := call(t, user, tc.method, tc.path, tc.body)
				if status != want {
					t.Fatalf("status %d, want %d: %v", status, want, out)
				}
				if status == 202 {
					run := waitRun(t, user, out["RunId"].(string))
					if _, got := call(t, "mallory", "GET", "/runs/"+run["RunId"].(string), nil); got["State"] != nil {
						t.Fatalf("a stranger reads the run: %v", got)
					}
				}
			})
		}
	}
}

// waitIdle waits for the schedule's runs to end.
func waitIdle(t *testing.T, schedulePath string) {
	t.Helper()
	_, runs := call(t, "alice", "GET", schedulePath+"/runs", nil)
	for _, r := range runs["Runs"].([]any) {
		waitRun(t, "alice", r.(map[string]any)["RunId"].(string))
	}
}

func TestDatasetRules(t *testing.T) {
	c18 := mustCreate(t, "owner", policyConn(platformlocal.DemoBucket))
	c17body := policyConn(platformlocal.DemoBucket)
	c17body["Version"] = "1.7"
	c17 := mustCreate(t, "owner", c17body)
	theirs := mustCreate(t, "someone-else", policyConn(platformlocal.DemoBucket))
	base := func(conn string) map[string]any {
		return map[string]any{"DatasetName": uniqueName("rules"), "Domain": "rules", "ConnectionId": conn, "FileType": "csv"}
	}
	with := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
	testCases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"skip-LZ on 1.7", with(base(c17), "SkipLZ", true), 400, "SkipLZ"},
		{"skip-LZ on 1.8", with(base(c18), "SkipLZ", true), 201, ""},
		{"someone else's connection", base(theirs), 400, "ConnectionId"},
		{"no such connection", base("nope"), 400, "ConnectionId"},
		{"bad file type", with(base(c18), "FileType", "xml"), 400, "FileType"},
		{"climbing path", with(base(c18), "DirectoryPath", "a/../b"), 400, "DirectoryPath"},
		{"normalized path", with(base(c18), "DirectoryPath", "/sales/2026"), 201, ""},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, "owner", "POST", "/datasets", tc.body)
			if status != tc.status || tc.field != "" && out["Field"] != tc.field {
				t.Fatalf("%d %v, want %d naming %q", status, out, tc.status, tc.field)
			}
			if tc.name == "normalized path" && out["DirectoryPath"] != "sales/2026/" {
				t.Fatalf("DirectoryPath %v", out["DirectoryPath"])
			}
		})
	}

	t.Run("names unique in a domain under concurrent creates", func(t *testing.T) {
		name := uniqueName("Unique")
		var wg sync.WaitGroup
		statuses := make(chan int, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := base(c18)
				b["DatasetName"] = name
				if i%2 == 1 {
					b["DatasetName"] = strings.ToLower(name)
				}
				s, _ := call(t, "owner", "POST", "/datasets", b)
				statuses <- s
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[201] != 1 || count[409] != 7 {
			t.Fatalf("statuses %v", count)
		}
		b := base(c18)
		b["DatasetName"], b["Domain"] = name, "another-domain"
		if s, out := call(t, "owner", "POST", "/datasets", b); s != 201 {
			t.Fatalf("same name in another domain: %d %v", s, out)
		}
	})

	t.Run("guards name what blocks them", func(t *testing.T) {
		conn := mustCreate(t, "owner", policyConn(platformlocal.DemoBucket))
		name := uniqueName("guarded")
		status, ds := call(t, "owner", "POST", "/datasets", map[string]any{
			"DatasetName": name, "Domain": "rules", "ConnectionId": conn, "FileType": "csv", "SkipLZ": true,
		})
		if status != 201 {
			t.Fatalf("%d %v", status, ds)
		}
		status, sch := call(t, "owner", "POST", "/schedules", map[string]any{"ScheduleName": "guard", "DatasetId": ds["DatasetId"]})
		if status != 201 {
			t.Fatalf("%d %v", status, sch)
		}
		if s, out := call(t, "owner", "DELETE", "/connections/"+conn, nil); s != 409 || !strings.Contains(out["Message"].(string), "rules/"+name) {
			t.Errorf("delete connection with a dataset: %d %v", s, out)
		}
		if s, out := call(t, "owner", "POST", "/connections/"+conn+"/upgrade", map[string]any{}); s != 409 {
			t.Errorf("upgrade at latest: %d %v", s, out)
		}
		if s, out := call(t, "owner", "DELETE", "/datasets/"+ds["DatasetId"].(string), nil); s != 409 || !strings.Contains(out["Message"].(string), "guard") {
			t.Errorf("delete dataset with a schedule: %d %v", s, out)
		}
		// A connection upgraded from 1.7 cannot go back while a skip-LZ dataset uses it.
		body := policyConn(platformlocal.DemoBucket)
		body["Version"] = "1.7"
		c := mustCreate(t, "owner", body)
		call(t, "owner", "POST", "/connections/"+c+"/upgrade", nil)
		skip := uniqueName("skiplz")
		if s, out := call(t, "owner", "POST", "/datasets", map[string]any{
			"DatasetName": skip, "Domain": "rules", "ConnectionId": c, "FileType": "csv", "SkipLZ": true,
		}); s != 201 {
			t.Fatalf("%d %v", s, out)
		}
		if s, out := call(t, "owner", "POST", "/connections/"+c+"/downgrade", nil); s != 409 || !strings.Contains(out["Message"].(string), "rules/"+skip) {
			t.Errorf("downgrade under a skip-LZ dataset: %d %v", s, out)
		}
	})
}

func TestScheduleRules(t *testing.T) {
	conn := mustCreate(t, "planner-user", policyConn(platformlocal.DemoBucket))
	_, ds := call(t, "planner-user", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("sched"), "Domain": "schedule-rules", "ConnectionId": conn, "FileType": "json",
	})
	base := func() map[string]any { // a name of its own: names are unique per dataset
		return map[string]any{"ScheduleName": uniqueName("s"), "DatasetId": ds["DatasetId"]}
	}
	with := func(k string, v any) map[string]any { m := base(); m[k] = v; return m }
	testCases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
		says   string
	}{
		{"rate", with("ScheduleExpression", "rate(1 minute)"), 201, "", ""},
		{"cron with ?", with("ScheduleExpression", "cron(0 6 ? * MON-FRI *)"), 201, "", ""},
		{"five-field cron", with("ScheduleExpression", "cron(0 6 * * ?)"), 400, "ScheduleExpression", "6 fields"},
		{"both days", with("ScheduleExpression", "cron(0 6 1 * MON *)"), 400, "ScheduleExpression", "?"},
		{"bad rate", with("ScheduleExpression", "rate(0 minutes)"), 400, "ScheduleExpression", ""},
		{"bad zone", func() map[string]any {
			m := with("ScheduleExpression", "rate(1 hour)")
			m["ScheduleExpressionTimezone"] = "Mars/Olympus"
			return m
		}(), 400, "ScheduleExpressionTimezone", ""},
		{"other type", with("ScheduleType", "DataExport"), 400, "ScheduleType", ""},
		{"no dataset", with("DatasetId", "nope"), 400, "DatasetId", ""},
		{"on demand", base(), 201, "", ""},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, "planner-user", "POST", "/schedules", tc.body)
			if status != tc.status || out["Field"] != nilIfEmpty(tc.field) || !strings.Contains(fmt.Sprint(out["Message"]), tc.says) {
				t.Fatalf("%d %v, want %d naming %q saying %q", status, out, tc.status, tc.field, tc.says)
			}
		})
	}
	// The EventBridge schedule follows the schedule: created, disabled, removed.
	_, sch := call(t, "planner-user", "POST", "/schedules", with("ScheduleExpression", "rate(1 hour)"))
	id := sch["ScheduleId"].(string)
	if _, ok := plat.Scheduler.NextFireTime(plat.Names.ScheduleGroup, id); !ok {
		t.Fatal("no EventBridge schedule was created")
	}
	if s, _ := call(t, "planner-user", "PUT", "/schedules/"+id, map[string]any{"ScheduleExpression": ""}); s != http.StatusOK {
		t.Fatalf("to on demand: %d", s)
	}
	if _, ok := plat.Scheduler.NextFireTime(plat.Names.ScheduleGroup, id); ok {
		t.Fatal("an on-demand schedule still fires")
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
