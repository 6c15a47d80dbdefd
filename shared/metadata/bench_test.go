package metadata

// Benchmarks of the ingestion's metadata hot paths, per 1,000 files (one op
// = 1,000, so ns/op, B/op and allocs/op read "per 1,000"): `make bench-go`.
// The pure ones build or decode items; the others run against DynamoDB
// Local (started by TestMain), which bounds the platform on a small machine.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

const perOp = 1000

// commitBatch is how many files a worker commits in one transaction: its
// batch of tasks (up to CommitChunk; the local platform's batches under
// load hold about 45).
const commitBatch = 50

// benchStore creates a fresh table; calls counts the requests its client sends.
func benchStore(b *testing.B) (s *Store, calls *atomic.Int64) {
	b.Helper()
	table := "bench-" + uuid.NewString()
	if err := EnsureTable(context.Background(), client, table); err != nil {
		b.Fatal(err)
	}
	calls = &atomic.Int64{}
	counted := dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = countingClient{o.HTTPClient, calls}
	})
	return New(counted, table), calls
}

type countingClient struct {
	next  dynamodb.HTTPClient
	calls *atomic.Int64
}

func (c countingClient) Do(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.next.Do(r)
}

// benchResults are n copied files of run runID, as workers commit them.
func benchResults(runID string, n int) []run.FileResult {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	res := make([]run.FileResult, n)
	for i := range res {
		name := fmt.Sprintf("2026/%02d/orders-%06d.csv", 1+i%12, i)
		res[i] = run.FileResult{Name: name, SourceKey: "sales/" + name, Bytes: int64(1024 + i), StorageClass: "STANDARD",
			File: &dataset.File{Name: name, SourceKey: "sales/" + name, Size: int64(1024 + i), SourceETag: fmt.Sprintf("%032x", i),
				RunId: runID, IngestedAt: at, State: dataset.InDLZ, Key: "sales/orders/upload_date=1764072000/" + name}}
	}
	return res
}

// BenchmarkCommitItems1k builds the commits of 1,000 copied files (20 of
// 50: a catalog entry stamped with its commit per file, and a transaction
// of the commit's record and a counter update per commit), without sending
// them.
func BenchmarkCommitItems1k(b *testing.B) {
	s := New(nil, "bench")
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: aws.Time(time.Now())}
	g, err := s.catalogGates(r)
	if err != nil {
		b.Fatal(err)
	}
	results := benchResults(r.RunId, perOp)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < perOp; i += commitBatch {
			id := newCommitID()
			for _, res := range results[i : i+commitBatch] {
				if _, err := g.entry(res, id); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.commitItems(r, g, id, results[i:i+commitBatch]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCatalogDecode1k decodes one catalog page of 1,000 entries as
// CatalogRange reads it (Name, Size, SourceETag) into the planner's map.
func BenchmarkCatalogDecode1k(b *testing.B) {
	var items []map[string]types.AttributeValue
	for _, res := range benchResults("r", perOp) {
		f, err := attributevalue.MarshalMap(res.File)
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, map[string]types.AttributeValue{"Name": f["Name"], "Size": f["Size"], "SourceETag": f["SourceETag"]})
	}
	b.ReportAllocs()
	for b.Loop() {
		var page []dataset.File
		if err := attributevalue.UnmarshalListOfMaps(items, &page); err != nil {
			b.Fatal(err)
		}
		files := map[string]dataset.File{}
		for _, f := range page {
			files[f.Name] = f
		}
		if len(files) != perOp {
			b.Fatalf("%d files", len(files))
		}
	}
}

// BenchmarkCommitFiles1k commits 1,000 copied files of a fresh run to
// DynamoDB Local in commits of commitBatch, as workers do (a transaction
// per commit): "serial" one commit at a time (latency), "parallel8" eight
// at once (throughput); "changed" files the catalog holds (a put per
// file), "new" files it does not (inserts, 25 to a batch).
func BenchmarkCommitFiles1k(b *testing.B) {
	for _, c := range []struct {
		name     string
		parallel int
		new      bool
	}{{"changed-serial", 1, false}, {"changed-parallel8", 8, false}, {"new-serial", 1, true}, {"new-parallel8", 8, true}} {
		b.Run(c.name, func(b *testing.B) {
			s, calls := benchStore(b)
			ctx := context.Background()
			dsID := uuid.NewString()
			commit := func() {
				r := run.Run{RunId: uuid.NewString(), DatasetId: dsID, StartedAt: aws.Time(time.Now())}
				if c.new {
					r.DatasetId = uuid.NewString()
				}
				results := benchResults(r.RunId, perOp)
				for i := range results {
					results[i].NoEntry = c.new
				}
				batches := make(chan []run.FileResult, perOp/commitBatch)
				for i := 0; i < perOp; i += commitBatch {
					batches <- results[i : i+commitBatch]
				}
				close(batches)
				var wg sync.WaitGroup
				for range c.parallel {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for batch := range batches {
							if n, err := s.CommitFiles(ctx, r, batch); err != nil || n != len(batch) {
								b.Errorf("commit: %d, %v", n, err)
								return
							}
						}
					}()
				}
				wg.Wait()
			}
			commit() // warm DynamoDB Local's JIT up: with ~1 s per op, b.N is small
			calls.Store(0)
			cpu, own := dynamoDBLocalCPU(), processCPU()
			b.ReportAllocs()
			for b.Loop() {
				commit()
			}
			// The client's own work (the benchmark's process: the SDK's
			// encoding, signing, HTTP), apart from DynamoDB Local's.
			b.ReportMetric((processCPU()-own)*1000/float64(b.N), "client-cpu-ms/op")
			// Above 1,020 changed (a put per file, a transaction per commit
			// of 50) or 60 new (3 batches of inserts and a transaction per
			// commit): transactions retried after conflicts.
			b.ReportMetric(float64(calls.Load())/float64(b.N), "ddbcalls/op")
			if cpu >= 0 {
				b.ReportMetric((dynamoDBLocalCPU()-cpu)*1000/float64(b.N), "ddb-cpu-ms/op")
			}
		})
	}
}

// BenchmarkCatalogRange1k reads a 1,000-entry catalog range from DynamoDB
// Local, as the planner does for every listing page.
func BenchmarkCatalogRange1k(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: aws.Time(time.Now())}
	results := benchResults(r.RunId, perOp)
	for i := 0; i < perOp; i += commitBatch {
		if _, err := s.CommitFiles(ctx, r, results[i:i+commitBatch]); err != nil {
			b.Fatal(err)
		}
	}
	from, to := results[0].Name, results[0].Name
	for _, res := range results {
		from, to = min(from, res.Name), max(to, res.Name)
	}
	cpu := dynamoDBLocalCPU()
	b.ReportAllocs()
	for b.Loop() {
		files, err := s.CatalogRange(ctx, r.DatasetId, from, to)
		if err != nil || len(files) != perOp {
			b.Fatalf("%d files, %v", len(files), err)
		}
	}
	if cpu >= 0 {
		b.ReportMetric((dynamoDBLocalCPU()-cpu)*1000/float64(b.N), "ddb-cpu-ms/op")
	}
}

