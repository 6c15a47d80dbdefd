package e2e

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/report"
)

// reportLink asks for runID's report as user, not following the redirect:
// the status, the Location and the error message.
func reportLink(t *testing.T, user, runID, format string) (int, string, map[string]any) {
	t.Helper()
	tok, err := plat.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", plat.APIURL+"/runs/"+runID+"/report?format="+format, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("authorization", "Bearer "+tok)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("Location"), out
}

// download follows runID's report redirect, as curl -L does (the token
// goes to the API only), once the report is assembled.
func download(t *testing.T, user, runID, format string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, location, out := reportLink(t, user, runID, format)
		if status == http.StatusFound {
			resp, err := http.Get(location)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET the presigned report: %d %s %v", resp.StatusCode, b, err)
			}
			return string(b)
		}
		if status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("report of run %s: %d %v", runID, status, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReport waits until runID's report is assembled (302).
func waitReport(t *testing.T, user, runID string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, _, out := reportLink(t, user, runID, "csv")
		if status == http.StatusFound {
			return
		}
		if status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("report of run %s: %d %v", runID, status, out)
		}
	}
}

// reportRows parses a CSV report into its rows by name, failing on a name
// listed twice or a header other than report.Columns.
func reportRows(t *testing.T, body string) map[string]map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], report.Columns) {
		t.Fatalf("report header %q, want %q", recs, report.Columns)
	}
	rows := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range report.Columns {
			row[col] = rec[i]
		}
		if _, dup := rows[row["Name"]]; dup {
			t.Errorf("report lists %q twice", row["Name"])
		}
		rows[row["Name"]] = row
	}
	return rows
}

// A run's report lists every file once with its outcome, downloaded
// through the API's redirect to a presigned URL (CSV and JSON); a second
// run's lists the unchanged files with the version the first one wrote;
// the run's event names the report; the report is 409 until it is
// assembled, 400 for a bad format, and as invisible to another user as
// the run itself.
func TestRunReportListsEveryFileOnce(t *testing.T) {
	const bucket, user = "report-source", "reporter"
	csvBody := []byte("id,name\n1,a\n")
	long := "data/" + strings.Repeat("x", 1024-len("data/")-len(".csv")) + ".csv" // too long a key for the zones: fails
	putFiles(t, bucket, []srcFile{
		{"data/a.csv", csvBody, ""}, {"data/sub/b.csv", csvBody, ""}, {"data/cold.csv", csvBody, s3types.StorageClassGlacier},
		{"data/ragged.csv", []byte("id,name\n1,a\n2,b,c\n"), ""}, {long, csvBody, ""},
	})
	_, sch := setup(t, user, bucket, "1.7", "csv", "data/", false)

	status, started := call(t, user, "POST", "/schedules/"+sch+"/run", nil)
	if status != http.StatusAccepted {
		t.Fatalf("run: %d %v", status, started)
	}
	runID := started["RunId"].(string)
	if status, _, out := reportLink(t, user, runID, "csv"); status == http.StatusConflict {
		if msg, _ := out["Message"].(string); !strings.Contains(msg, "report") {
			t.Errorf("409 says %q: want it to say the report is not ready", msg)
		}
	} else if _, r := call(t, user, "GET", "/runs/"+runID, nil); status != http.StatusFound || r["Report"] == nil {
		t.Errorf("report of a run just started: %d, run %v; want 409 until it ended and its report is assembled", status, r)
	}
	first := waitRun(t, user, runID)
	rows := reportRows(t, download(t, user, runID, "csv"))
	want := map[string]string{"a.csv": "copied", "sub/b.csv": "copied", "cold.csv": "skipped_storage_class",
		"ragged.csv": "failed_validation", strings.TrimPrefix(long, "data/"): "failed"}
	wantReport(t, rows, want)
	if a := rows["a.csv"]; a["Zone"] != "dlz" || !strings.HasSuffix(a["ZoneKey"], "/a.csv") || a["IngestedAt"] == "" ||
		a["SourceKey"] != "data/a.csv" || a["Size"] != "12" || a["SourceETag"] == "" {
		t.Errorf("copied row %v: want its zone, key, time, source key, size and ETag", a)
	}
	if r := rows["ragged.csv"]; r["Zone"] != "lz" || r["Reason"] == "" {
		t.Errorf("failed validation row %v: want the LZ and the reason", r)
	}
	if c := rows["cold.csv"]; c["StorageClass"] != "GLACIER" || c["ZoneKey"] != "" {
		t.Errorf("skipped row %v: want its class and no zone key", c)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(download(t, user, runID, "json")), &js); err != nil || len(js) != len(want) {
		t.Errorf("JSON report: %d rows (%v), want %d", len(js), err, len(want))
	}

	// The event announces the report the run's record names.
	ev := waitEvent(t, runID)
	_, rec := call(t, user, "GET", "/runs/"+runID, nil)
	named, _ := rec["Report"].(map[string]any)
	if ev.Event.Detail.Report == nil || named == nil || ev.Event.Detail.Report.Csv != named["Csv"] || ev.Event.Detail.Report.Files != int64(len(want)) {
		t.Errorf("event's report %+v, run's %v: want the same, %d files", ev.Event.Detail.Report, named, len(want))
	}

	// Access: another user sees neither the run nor its report; a bad
	// format names the parameter.
	runStatus, _ := call(t, "mallory", "GET", "/runs/"+runID, nil)
	if status, location, _ := reportLink(t, "mallory", runID, "csv"); status != runStatus || status != http.StatusNotFound || location != "" {
		t.Errorf("another user's report request: %d (Location %q), the run %d: want 404 for both", status, location, runStatus)
	}
	if status, _, out := reportLink(t, user, runID, "xml"); status != http.StatusBadRequest || out["Field"] != "format" {
		t.Errorf("format=xml: %d %v, want 400 naming format", status, out)
	}

	// A second run lists the files it left unchanged, with the version
	// the first run wrote.
	second := runToEnd(t, user, sch)
	again := reportRows(t, download(t, user, second["RunId"].(string), "csv"))
	for _, n := range []string{"a.csv", "sub/b.csv"} {
		if again[n]["Outcome"] != report.OutcomeUnchanged || again[n]["ZoneKey"] != rows[n]["ZoneKey"] {
			t.Errorf("second run's %s: %v, want unchanged at %s", n, again[n], rows[n]["ZoneKey"])
		}
	}
	if again["cold.csv"]["Outcome"] != "skipped_storage_class" || len(again) != len(want) {
		t.Errorf("second run's report: %v", again)
	}
	if first["State"] != "failed" { // the long key fails the run
		t.Errorf("first run %v, want failed", first["State"])
	}
}

// wantReport checks a report's rows against the outcomes by name.
func wantReport(t *testing.T, rows map[string]map[string]string, want map[string]string) {
	t.Helper()
	for name, outcome := range want {
		if got := rows[name]["Outcome"]; got != outcome {
			t.Errorf("report: %.40q is %q, want %q", name, got, outcome)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("report lists %d files, want %d", len(rows), len(want))
	}
}
