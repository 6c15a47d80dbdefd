package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

var plat *platformlocal.Platform

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmark asked for: no platform to start
	}
	var err error
	concurrency, _ := strconv.Atoi(os.Getenv("WORKER_CONCURRENCY"))
	plat, err = platformlocal.Start(context.Background(), platformlocal.Options{
		Log:               slog.New(slog.NewJSONHandler(logOut(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		WorkerConcurrency: concurrency,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local platform:", err)
		os.Exit(1)
	}
	code := m.Run()
	plat.Close()
	os.Exit(code)
}

// logOut is where the platform's warnings go: BENCH_LOG names a file.
func logOut() io.Writer {
	if name := os.Getenv("BENCH_LOG"); name != "" {
		if f, err := os.Create(name); err == nil {
			return f
		}
	}
	return io.Discard
}

// BenchmarkIngest10k copies 10,000 small objects (1–8 KiB; BENCH_OBJECTS)
// through the whole platform (API → planner → SQS → workers → catalog)
// into a fresh dataset, then re-runs it unchanged. Metrics: objects/s of
// the copy, and seconds of the unchanged re-run. Run with -benchtime=1x;
// `make bench` runs the side-by-side comparison (cmd/bench) instead.
func BenchmarkIngest10k(b *testing.B) {
	ctx := context.Background()
	n := 10_000
	if s, _ := strconv.Atoi(os.Getenv("BENCH_OBJECTS")); s > 0 {
		n = s
	}
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s3c := NewS3(cfg)
	bucket := "bench-10k"
	if _, err := s3c.Seed(ctx, bucket, Layout{Objects: n, MinKiB: 1, MaxKiB: 8}); err != nil {
		b.Fatal(err)
	}
	api := &API{Plat: plat, User: "bench", Records: metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table)}
	conn, err := api.Connect(ctx, "bench-10k", bucket)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var copyTime, rerunTime time.Duration
	for i := 0; i < b.N; i++ {
		sch, err := api.Dataset(ctx, conn, "bench", fmt.Sprintf("bench-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		t, err := api.Run(ctx, sch, 20*time.Millisecond)
		if err != nil || Num(t.Record, "Copied") != int64(n) || t.Record["State"] != "succeeded" {
			b.Fatalf("run: %v %v", t.Record, err)
		}
		copyTime += t.Took
		t, err = api.Run(ctx, sch, 20*time.Millisecond)
		if err != nil || Num(t.Record, "SkippedUnchanged") != int64(n) || Num(t.Record, "Copied") != 0 {
			b.Fatalf("re-run: %v %v", t.Record, err)
		}
		rerunTime += t.Took
	}
	st := plat.Poller.Stats()
	b.ReportMetric(float64(st.Received)/float64(max(st.Invocations, 1)), "msgs/invocation")
	b.ReportMetric(float64(n*b.N)/copyTime.Seconds(), "objects/s")
	b.ReportMetric(rerunTime.Seconds()/float64(b.N), "rerun-s")
}

func TestSummarize(t *testing.T) {
	phase := func(round int, kind, tool string, secs float64) Phase {
		return Phase{Round: round, Kind: kind, Tool: tool, Seconds: secs, Objects: 1000, Bytes: 2e6,
			CPUSeconds: map[string]float64{"self": secs}}
	}
	rows := Summarize([]Phase{
		phase(1, KindCopy, RowS5cmdCp, 2), phase(1, KindCopy, RowPlatform, 4), phase(1, KindRerun, RowRcloneSync, 0.5),
		phase(2, KindCopy, RowPlatform, 1), phase(2, KindCopy, RowS5cmdCp, 4), phase(2, KindRerun, RowListWalk, 0.1),
		phase(3, KindCopy, RowPlatform, 3), phase(3, KindCopy, RowS5cmdCp, 3), phase(1, KindRerun, RowS5cmdSync, 0.25),
	})
	got := map[string]Row{}
	var order []string
	for _, r := range rows {
		got[r.Tool] = r
		order = append(order, r.Tool)
	}
	wantOrder := []string{RowPlatform, RowS5cmdCp, RowS5cmdSync, RowRcloneSync, RowListWalk}
	if strings.Join(order, "|") != strings.Join(wantOrder, "|") {
		t.Fatalf("order %q, want %q", order, wantOrder)
	}
	p := got[RowPlatform]
	if p.Runs != 3 || p.MedianSeconds != 3 || p.MinSeconds != 1 || p.MaxSeconds != 4 || p.ObjectsPerSec != 333.33 || p.MBPerSec != 0.67 || p.VsS5cmd != 1 {
		t.Errorf("platform row %+v", p)
	}
	if r := got[RowRcloneSync]; r.VsS5cmd != 0.5 || r.VsRclone != 1 {
		t.Errorf("rclone sync row %+v", r)
	}
	if r := got[RowListWalk]; r.VsS5cmd != 2.5 || r.VsRclone != 5 || r.CPU["self"] != 0.1 {
		t.Errorf("list row %+v", r)
	}
}

func TestTableIsAligned(t *testing.T) {
	res := &Results{Machine: Machine{Cores: 2}, Config: map[string]any{"rounds": 1}, Versions: map[string]string{"s5cmd": "v2.3.0"},
		Summary: Summarize([]Phase{
			{Kind: KindCopy, Tool: RowPlatform, Seconds: 12.5, Objects: 10003, Bytes: 4e8, CPUSeconds: map[string]float64{"self": 9, "dynamodb": 4}},
			{Kind: KindCopy, Tool: RowS5cmdCp, Seconds: 2, Objects: 10003, Bytes: 4e8, CPUSeconds: map[string]float64{"self": 1, "tool": 2}},
		})}
	var buf bytes.Buffer
	Table(&buf, res)
	lines := strings.Split(buf.String(), "\n")
	var table []string
	for i, l := range lines {
		if strings.HasPrefix(l, "Copy into") {
			table = lines[i+1 : i+4]
		}
	}
	if len(table) != 3 {
		t.Fatalf("no copy table in\n%s", buf.String())
	}
	for _, l := range table[1:] {
		if len([]rune(l)) != len([]rune(table[0])) {
			t.Errorf("rows of different widths:\n%s", strings.Join(table, "\n"))
		}
	}
	if !strings.Contains(table[1], "0.16") || !strings.Contains(table[1], "9.0/4.0/-") {
		t.Errorf("platform row %q: want × s5cmd 0.16 and CPU 9.0/4.0/-", table[1])
	}
}

func TestRotate(t *testing.T) {
	s := []string{"a", "b", "c"}
	for n, want := range []string{"abc", "bca", "cab", "abc"} {
		if got := strings.Join(rotate(s, n), ""); got != want {
			t.Errorf("rotate(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestReadStat(t *testing.T) {
	dir := t.TempDir()
	name := dir + "/stat"
	line := "4242 (java (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 1 2 3\n"
	if err := os.WriteFile(name, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	st, ok := readStat(name)
	if !ok || st.ppid != 17 || st.comm != "java (weird) name" || st.cpu != 3 {
		t.Errorf("readStat = %+v, %v", st, ok)
	}
	// /proc counts CPU time in clock ticks (10 ms): a test process that has
	// just started may not have used one yet. Burn CPU until it has; a
	// loaded machine only makes that take longer.
	cpu := CPUTimes()
	for deadline := time.Now().Add(time.Minute); cpu["self"] <= 0 && time.Now().Before(deadline); cpu = CPUTimes() {
		burnCPU(20 * time.Millisecond)
	}
	if cpu["self"] <= 0 {
		t.Errorf("CPUTimes() = %v: no CPU time for this process after a minute of burning it", cpu)
	}
}

// burnCPU keeps one core busy for d of wall time.
func burnCPU(d time.Duration) {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 10_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	burnSink = x
}

var burnSink uint64 // keeps burnCPU's loop from being optimised away
