package run

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

// oneRun is a Store holding one run: ReportURL reads nothing else.
type oneRun struct {
	Store
	r Run
}

func (s oneRun) GetRun(_ context.Context, id string) (Run, error) {
	if id != s.r.RunId {
		return Run{}, NotFound(id)
	}
	return s.r, nil
}

// linker links bucket/key as a fake URL.
type linker struct{}

func (linker) Link(_ context.Context, bucket, key string) (string, error) {
	return "https://" + bucket + "/" + key + "?X-Amz-Expires=300", nil
}

// A report's URL follows the run's access rule (404 to others, as for the
// run), is a 400 naming format for an unknown format, a 409 until the run
// ended and its report was assembled, and the CSV or JSON object's link
// after.
func TestReportURL(t *testing.T) {
	rep := &Report{Bucket: "reports", Csv: "runs/r/report.csv", Json: "runs/r/report.json", Files: 2}
	base := Run{RunId: "r", CreatedBy: "alice", AuthorizedUsers: []string{"bob"}}
	at := func(state State, report *Report) Run { r := base; r.State, r.Report = state, report; return r }
	testCases := []struct {
		name, caller, format string
		run                  Run
		kind                 apperr.Kind
		field, url, message  string
	}{
		{name: "csv by default", caller: "alice", run: at(Succeeded, rep), url: "https://reports/runs/r/report.csv?X-Amz-Expires=300"},
		{name: "json", caller: "bob", format: "json", run: at(Failed, rep), url: "https://reports/runs/r/report.json?X-Amz-Expires=300"},
		{name: "another user", caller: "mallory", format: "csv", run: at(Succeeded, rep), kind: apperr.KindNotFound},
		{name: "bad format", caller: "alice", format: "xml", run: at(Succeeded, rep), kind: apperr.KindInvalid, field: "format"},
		{name: "running", caller: "alice", run: at(Running, nil), kind: apperr.KindConflict, message: "running"},
		{name: "ended, not assembled", caller: "alice", run: at(Succeeded, nil), kind: apperr.KindConflict, message: "still being assembled"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{Store: oneRun{r: tc.run}, Reports: linker{}, Now: time.Now}
			url, err := s.ReportURL(context.Background(), tc.caller, "r", tc.format)
			if tc.url != "" {
				if err != nil || url != tc.url {
					t.Fatalf("got %q, %v; want %q", url, err, tc.url)
				}
				return
			}
			var e *apperr.Error
			if apperr.KindOf(err) != tc.kind || url != "" {
				t.Fatalf("got %q, %v; want a %v error", url, err, tc.kind)
			}
			if ae, ok := err.(*apperr.Error); ok {
				e = ae
			}
			if e == nil || e.Field != tc.field || !strings.Contains(e.Message, tc.message) {
				t.Errorf("error %+v: want field %q and a message saying %q", e, tc.field, tc.message)
			}
		})
	}
}
