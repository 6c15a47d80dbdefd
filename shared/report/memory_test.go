package report_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/report"
	"golang.org/x/sync/errgroup"
)

// The report of a run of 100,000 files (REPORT_FILES sets another count)
// is assembled with bounded memory: its rows are 100 MB, and the
// assembler's heap grows by far less, as it holds one row per merged part
// and one upload part per output. Every file is listed once, though
// every tenth chunk was written twice (a redelivered batch), once
// tentative. S3 runs in another process, so that the heap measured is
// the assembler's alone.
func TestAssembleBoundedMemory(t *testing.T) {
	files := 100_000
	if n, err := strconv.Atoi(os.Getenv("REPORT_FILES")); err == nil && n > 0 {
		files = n
	}
	if testing.Short() {
		files = 10_000
	}
	ctx := context.Background()
	c := outOfProcess(t)
	runID := "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e03"
	parts := &report.Parts{S3: c, Bucket: bucket}
	const chunk = 99
	reason := strings.Repeat("r", 800) // rows of about 1 KB
	var g errgroup.Group
	g.SetLimit(8)
	for first := 0; first < files; first += chunk {
		g.Go(func() error {
			rows := make([]report.Row, 0, chunk)
			for i := first; i < min(first+chunk, files); i++ {
				rows = append(rows, report.Row{Name: fmt.Sprintf("dir/file-%07d.csv", i), SourceKey: fmt.Sprintf("in/dir/file-%07d.csv", i),
					Outcome: "failed", Reason: reason, Size: int64(i)})
			}
			if err := parts.Put(ctx, report.ChunkKey(runID), rows); err != nil {
				return err
			}
			if (first/chunk)%10 != 0 {
				return nil
			}
			dup := append([]report.Row(nil), rows...)
			dup = dup[:len(dup)-1] // another composition: another key
			for i := range dup {
				dup[i].Tentative, dup[i].Outcome = true, "copied"
			}
			return parts.Put(ctx, report.ChunkKey(runID), dup)
		})
	}
	must(t, g.Wait())

	a := &report.Assembler{S3: c, Bucket: bucket, PartSize: 5 << 20}
	base, peak := heapNow(), atomic.Uint64{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			peak.Store(max(peak.Load(), heapNow()))
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	started := time.Now()
	rep, err := a.Assemble(ctx, runID)
	close(stop)
	wg.Wait()
	must(t, err)
	grown := int64(peak.Load()) - int64(base)
	t.Logf("%d files assembled in %s; heap grew by %.1f MB at most", rep.Files, time.Since(started).Round(time.Millisecond), float64(grown)/(1<<20))
	if rep.Files != int64(files) {
		t.Fatalf("report lists %d files, want %d (each once)", rep.Files, files)
	}
	if limit := int64(40 << 20); grown > limit {
		t.Fatalf("heap grew by %d bytes assembling %d files of about 1 KB: want at most %d", grown, files, limit)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(rep.Csv), Range: aws.String("bytes=0-2047")})
	must(t, err)
	defer out.Body.Close()
	head := make([]byte, 2048)
	n, _ := out.Body.Read(head)
	if !strings.Contains(string(head[:n]), "dir/file-0000000.csv,in/dir/file-0000000.csv,failed,") {
		t.Fatalf("report starts %q: want the first file with its confirmed outcome", head[:n])
	}
}

// heapNow is the heap in use after a collection.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
