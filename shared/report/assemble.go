package report

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/run"
)

// ObjectStore is what assembly needs of S3 (*s3.Client).
type ObjectStore interface {
	Uploader
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Defaults of an Assembler.
const (
	DefaultFanIn    = 64
	DefaultPartSize = 8 << 20 // S3's multipart parts are 5 MiB at least
)

// Assembler merges a run's parts into its report: an external merge sort
// whose every step streams, so that memory holds one row per merged part
// (FanIn at most) and one upload part per output, whatever the run's
// size. Parts beyond FanIn are merged FanIn at a time into intermediate
// parts first. Each name is listed once: its first row in the merge's
// order (a confirmed row before a tentative one, then by part key).
// Assembling again rewrites the same report.
type Assembler struct {
	S3       ObjectStore
	Bucket   string
	FanIn    int // 0: DefaultFanIn
	PartSize int // 0: DefaultPartSize
}

// ErrPartGone says a part listed for assembly was gone when read: a
// duplicate delivery's chunk whose commit counted nothing deletes its part
// (ingest's settlePart), and another assembler that finished deletes them
// all (Cleanup). Nothing of the report is written then: the caller reads
// the run again, and assembles again unless the report is done.
var ErrPartGone = errors.New("a report part listed was gone when read")

// Assemble writes the report of runID from its parts and says where it is.
func (a *Assembler) Assemble(ctx context.Context, runID string) (run.Report, error) {
	keys, err := a.list(ctx, Prefix(runID)+partsDir)
	if err != nil {
		return run.Report{}, err
	}
	fanIn := a.FanIn
	if fanIn < 2 {
		fanIn = DefaultFanIn
	}
	for level := 0; len(keys) > fanIn; level++ {
		var next []string
		for i := 0; i < len(keys); i += fanIn {
			key := fmt.Sprintf("%s%s%02d-%06d.jsonl", Prefix(runID), mergeDir, level, i/fanIn)
			if err := a.mergeInto(ctx, keys[i:min(i+fanIn, len(keys))], key); err != nil {
				return run.Report{}, err
			}
			next = append(next, key)
		}
		keys = next
	}
	rep := run.Report{Bucket: a.Bucket, Csv: Prefix(runID) + "report.csv", Json: Prefix(runID) + "report.json"}
	rep.Files, err = a.final(ctx, keys, rep)
	return rep, err
}

// mergeInto merges the parts at keys into one intermediate part at out.
func (a *Assembler) mergeInto(ctx context.Context, keys []string, out string) error {
	u := newUpload(ctx, a.S3, a.Bucket, out, "application/x-ndjson", a.partSize())
	w := bufio.NewWriter(u)
	enc := json.NewEncoder(w)
	if _, err := a.merge(ctx, keys, func(r Row) error { return enc.Encode(r) }); err != nil {
		u.abort()
		return err
	}
	if err := w.Flush(); err != nil {
		u.abort()
		return err
	}
	return u.Close()
}

// final merges the last parts into the report's CSV and JSON objects at
// once, and returns how many files it lists.
func (a *Assembler) final(ctx context.Context, keys []string, rep run.Report) (int64, error) {
	cu := newUpload(ctx, a.S3, a.Bucket, rep.Csv, "text/csv; charset=utf-8", a.partSize())
	ju := newUpload(ctx, a.S3, a.Bucket, rep.Json, "application/json", a.partSize())
	cb, jb := bufio.NewWriter(cu), bufio.NewWriter(ju)
	cw := csv.NewWriter(cb)
	jw := &jsonArray{w: jb}
	err := cw.Write(Columns)
	var n int64
	if err == nil {
		n, err = a.merge(ctx, keys, func(r Row) error {
			if err := cw.Write(r.Record()); err != nil {
				return err
			}
			return jw.add(publicOf(r))
		})
	}
	if err == nil {
		cw.Flush()
		err = errors.Join(cw.Error(), jw.close(), cb.Flush(), jb.Flush())
	}
	if err == nil {
		err = errors.Join(cu.Close(), ju.Close())
	}
	if err != nil {
		cu.abort()
		ju.abort()
		return 0, fmt.Errorf("write the report %s: %w", rep.Csv, err)
	}
	return n, nil
}

// merge streams the rows of the sorted parts at keys in order, each name
// once, to emit, and returns how many it emitted.
func (a *Assembler) merge(ctx context.Context, keys []string, emit func(Row) error) (int64, error) {
	h := &cursors{}
	defer h.close()
	for i, k := range keys {
		out, err := a.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(k)})
		var gone *types.NoSuchKey
		if errors.As(err, &gone) {
			return 0, fmt.Errorf("read report part %s: %w: %w", k, ErrPartGone, err)
		}
		if err != nil {
			return 0, fmt.Errorf("read report part %s: %w", k, err)
		}
		c := &cursor{src: i, key: k, body: out.Body, dec: json.NewDecoder(bufio.NewReader(out.Body))}
		h.all = append(h.all, c)
		if ok, err := c.next(); err != nil {
			return 0, err
		} else if ok {
			heap.Push(h, c)
		}
	}
	var n int64
	last, seen := "", false
	for h.Len() > 0 {
		c := (*h).open[0]
		row := c.row
		if !seen || row.Name != last {
			if err := emit(row); err != nil {
				return n, err
			}
			n++
			last, seen = row.Name, true
		}
		ok, err := c.next()
		if err != nil {
			return n, err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return n, nil
}

// cursor reads one sorted part, a row at a time.
type cursor struct {
	src  int
	key  string
	body io.ReadCloser
	dec  *json.Decoder
	row  Row
}

func (c *cursor) next() (bool, error) {
	c.row = Row{}
	err := c.dec.Decode(&c.row)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read report part %s: %w", c.key, err)
	}
	return true, nil
}