// BenchmarkCompletionChecks1k is the workers' completion checks for 1,000
// files: one CompleteIfPlanned (a consistent Query of the run's counter
// shards) per batch of 10, on a run that is not done.
func BenchmarkCompletionChecks1k(b *testing.B) {
	s, calls := benchStore(b)
	ctx := context.Background()
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), State: run.Running, PlanningDone: true, TasksPlanned: 1 << 40, StartedAt: aws.Time(time.Now())}
	results := benchResults(r.RunId, perOp)
	for i := 0; i < perOp; i += commitBatch { // fills the counter shards
		if _, err := s.CommitFiles(ctx, r, results[i:i+commitBatch]); err != nil {
			b.Fatal(err)
		}
	}
	calls.Store(0)
	cpu := dynamoDBLocalCPU()
	b.ReportAllocs()
	for b.Loop() {
		for range perOp / commitBatch {
			if _, ended, err := s.CompleteIfPlanned(ctx, r); err != nil || ended {
				b.Fatalf("ended %v, %v", ended, err)
			}
		}
	}
	b.ReportMetric(float64(calls.Load())/float64(b.N), "ddbcalls/op")
	if cpu >= 0 {
		b.ReportMetric((dynamoDBLocalCPU()-cpu)*1000/float64(b.N), "ddb-cpu-ms/op")
	}
}

// dynamoDBLocalCPU is the CPU time (user + system, seconds) used so far by
// this process's java children (DynamoDB Local, started by TestMain), from
// /proc; -1 where there is no /proc.
// processCPU is the CPU time, in seconds, this process used so far.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func dynamoDBLocalCPU() float64 {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(dirs) == 0 {
		return -1
	}
	self := strconv.Itoa(os.Getpid())
	var total float64
	for _, name := range dirs {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "java" {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 || f[1] != self {
			continue
		}
		utime, _ := strconv.ParseFloat(f[11], 64)
		stime, _ := strconv.ParseFloat(f[12], 64)
		total += (utime + stime) / 100 // USER_HZ
	}
	return total
}
