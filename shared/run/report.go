package run

import (
	"context"
	"errors"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
)

// Report is where a run's report lies in the platform's reports bucket:
// the same rows as CSV and as JSON (shared/report), and how many files it
// lists.
type Report struct {
	Bucket string
	Csv    string // the CSV object's key
	Json   string // the JSON object's key
	Files  int64
}

// Report formats: the query parameter format of GET /runs/{runId}/report.
const (
	ReportCSV  = "csv"
	ReportJSON = "json"
)

// Key is the key of the report's object in format ("csv" or "json").
func (r Report) Key(format string) string {
	if format == ReportJSON {
		return r.Json
	}
	return r.Csv
}

// ReportLinker makes a short-lived link to read one object of the reports
// bucket (a presigned GET URL).
type ReportLinker interface {
	Link(ctx context.Context, bucket, key string) (string, error)
}

// ReportURL returns a short-lived URL of the report of a run the caller
// may see (the access rule of Get), in format: 400 naming format for
// another, 409 while the run has not ended or its report is still being
// assembled.
func (s *Service) ReportURL(ctx context.Context, caller, runID, format string) (string, error) {
	if format == "" {
		format = ReportCSV
	}
	if format != ReportCSV && format != ReportJSON {
		return "", apperr.Invalid("format", "must be %q or %q", ReportCSV, ReportJSON)
	}
	r, err := s.visible(ctx, caller, runID)
	if err != nil {
		return "", err
	}
	switch {
	case !r.State.Ended():
		return "", apperr.Conflict("", "run %s is %s: its report is written while it runs and assembled when it ends; try again then", runID, r.State)
	case r.Report == nil:
		return "", apperr.Conflict("", "run %s ended; its report is still being assembled: try again in a minute", runID)
	}
	if s.Reports == nil {
		return "", errors.New("no report linker configured")
	}
	return s.Reports.Link(ctx, r.Report.Bucket, r.Report.Key(format))
}

// visible reads a run the caller may see: who may see its schedule when it
// started; to anyone else the run does not exist.
func (s *Service) visible(ctx context.Context, caller, runID string) (Run, error) {
	r, err := s.Store.GetRun(ctx, runID)
	if err != nil {
		return Run{}, err
	}
	if !access.CanSee(r.CreatedBy, r.AuthorizedUsers, caller) {
		return Run{}, NotFound(runID)
	}
	return r, nil
}