// cursors is a heap of the parts being merged, by their current rows.
type cursors struct {
	open []*cursor
	all  []*cursor
}

func (h cursors) Len() int { return len(h.open) }
func (h cursors) Less(i, j int) bool {
	if c := compareRows(h.open[i].row, h.open[j].row); c != 0 {
		return c < 0
	}
	return h.open[i].src < h.open[j].src
}
func (h cursors) Swap(i, j int) { h.open[i], h.open[j] = h.open[j], h.open[i] }
func (h *cursors) Push(x any)   { h.open = append(h.open, x.(*cursor)) }
func (h *cursors) Pop() any {
	c := h.open[len(h.open)-1]
	h.open = h.open[:len(h.open)-1]
	return c
}

func (h *cursors) close() {
	for _, c := range h.all {
		_ = c.body.Close()
	}
}

// publicRow is a row as the JSON report shows it: every column, in
// Columns' order, IngestedAt null when the file has no version.
type publicRow struct {
	Name, SourceKey, Outcome, StorageClass, Reason string
	Size                                           int64
	SourceETag, Checksum, Zone, ZoneKey            string
	IngestedAt                                     *time.Time
}

func publicOf(r Row) publicRow {
	return publicRow{r.Name, r.SourceKey, r.Outcome, r.StorageClass, r.Reason, r.Size, r.SourceETag, r.Checksum, r.Zone, r.ZoneKey, r.IngestedAt}
}

// jsonArray writes a JSON array one element a line, as it goes.
type jsonArray struct {
	w *bufio.Writer
	n int
}

func (j *jsonArray) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "[\n"
	}
	j.n++
	_, _ = j.w.WriteString(sep)
	_, err = j.w.Write(b)
	return err
}

func (j *jsonArray) close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := j.w.WriteString(end)
	return err
}

// list returns the keys under prefix, in order.
func (a *Assembler) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(a.S3, &s3.ListObjectsV2Input{Bucket: aws.String(a.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Cleanup deletes a run's parts and intermediate merges, once its report
// is assembled and named on the run's record (the bucket's lifecycle rule
// expires whatever is left).
func (a *Assembler) Cleanup(ctx context.Context, runID string) error {
	var errs []error
	for _, dir := range []string{partsDir, mergeDir} {
		keys, err := a.list(ctx, Prefix(runID)+dir)
		errs = append(errs, err)
		for _, k := range keys {
			_, err := a.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(k)})
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *Assembler) partSize() int {
	if a.PartSize > 0 {
		return a.PartSize
	}
	return DefaultPartSize
}
