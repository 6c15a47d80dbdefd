package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// wantRunEndedLogged finds the `run ended` log line of run r (as GET
// /runs/{id} answered it) and checks that it carries the run's state,
// reason and every counter of the record, under the record's names.
func wantRunEndedLogged(t *testing.T, r map[string]any) {
	t.Helper()
	line := runEndedLine(t, r["RunId"].(string))
	if line["state"] != r["State"] || line["reason"] != r["Reason"] {
		t.Errorf("run ended: state %v, reason %v; the record says %v, %v", line["state"], line["reason"], r["State"], r["Reason"])
	}
	got, _ := line["counts"].(map[string]any)
	for _, k := range []string{"Listed", "Matched", "Copied", "BytesCopied", "SkippedUnchanged", "SkippedStorageClass",
		"SkippedUnsafeKey", "FailedValidation", "Failed"} {
		if got[k] != r[k] {
			t.Errorf("run ended: counts.%s = %v, the record says %v", k, got[k], r[k])
		}
	}
	if line["tasksPlanned"] != r["TasksPlanned"] || line["tasksDone"] != r["TasksDone"] {
		t.Errorf("run ended: tasks %v/%v, the record says %v/%v", line["tasksDone"], line["tasksPlanned"], r["TasksDone"], r["TasksPlanned"])
	}
}

// runEndedLine waits briefly for runID's `run ended` line: whoever ended
// the run logs it just after the write that a poll may already have seen.
func runEndedLine(t *testing.T, runID string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, raw := range strings.Split(logs.String(), "\n") {
			var line map[string]any
			if strings.Contains(raw, runID) && json.Unmarshal([]byte(raw), &line) == nil && line["msg"] == "run ended" && line["runId"] == runID {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no `run ended` log line for run %s", runID)
		}
	}
}
