package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// runEventLog receives every event the local EventBridge accepts (TestMain).
var runEventLog = &syncBuffer{}

// recordedEvent is one line of the local EventBridge's record.
type recordedEvent struct {
	Bus   string
	Event struct {
		ID         string `json:"id"`
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     runevents.Detail
	}
}

// outboundEvents are the run events on the platform's outbound bus, by
// their EventId.
func outboundEvents(t *testing.T) map[string][]recordedEvent {
	t.Helper()
	out := map[string][]recordedEvent{}
	for _, line := range strings.Split(runEventLog.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ev recordedEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("recorded event %q: %v", line, err)
		}
		if strings.HasSuffix(ev.Bus, ":event-bus/"+plat.Names.EventBus) {
			out[ev.Event.Detail.EventId] = append(out[ev.Event.Detail.EventId], ev)
		}
	}
	return out
}

// waitEvent waits for the event of runID's end and returns it; the
// ender publishes it right after the run's final write.
func waitEvent(t *testing.T, runID string) recordedEvent {
	t.Helper()
	id := runevents.EventId(runID, runevents.KindEnded)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if evs := outboundEvents(t)[id]; len(evs) > 0 {
			return evs[0]
		}
	}
	t.Fatalf("no event %s on the outbound bus", id)
	return recordedEvent{}
}

// notifications are the runs the local notification topic logged.
func notifications() map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(logs.String(), "\n") {
		var l struct{ Msg, RunId string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "notification" {
			n[l.RunId]++
		}
	}
	return n
}

// A run that succeeds and one that fails each put exactly one event on the
// platform's outbound bus, with the stable EventId, even with every task
// delivered twice (two workers race to end the run); the schedules ask for
// notifications of failures only, so only the failed run is notified,
// until a schedule asks for every end.
func TestRunEventsAnnounceEachEndOnce(t *testing.T) {
	const bucket = "run-events-source"
	csv := []byte("id,name\n1,a\n")
	putFiles(t, bucket, []srcFile{{"ok/a.csv", csv, ""}, {"ok/b.csv", csv, ""}, {"cold/c.csv", csv, s3types.StorageClassGlacier}})
	conn := policyConn(bucket)
	conn["Version"] = "1.6" // a GLACIER file fails a 1.6 run
	connID := connect(t, "alice", conn)
	onFailure := map[string]any{"On": "failure"}
	okSch, okDS := scheduleOn(t, connID, "ok/", onFailure)
	coldSch, _ := scheduleOn(t, connID, "cold/", onFailure)

	ok, cold := runToEnd(t, "alice", okSch), runToEnd(t, "alice", coldSch)
	if ok["State"] != "succeeded" || cold["State"] != "failed" {
		t.Fatalf("runs: %v %v; want one succeeded, one failed", ok, cold)
	}
	okEv, coldEv := waitEvent(t, ok["RunId"].(string)), waitEvent(t, cold["RunId"].(string))
	if okEv.Event.DetailType != runevents.DetailTypeSucceeded || coldEv.Event.DetailType != runevents.DetailTypeFailed ||
		okEv.Event.Source != runevents.Source || okEv.Event.Detail.Copied != 2 || okEv.Event.Detail.DatasetId != okDS ||
		okEv.Event.Detail.ScheduleId != okSch || coldEv.Event.Detail.Reason != cold["Reason"] || coldEv.Event.Detail.Notify != "failure" {
		t.Errorf("events do not announce their runs:\n%+v\n%+v", okEv, coldEv)
	}

	// Notify always: the next run of the same schedule is notified too.
	if status, out := call(t, "alice", "PUT", "/schedules/"+okSch, map[string]any{"Notify": map[string]any{"On": "always"}}); status != http.StatusOK {
		t.Fatalf("PUT Notify: %d %v", status, out)
	}
	again := runToEnd(t, "alice", okSch)
	waitEvent(t, again["RunId"].(string))
	time.Sleep(2 * time.Second) // room for a duplicate to show
	byID := outboundEvents(t)
	for _, r := range []map[string]any{ok, cold, again} {
		if n := len(byID[runevents.EventId(r["RunId"].(string), runevents.KindEnded)]); n != 1 {
			t.Errorf("run %s: %d events, want 1", r["RunId"], n)
		}
	}
	got := notifications()
	if got[cold["RunId"].(string)] != 1 || got[ok["RunId"].(string)] != 0 || got[again["RunId"].(string)] != 1 {
		t.Errorf("notifications by run %v: want one for the failed run %s and the run after Notify always %s, none for %s",
			got, cold["RunId"], again["RunId"], ok["RunId"])
	}
	validateEvents(t)
}

