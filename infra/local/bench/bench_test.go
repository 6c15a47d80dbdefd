// Package bench measures the ingestion engine end to end on the local
// platform: `make bench`.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/stack"
	"github.com/datalake-platform/s3connections/shared/platform"
)

var plat *stack.Platform

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmark asked for: no platform to start
	}
	var err error
	concurrency, _ := strconv.Atoi(os.Getenv("WORKER_CONCURRENCY"))
	plat, err = stack.Start(context.Background(), stack.Options{
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

func call(b *testing.B, method, path string, body any) map[string]any {
	b.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, plat.APIURL+path, bytes.NewReader(raw))
	tok, _ := plat.Token("bench")
	req.Header.Set("authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

// seed puts n objects of 1–8 KiB under prefix.
func seed(b *testing.B, bucket string, n int) {
	b.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				body := bytes.Repeat([]byte("x"), 1024+rand.IntN(7*1024))
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("objects/%06d.bin", i)), Body: bytes.NewReader(body),
				}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// run starts a run and waits for its end, returning the record and how long it took.
func run(b *testing.B, schedule string) (map[string]any, time.Duration) {
	start := time.Now()
	id := call(b, "POST", "/schedules/"+schedule+"/run", nil)["RunId"].(string)
	for {
		r := call(b, "GET", "/runs/"+id, nil)
		switch r["State"] {
		case "succeeded", "failed":
			return r, time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkIngest10k copies 10,000 small objects through the whole
// platform (API → planner → SQS → workers → catalog) into a fresh dataset,
// then re-runs it unchanged. Metrics: objects/s of the copy, and seconds of
// the unchanged re-run. Run with -benchtime=1x.
func BenchmarkIngest10k(b *testing.B) {
	n := 10_000
	if s, _ := strconv.Atoi(os.Getenv("BENCH_OBJECTS")); s > 0 {
		n = s
	}
	bucket := "bench-10k"
	seed(b, bucket, n)
	conn := call(b, "POST", "/connections", map[string]any{
		"ConnectionName": "bench-10k", "S3Bucket": bucket, "ConnectionAccessType": "bucket_policy",
	})["ConnectionId"]
	b.ResetTimer()
	var copyTime, rerunTime time.Duration
	for i := 0; i < b.N; i++ {
		ds := call(b, "POST", "/datasets", map[string]any{
			"DatasetName": fmt.Sprintf("bench-%d", i), "Domain": "bench", "ConnectionId": conn, "FileType": "others",
			"DirectoryPath": "objects/",
		})["DatasetId"]
		sch := call(b, "POST", "/schedules", map[string]any{"ScheduleName": "bench", "DatasetId": ds})["ScheduleId"].(string)
		r, took := run(b, sch)
		if r["Copied"].(float64) != float64(n) || r["State"] != "succeeded" {
			b.Fatalf("run: %v", r)
		}
		copyTime += took
		r, took = run(b, sch)
		if r["SkippedUnchanged"].(float64) != float64(n) || r["Copied"].(float64) != 0 {
			b.Fatalf("re-run: %v", r)
		}
		rerunTime += took
	}
	st := plat.Poller.Stats()
	b.ReportMetric(float64(st.Received)/float64(max(st.Invocations, 1)), "msgs/invocation")
	b.ReportMetric(float64(n*b.N)/copyTime.Seconds(), "objects/s")
	b.ReportMetric(rerunTime.Seconds()/float64(b.N), "rerun-s")
}
