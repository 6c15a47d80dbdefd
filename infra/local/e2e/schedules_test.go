package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// scheduleDataset makes a dataset of owner's, shared with users.
func scheduleDataset(t *testing.T, owner string, users ...string) string {
	t.Helper()
	conn := policyConn(platformlocal.DemoBucket)
	conn["AuthorizedUsers"] = users
	status, ds := call(t, owner, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("sched"), "Domain": uniqueName("sched"), "ConnectionId": mustCreate(t, owner, conn),
		"FileType": "json", "AuthorizedUsers": users,
	})
	if status != 201 {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	return ds["DatasetId"].(string)
}

// Of concurrent creations of one name (in any case) on one dataset, by its
// owner and a user it is shared with, exactly one succeeds; the others are
// 409s naming ScheduleName. Another dataset may use the name, and so may the
// dataset once the schedule is gone. A stranger learns nothing of the name.
func TestScheduleNameIsUniqueOnItsDataset(t *testing.T) {
	ds := scheduleDataset(t, "sched-owner", "sched-friend")
	name := uniqueName("nightly")
	const n = 8
	type answer struct {
		status int
		out    map[string]any
	}
	answers := make(chan answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, spelled := "sched-owner", name
			if i%2 == 1 {
				user, spelled = "sched-friend", strings.ToUpper(name)
			}
			status, out := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": spelled, "DatasetId": ds})
			answers <- answer{status, out}
		}()
	}
	wg.Wait()
	close(answers)
	created, id := 0, ""
	for a := range answers {
		switch {
		case a.status == 201:
			created++
			id = a.out["ScheduleId"].(string)
		case a.status != 409 || a.out["Field"] != "ScheduleName" || !strings.Contains(fmt.Sprint(a.out["Message"]), "already has a schedule named"):
			t.Errorf("%d %v, want 201 or a 409 naming ScheduleName", a.status, a.out)
		}
	}
	if created != 1 {
		t.Fatalf("%d schedules named %s were created, want 1", created, name)
	}
	if status, out := call(t, "sched-mallory", "POST", "/schedules", map[string]any{"ScheduleName": name, "DatasetId": ds}); status != 400 || out["Field"] != "DatasetId" {
		t.Errorf("a stranger: %d %v, want the 400 naming DatasetId that an absent dataset gets", status, out)
	}
	other := scheduleDataset(t, "sched-owner")
	if status, out := call(t, "sched-owner", "POST", "/schedules", map[string]any{"ScheduleName": name, "DatasetId": other}); status != 201 {
		t.Errorf("the name on another dataset: %d %v", status, out)
	}
	if status, out := call(t, "sched-owner", "DELETE", "/schedules/"+id, nil); status != 204 {
		t.Fatalf("delete: %d %v", status, out)
	}
	if status, out := call(t, "sched-friend", "POST", "/schedules", map[string]any{"ScheduleName": name, "DatasetId": ds}); status != 201 {
		t.Errorf("the name once free again: %d %v", status, out)
	}
}

// POST /schedules/{id}/run takes no body or an empty object: a field is a
// 400 that names it, as on every other route. The body is read before the
// schedule, so a stranger learns nothing from the answer either.
func TestRunNowRefusesUnknownFields(t *testing.T) {
	ds := scheduleDataset(t, "sched-owner")
	_, sch := call(t, "sched-owner", "POST", "/schedules", map[string]any{"ScheduleName": uniqueName("now"), "DatasetId": ds})
	run := "/schedules/" + sch["ScheduleId"].(string) + "/run"
	for _, user := range []string{"sched-owner", "sched-mallory"} {
		for _, body := range []string{`{"Force":true}`, `{"RunId":"x"}`} {
			status, out := call(t, user, "POST", run, body)
			field := strings.Split(strings.Trim(body, "{}"), `"`)[1]
			if status != 400 || out["Field"] != field || !strings.Contains(fmt.Sprint(out["Message"]), "not a known field") {
				t.Errorf("%s with %s: %d %v, want 400 naming %s", user, body, status, out, field)
			}
		}
	}
	if status, out := call(t, "sched-mallory", "POST", run, "{}"); status != 404 {
		t.Errorf("a stranger with {}: %d %v, want 404", status, out)
	}
	status, out := call(t, "sched-owner", "POST", run, "{}")
	if status != 202 {
		t.Fatalf("{}: %d %v, want 202", status, out)
	}
	waitRun(t, "sched-owner", out["RunId"].(string))
}

// An expression that will never fire is refused when it is set: an at() in
// the past, a cron that no date matches, a cron whose years are gone.
func TestScheduleExpressionMustFire(t *testing.T) {
	ds := scheduleDataset(t, "sched-owner")
	past := "at(" + time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05") + ")"
	soon := "at(" + time.Now().UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05") + ")"
	refused := []struct{ expr, says string }{
		{past, "in the past"},
		{"cron(0 0 31 2 ? *)", "never fires"},
		{"cron(0 0 30 2 ? *)", "never fires"},
		{"cron(0 0 * * ? 2020-2024)", "names no year"},
	}
	for _, tc := range refused {
		status, out := call(t, "sched-owner", "POST", "/schedules", map[string]any{
			"ScheduleName": uniqueName("never"), "DatasetId": ds, "ScheduleExpression": tc.expr,
		})
		if status != 400 || out["Field"] != "ScheduleExpression" || !strings.Contains(fmt.Sprint(out["Message"]), tc.says) {
			t.Errorf("create with %s: %d %v, want 400 naming ScheduleExpression saying %q", tc.expr, status, out, tc.says)
		}
	}
	status, sch := call(t, "sched-owner", "POST", "/schedules", map[string]any{
		"ScheduleName": uniqueName("once"), "DatasetId": ds, "ScheduleExpression": soon,
	})
	if status != 201 {
		t.Fatalf("an at() to come: %d %v", status, sch)
	}
	path := "/schedules/" + sch["ScheduleId"].(string)
	for _, tc := range refused {
		status, out := call(t, "sched-owner", "PUT", path, map[string]any{"ScheduleExpression": tc.expr})
		if status != 400 || out["Field"] != "ScheduleExpression" {
			t.Errorf("update to %s: %d %v, want 400 naming ScheduleExpression", tc.expr, status, out)
		}
	}
	if _, got := call(t, "sched-owner", "GET", path, nil); got["ScheduleExpression"] != soon {
		t.Errorf("a refused update changed the schedule: %v", got)
	}
}
