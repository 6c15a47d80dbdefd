package report_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/run"
)

const bucket = "reports"

// serveEnv makes the test binary a local S3 server (TestMain): the memory
// test runs S3 in another process, so that the heap it measures is the
// assembler's alone.
const serveEnv = "REPORT_TEST_S3LOCAL_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveEnv); dir != "" {
		serve(dir)
		return
	}
	os.Exit(m.Run())
}

// serve runs s3local on dir until stdin closes, printing its address.
func serve(dir string) {
	srv, err := s3local.New(s3local.Options{DataPath: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(ln, srv) }()
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
}

// inProcess is a local S3 in this process, with the reports bucket.
func inProcess(t *testing.T) *s3.Client {
	t.Helper()
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	c := client(hs.URL)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// outOfProcess is a local S3 in a child process, with the reports bucket.
func outOfProcess(t *testing.T) *s3.Client {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	c := client("http://" + strings.TrimSpace(addr))
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, c *s3.Client, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func keys(t *testing.T, c *s3.Client, prefix string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, o := range out.Contents {
		ks = append(ks, aws.ToString(o.Key))
	}
	return ks
}

// A run's parts, written more than once as at-least-once delivery does,
// make a report that lists each file once, with its committed outcome,
// in the documented columns; CSV and JSON agree; cleanup leaves only the
// report.
func TestAssembleListsEachFileOnce(t *testing.T) {
	ctx := context.Background()
	c := inProcess(t)
	parts := &report.Parts{S3: c, Bucket: bucket}
	runID := "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01"
	at := time.Date(2026, 5, 17, 9, 30, 0, 0, time.UTC)
	copied := func(name string) run.FileResult {
		return run.FileResult{Name: name, SourceKey: "in/" + name, Bytes: 10, File: &dataset.File{
			Name: name, SourceKey: "in/" + name, Size: 10, SourceETag: "e-" + name, IngestedAt: at, State: dataset.InDLZ,
			Key: "sales/orders/upload_date=1/" + name, Checksum: "CRC64NVME:AAAAAAAAAAA=",
		}}
	}
	listed := report.Listed{Size: 10, ETag: "e", StorageClass: "STANDARD"}
	// The planner's page 1: one unchanged, one deferred.
	page := []report.Row{
		report.OfUnchanged("u.csv", "in/u.csv", listed, dataset.File{Key: "sales/orders/upload_date=0/u.csv", State: dataset.InDLZ, IngestedAt: at}),
		report.OfOutcome(run.FileOutcome{Name: "d.csv", SourceKey: "in/d.csv", Outcome: run.OutcomeDeferred, Reason: "later"}, listed),
	}
	must(t, parts.Put(ctx, report.PageKey(runID, 1), page))
	must(t, parts.Put(ctx, report.PageKey(runID, 1), page)) // the page planned again after a crash
	// A chunk confirmed after its commit; a duplicate delivery of a.csv in
	// another chunk, whose commit of a.csv was refused but whose part
	// stayed tentative (its worker crashed), where a.csv failed.
	confirmed := []report.Row{report.OfResult(copied("a.csv"), listed), report.OfResult(copied("b.csv"), listed)}
	must(t, parts.Put(ctx, report.ChunkKey(runID), confirmed))
	dup := []report.Row{
		report.OfResult(run.FileResult{Name: "a.csv", SourceKey: "in/a.csv", Outcome: run.OutcomeFailed, Reason: "boom"}, listed),
		report.OfResult(run.FileResult{Name: "r.csv", SourceKey: "in/r.csv", Outcome: "restoring", Reason: "restore requested"}, listed),
	}
	for i := range dup {
		dup[i].Tentative = true
	}
	must(t, parts.Put(ctx, report.ChunkKey(runID), dup))

	a := &report.Assembler{S3: c, Bucket: bucket, FanIn: 2} // 3 parts: one intermediate level
	rep, err := a.Assemble(ctx, runID)
	must(t, err)
	if rep.Files != 5 || rep.Bucket != bucket {
		t.Fatalf("report %+v, want 5 files in %s", rep, bucket)
	}
	recs, err := csv.NewReader(strings.NewReader(get(t, c, rep.Csv))).ReadAll()
	must(t, err)
	if !slices.Equal(recs[0], report.Columns) {
		t.Fatalf("header %q, want %q", recs[0], report.Columns)
	}
	got := map[string][]string{}
	var names []string
	for _, r := range recs[1:] {
		names = append(names, r[0])
		got[r[0]] = r
	}
	if want := []string{"a.csv", "b.csv", "d.csv", "r.csv", "u.csv"}; !slices.Equal(names, want) {
		t.Fatalf("rows %q, want %q once each, sorted", names, want)
	}
	wantOutcomes := map[string]string{"a.csv": "copied", "b.csv": "copied", "d.csv": "deferred", "r.csv": "restoring", "u.csv": "skipped_unchanged"}
	for n, o := range wantOutcomes {
		if got[n][2] != o {
			t.Errorf("%s: outcome %q, want %q", n, got[n][2], o)
		}
	}
	if a := got["a.csv"]; a[7] != "CRC64NVME:AAAAAAAAAAA=" || a[8] != "dlz" || a[9] != "sales/orders/upload_date=1/a.csv" || a[10] != "2026-05-17T09:30:00Z" || a[5] != "10" {
		t.Errorf("a.csv row %q: want its checksum, zone, zone key, time and size", a)
	}
	if d := got["d.csv"]; d[4] != "later" || d[3] != "STANDARD" || d[9] != "" {
		t.Errorf("d.csv row %q: want its reason and class, no zone key", d)
	}
	var js []map[string]any
	must(t, json.Unmarshal([]byte(get(t, c, rep.Json)), &js))
	if len(js) != 5 || js[0]["Name"] != "a.csv" || js[0]["Outcome"] != "copied" || js[2]["IngestedAt"] != nil {
		t.Fatalf("JSON report %v: want the CSV's rows", js)
	}
	for _, col := range report.Columns {
		if _, ok := js[0][col]; !ok {
			t.Errorf("JSON row lacks column %s", col)
		}
	}
	must(t, a.Cleanup(ctx, runID))
	if left := keys(t, c, report.Prefix(runID)); !slices.Equal(left, []string{rep.Csv, rep.Json}) {
		t.Fatalf("after cleanup %q, want only the report", left)
	}
}

// A run with no file has a report with its header alone, and an empty
// JSON array.
func TestAssembleEmptyRun(t *testing.T) {
	c := inProcess(t)
	rep, err := (&report.Assembler{S3: c, Bucket: bucket}).Assemble(context.Background(), "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e02")
	must(t, err)
	if got := get(t, c, rep.Csv); got != strings.Join(report.Columns, ",")+"\n" || rep.Files != 0 {
		t.Fatalf("CSV %q (%d files), want the header alone", got, rep.Files)
	}
	if got := get(t, c, rep.Json); got != "[]\n" {
		t.Fatalf("JSON %q, want []", got)
	}
}

// A part listed and gone when read (a duplicate's chunk that counted
// nothing deletes its part) fails the assembly with ErrPartGone, and no
// report is written: its caller lists again.
func TestAssembleNamesAPartGone(t *testing.T) {
	ctx := context.Background()
	c := inProcess(t)
	runID := "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e03"
	parts := &report.Parts{S3: c, Bucket: bucket}
	must(t, parts.Put(ctx, report.ChunkKey(runID), []report.Row{{Name: "a.csv", SourceKey: "in/a.csv", Outcome: "copied"}}))
	gone := report.ChunkKey(runID)
	_, err := (&report.Assembler{S3: ghostPart{c, gone}, Bucket: bucket}).Assemble(ctx, runID)
	if !errors.Is(err, report.ErrPartGone) || !strings.Contains(err.Error(), gone) {
		t.Fatalf("assembly with a part gone: %v, want ErrPartGone naming %s", err, gone)
	}
	if left := keys(t, c, report.Prefix(runID)); len(left) != 1 {
		t.Fatalf("objects under the run %q, want the one part, no report", left)
	}
}

// ghostPart lists one more part than the bucket holds.
type ghostPart struct {
	*s3.Client
	key string
}

func (g ghostPart) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, err := g.Client.ListObjectsV2(ctx, in, optFns...)
	if err == nil && strings.HasPrefix(g.key, aws.ToString(in.Prefix)) {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(g.key), Size: aws.Int64(100)})
		out.KeyCount = aws.Int32(int32(len(out.Contents)))
	}
	return out, err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