// scheduleOn makes a csv dataset of dir on connection, and a schedule of
// it with notify; it returns their ids.
func scheduleOn(t *testing.T, connection, dir string, notify any) (scheduleID, datasetID string) {
	t.Helper()
	status, ds := call(t, "alice", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("ds"), "Domain": uniqueName("events"), "ConnectionId": connection, "FileType": "csv", "DirectoryPath": dir,
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	status, sch := call(t, "alice", "POST", "/schedules", map[string]any{"ScheduleName": "s", "DatasetId": ds["DatasetId"], "Notify": notify})
	if status != http.StatusCreated {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	if n, _ := sch["Notify"].(map[string]any); n["On"] != "failure" {
		t.Errorf("the schedule shows Notify %v", sch["Notify"])
	}
	return sch["ScheduleId"].(string), ds["DatasetId"].(string)
}

// validateEvents checks every event recorded so far against
// run-event.schema.json, with the contract tests' Ajv.
func validateEvents(t *testing.T) {
	t.Helper()
	tools, err := emulators.ToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed (as for make contract-tools): %v", err)
	}
	var lines []string
	for _, line := range strings.Split(runEventLog.String(), "\n") {
		if strings.Contains(line, ":event-bus/"+plat.Names.EventBus+`"`) {
			lines = append(lines, line)
		}
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "..")
	cmd := exec.Command(node, filepath.Join(root, "infra", "contract", "validate-events.mjs"),
		filepath.Join(root, "shared", "runevents", "run-event.schema.json"), path)
	cmd.Env = append(os.Environ(), "S3CONNECTIONS_TOOLS="+tools)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("events that do not match run-event.schema.json (%v):\n%s", err, out)
	}
}

// Notify is a field of the schedule: its owner sets it; an authorized user
// gets 403 and a stranger 404, and neither changes it.
func TestNotifyIsTheScheduleOwners(t *testing.T) {
	const bucket = "run-events-authz"
	putFiles(t, bucket, []srcFile{{"in/a.csv", []byte("id\n1\n"), ""}})
	conn := policyConn(bucket)
	conn["AuthorizedUsers"] = []string{"bob"}
	connID := connect(t, "alice", conn)
	sch, ds := scheduleOn(t, connID, "in/", map[string]any{"On": "failure"})
	if status, out := call(t, "alice", "PUT", "/datasets/"+ds, map[string]any{"AuthorizedUsers": []string{"bob"}}); status != http.StatusOK {
		t.Fatalf("share the dataset: %d %v", status, out)
	}
	if status, out := call(t, "alice", "PUT", "/schedules/"+sch, map[string]any{"AuthorizedUsers": []string{"bob"}}); status != http.StatusOK {
		t.Fatalf("share the schedule: %d %v", status, out)
	}
	always := map[string]any{"Notify": map[string]any{"On": "always"}}
	for user, want := range map[string]int{"bob": http.StatusForbidden, "mallory": http.StatusNotFound} {
		if status, out := call(t, user, "PUT", "/schedules/"+sch, always); status != want {
			t.Errorf("%s sets Notify: %d %v, want %d", user, status, out, want)
		}
	}
	if _, got := call(t, "bob", "GET", "/schedules/"+sch, nil); asJSONString(got["Notify"]) != `{"On":"failure"}` {
		t.Errorf("Notify is %v after refused changes", got["Notify"])
	}
	if status, out := call(t, "alice", "PUT", "/schedules/"+sch, map[string]any{"Notify": nil}); status != http.StatusOK || out["Notify"] != nil {
		t.Errorf("the owner stops notifications: %d %v", status, out)
	}
	if status, out := call(t, "alice", "PUT", "/schedules/"+sch, map[string]any{"Notify": map[string]any{"On": "sometimes"}}); status != http.StatusBadRequest || out["Field"] != "Notify.On" {
		t.Errorf("Notify.On sometimes: %d %v, want 400 naming Notify.On", status, out)
	}
}

func asJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
