package metadata

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// CommitOutcomes returns the outcomes it committed: a duplicate delivery
// of a chunk, whose files another commit took first, gets back only the
// file that is new, which the run's report then lists from it alone.
func TestCommitOutcomesReturnsWhatItCommitted(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := newRun(t, newDataset(t, s, "commit-outcomes"))
	must(t, s.StartRun(ctx, r, time.Now().Add(time.Hour)))
	r, err := s.BeginPlanning(ctx, r.RunId)
	must(t, err)
	first := []run.FileResult{copiedFile(r, "a.csv", 1), copiedFile(r, "b.csv", 2)}
	got, err := s.CommitOutcomes(ctx, r, first)
	if err != nil || len(got) != 2 {
		t.Fatalf("first commit: %d committed (%v), want 2", len(got), err)
	}
	dup := []run.FileResult{copiedFile(r, "b.csv", 2), gateFailed("c.csv"), copiedFile(r, "a.csv", 1)}
	got, err = s.CommitOutcomes(ctx, r, dup)
	if err != nil || len(got) != 1 || got[0].Name != "c.csv" {
		t.Fatalf("duplicate commit returned %+v (%v), want only c.csv", got, err)
	}
}

// reportsS3 is a local S3 over HTTP for the reports bucket, which does
// not exist yet.
func reportsS3(t *testing.T) *s3.Client {
	t.Helper()
	srv, err := s3local.New(s3local.Options{})
	must(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})
}

// A run's end is announced only once its report is assembled and named on
// its record: while assembly fails (here: no reports bucket yet) the end
// stays in the outbox and no event goes out; the sweep assembles it,
// records it, and its event names it; the parts are gone afterwards.
func TestRunEndIsAnnouncedWithItsReport(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	bus, rec := eventBus(t)
	c := reportsS3(t)
	pub := &runevents.Publisher{Outbox: s, Bus: bus, BusName: "runs", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Reports: &report.Assembler{S3: c, Bucket: "reports"}}
	r := newRun(t, newDataset(t, s, "reported"))
	must(t, s.StartRun(ctx, r, time.Now().Add(time.Hour)))
	must(t, s.FinishRun(ctx, r, run.Succeeded, ""))

	pub.Announce(ctx, r.RunId) // the bucket is missing: assembly fails
	wantOutbox(t, s, r.RunId)
	if got := recorded(t, rec); len(got) != 0 {
		t.Fatalf("events %+v before the report was assembled", got)
	}
	if got, _ := s.GetRunRecord(ctx, r.RunId); got.Report != nil {
		t.Fatalf("run names report %+v before it was assembled", got.Report)
	}

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reports")})
	must(t, err)
	parts := &report.Parts{S3: c, Bucket: "reports"}
	must(t, parts.Put(ctx, report.PageKey(r.RunId, 1), []report.Row{{Name: "a.csv", SourceKey: "in/a.csv", Outcome: report.OutcomeUnchanged}}))
	if n, err := pub.PublishPending(ctx, time.Now().Add(runevents.PendingAge+time.Second)); err != nil || n != 1 {
		t.Fatalf("sweep published %d (%v), want 1", n, err)
	}
	wantOutbox(t, s)
	got, err := s.GetRunRecord(ctx, r.RunId)
	must(t, err)
	if got.Report == nil || got.Report.Bucket != "reports" || got.Report.Files != 1 || got.Report.Csv != report.Prefix(r.RunId)+"report.csv" {
		t.Fatalf("run names report %+v, want the assembled one", got.Report)
	}
	evs := recorded(t, rec)[runevents.EventId(r.RunId, runevents.KindEnded)]
	if len(evs) != 1 || evs[0].Report == nil || *evs[0].Report != *got.Report {
		t.Fatalf("events %+v, want one naming %+v", evs, got.Report)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("reports"), Prefix: aws.String(report.Prefix(r.RunId))})
	must(t, err)
	if len(out.Contents) != 2 {
		t.Errorf("%d objects left under the run, want the CSV and JSON reports only", len(out.Contents))
	}
	if err := s.SetRunReport(ctx, "0198f5d2-0000-7000-8000-000000000000", *got.Report); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("a report of no run: %v, want not found", err)
	}
}

// A part listed and gone when read: a duplicate's chunk that counted
// nothing (its worker deleted its part), so the ender lists again and
// announces the run with its report at once; or every part, cleaned up
// by another assembler that finished, whose report the ender then takes
// as the run's, assembling nothing more.
func TestAnnounceAfterAPartWent(t *testing.T) {
	for _, otherFinished := range []bool{false, true} {
		s, ctx := newStore(t), context.Background()
		bus, rec := eventBus(t)
		c := reportsS3(t)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reports")})
		must(t, err)
		r := newRun(t, newDataset(t, s, fmt.Sprintf("part-gone-%v", otherFinished)))
		must(t, s.StartRun(ctx, r, time.Now().Add(time.Hour)))
		must(t, s.FinishRun(ctx, r, run.Succeeded, ""))
		must(t, (&report.Parts{S3: c, Bucket: "reports"}).Put(ctx, report.PageKey(r.RunId, 1), []report.Row{{Name: "a.csv", SourceKey: "in/a.csv", Outcome: report.OutcomeUnchanged}}))
		reports := &partGoneOnce{Assembler: &report.Assembler{S3: c, Bucket: "reports"}}
		if otherFinished {
			reports.before = func() {
				must(t, s.SetRunReport(ctx, r.RunId, run.Report{Bucket: "reports", Csv: "other.csv", Json: "other.json", Files: 1}))
			}
		}
		pub := &runevents.Publisher{Outbox: s, Bus: bus, BusName: "runs", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Reports: reports}
		pub.Announce(ctx, r.RunId)
		wantOutbox(t, s)
		got, err := s.GetRunRecord(ctx, r.RunId)
		must(t, err)
		wantCsv, wantCalls := report.Prefix(r.RunId)+"report.csv", 2
		if otherFinished {
			wantCsv, wantCalls = "other.csv", 1
		}
		if got.Report == nil || got.Report.Csv != wantCsv || reports.calls != wantCalls {
			t.Fatalf("other assembler finished %v: run names %+v after %d assemblies, want %s after %d", otherFinished, got.Report, reports.calls, wantCsv, wantCalls)
		}
		if evs := recorded(t, rec)[runevents.EventId(r.RunId, runevents.KindEnded)]; len(evs) != 1 || evs[0].Report == nil || evs[0].Report.Csv != wantCsv {
			t.Fatalf("events %+v, want one naming %s", evs, wantCsv)
		}
	}
}

// partGoneOnce is an assembler whose first assembly finds a part gone,
// after before (another assembler's finish) if set.
type partGoneOnce struct {
	*report.Assembler
	before func()
	calls  int
}

func (p *partGoneOnce) Assemble(ctx context.Context, runID string) (run.Report, error) {
	p.calls++
	if p.calls == 1 {
		if p.before != nil {
			p.before()
		}
		return run.Report{}, fmt.Errorf("read report part x: %w", report.ErrPartGone)
	}
	return p.Assembler.Assemble(ctx, runID)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
