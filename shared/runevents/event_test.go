package runevents

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

func ended(state run.State, notify string) run.Run {
	created := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	started, finished := created.Add(1500*time.Millisecond), created.Add(90*time.Second+250*time.Millisecond)
	return run.Run{
		RunId: "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23", ScheduleId: "0198f5d2-9b3c-7d4e-8f5a-6b7c8d9e0f12",
		DatasetId: "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01", Trigger: run.OnDemand, TriggeredBy: "alice", State: state,
		Reason:       map[run.State]string{run.Failed: "1 file could not be copied"}[state],
		Counts:       run.Counts{Listed: 5, Matched: 4, Copied: 2, SkippedUnchanged: 1, Failed: 1, BytesCopied: 2048},
		TasksPlanned: 3, TasksDone: 3, CreatedBy: "alice", AuthorizedUsers: []string{"alice", "bob"},
		CreatedAt: created, StartedAt: &started, FinishedAt: &finished, Notify: notify, Continuation: "secret-ish position",
	}
}

func detailOf(t *testing.T, e Entry) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A run that ended is one event: its detail-type by state, the stable
// EventId, the counts, the duration from its start, the run's Report (null
// when it names none), the
// schedule's Notify; who may read the run and its planning position stay
// out.
func TestBuild(t *testing.T) {
	e, err := Build(ended(run.Failed, schedule.NotifyOnFailure))
	if err != nil {
		t.Fatal(err)
	}
	d := detailOf(t, e)
	if e.DetailType != DetailTypeFailed || d["EventId"] != "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23:ended" || d["State"] != "failed" ||
		d["Reason"] != "1 file could not be copied" || d["DurationSeconds"] != 88.75 || d["Copied"] != 2.0 || d["BytesCopied"] != 2048.0 {
		t.Errorf("event %s %s", e.DetailType, e.Detail)
	}
	if r, ok := d["Report"]; !ok || r != nil {
		t.Errorf("Report = %v (present %v), want null", r, ok)
	}
	withReport := ended(run.Succeeded, "")
	withReport.Report = &run.Report{Bucket: "reports", Csv: "runs/x/report.csv", Json: "runs/x/report.json", Files: 3}
	re, err := Build(withReport)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := detailOf(t, re)["Report"].(map[string]any); r["Bucket"] != "reports" || r["Csv"] != "runs/x/report.csv" || r["Json"] != "runs/x/report.json" || r["Files"] != 3.0 {
		t.Errorf("Report = %v, want the run's", r)
	}
	if d["Notify"] != "failure" || !e.Time.Equal(*ended(run.Failed, "").FinishedAt) {
		t.Errorf("Notify %v, time %v", d["Notify"], e.Time)
	}
	for _, private := range []string{"alice", "bob", "secret-ish", "AuthorizedUsers", "CreatedBy", "Continuation"} {
		if strings.Contains(e.Detail, private) {
			t.Errorf("the event carries %q: %s", private, e.Detail)
		}
	}
	again, _ := Build(ended(run.Failed, schedule.NotifyOnFailure))
	if again != e {
		t.Errorf("the same run built twice differs:\n%+v\n%+v", e, again)
	}

	ok, err := Build(ended(run.Succeeded, ""))
	if err != nil || ok.DetailType != DetailTypeSucceeded {
		t.Fatalf("succeeded: %v %v", ok.DetailType, err)
	}
	if _, has := detailOf(t, ok)["Notify"]; has {
		t.Errorf("a schedule without Notify: the event has one: %s", ok.Detail)
	}
	noStart := ended(run.Failed, "")
	noStart.StartedAt = nil
	if e, _ := Build(noStart); detailOf(t, e)["DurationSeconds"] != 90.25 {
		t.Errorf("without StartedAt the duration runs from CreatedAt: %s", e.Detail)
	}
	for _, s := range []run.State{run.Queued, run.Planning, run.Running, run.Skipped} {
		if _, err := Build(ended(s, "")); err == nil {
			t.Errorf("a %s run has an end event", s)
		}
	}
}

// schemaOf reads run-event.schema.json's definition def of a detail.
func schemaOf(t *testing.T, def string) (required []string, props map[string]map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("run-event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Required   []string
			Properties map[string]map[string]any
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s.Defs[def].Required, s.Defs[def].Properties
}

// Every event's detail has the members the schema requires, only those it
// describes, and enumerated values among the schema's.
func TestDetailFollowsTheSchema(t *testing.T) {
	required, props := schemaOf(t, "RunEnded")
	for _, r := range []run.Run{ended(run.Failed, "failure"), ended(run.Succeeded, "always"), ended(run.Succeeded, "")} {
		e, err := Build(r)
		if err != nil {
			t.Fatal(err)
		}
		d := detailOf(t, e)
		for _, name := range required {
			if _, ok := d[name]; !ok {
				t.Errorf("%s: no %s", e.DetailType, name)
			}
		}
		for name, v := range d {
			p, ok := props[name]
			if !ok {
				t.Errorf("%s: %s is not in the schema", e.DetailType, name)
				continue
			}
			if enum, ok := p["enum"].([]any); ok && !slices.Contains(enum, v) {
				t.Errorf("%s: %s = %v, not one of %v", e.DetailType, name, v, enum)
			}
		}
	}
}

// The notification rules pass the events of schedules that asked: every
// end for always, failures for failure, nothing without Notify.
func TestNotificationRules(t *testing.T) {
	var patterns []*eventbridgelocal.Pattern
	for _, r := range NotificationRules() {
		raw, _ := json.Marshal(r.Pattern())
		p, err := eventbridgelocal.ParsePattern(string(raw))
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		patterns = append(patterns, p)
	}
	testCases := []struct {
		state  run.State
		notify string
		want   bool
	}{
		{run.Failed, "failure", true}, {run.Succeeded, "failure", false},
		{run.Failed, "always", true}, {run.Succeeded, "always", true},
		{run.Failed, "", false}, {run.Succeeded, "", false},
	}
	for _, tc := range testCases {
		e, _ := Build(ended(tc.state, tc.notify))
		ev := map[string]any{"source": Source, "detail-type": e.DetailType, "detail": detailOf(t, e)}
		matched := 0
		for _, p := range patterns {
			if p.Matches(ev) {
				matched++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[tc.want]; matched != want {
			t.Errorf("%s run, Notify %q: %d rules match, want %d", tc.state, tc.notify, matched, want)
		}
	}
}
