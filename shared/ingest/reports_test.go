package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/run"
)

// A chunk's report part as its commit goes, at-least-once delivery
// included: a first delivery's part is confirmed with what it committed; a
// duplicate whose commit is refused deletes its own part, not the first
// one's; a commit that failed keeps its rows tentative (it may have
// committed). The assembled report lists each file once, with the outcome
// that was committed. Against the local S3 over HTTP.
func TestChunkPartsFollowTheirCommits(t *testing.T) {
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("reports")}); err != nil {
		t.Fatal(err)
	}
	w := &Worker{Reports: &report.Parts{S3: client, Bucket: "reports"}, Log: slog.New(slog.DiscardHandler)}
	const runID = "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01"
	listed := func(n int) []report.Listed { return make([]report.Listed, n) }
	copied := func(name string) run.FileResult { return run.FileResult{Name: name, SourceKey: "in/" + name} }
	failed := func(name string) run.FileResult {
		return run.FileResult{Name: name, SourceKey: "in/" + name, Outcome: run.OutcomeFailed, Reason: "boom"}
	}

	// The first delivery commits a and b.
	first := []run.FileResult{copied("a.csv"), copied("b.csv")}
	p1, err := w.beginPart(ctx, runID, first, listed(2))
	if err != nil {
		t.Fatal(err)
	}
	w.settlePart(ctx, p1, first, nil)
	// A duplicate of b (which failed this time) with c: only c commits.
	dup := []run.FileResult{failed("b.csv"), copied("c.csv")}
	p2, err := w.beginPart(ctx, runID, dup, listed(2))
	if err != nil {
		t.Fatal(err)
	}
	w.settlePart(ctx, p2, dup[1:], nil)
	// A duplicate of a alone, refused: its part goes.
	p3, err := w.beginPart(ctx, runID, []run.FileResult{failed("a.csv")}, listed(1))
	if err != nil {
		t.Fatal(err)
	}
	w.settlePart(ctx, p3, nil, nil)
	// d's commit failed (the answer lost): its row stays, tentative.
	p4, err := w.beginPart(ctx, runID, []run.FileResult{copied("d.csv")}, listed(1))
	if err != nil {
		t.Fatal(err)
	}
	w.settlePart(ctx, p4, nil, errors.New("connection reset"))

	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("reports"), Prefix: aws.String(report.Prefix(runID))})
	if err != nil {
		t.Fatal(err)
	}
	part, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String(p2.key)})
	if err != nil {
		t.Fatal(err)
	}
	defer part.Body.Close()
	if b, _ := io.ReadAll(part.Body); strings.Contains(string(b), "b.csv") || !strings.Contains(string(b), "c.csv") || strings.Contains(string(b), "Tentative") {
		t.Errorf("the duplicate's part %s: want c.csv alone, confirmed", b)
	}
	if len(out.Contents) != 3 {
		t.Errorf("%d parts, want 3 (the refused duplicate's deleted)", len(out.Contents))
	}
	rep, err := (&report.Assembler{S3: client, Bucket: "reports"}).Assemble(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String(rep.Csv)})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	raw, _ := io.ReadAll(got.Body)
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, r[0]+"="+r[2])
	}
	if want := "a.csv=copied b.csv=copied c.csv=copied d.csv=copied"; strings.Join(rows, " ") != want {
		t.Errorf("report rows %q, want %q", rows, want)
	}
}
