package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
)

// A run's objects in the reports bucket, under Prefix(runID):
//
//	parts/p-<page>.jsonl    the rows the planner decided on one listing page
//	parts/w-<hash>.jsonl    the rows of one chunk a worker committed
//	merge/<level>-<n>.jsonl the assembly's intermediate merges
//	report.csv, report.json the assembled report
//
// A part holds JSON Lines sorted by name. A planner page's key is its
// number in the run's listing: an invocation that plans the page again
// writes the same rows on the same key. A worker chunk's key is new for
// each commit: a duplicate delivery, whose commit is refused, deletes its
// own part, never the one that committed the files. Assembly keeps one row
// per name, preferring a confirmed one (see Row.Tentative).
const (
	partsDir = "parts/"
	mergeDir = "merge/"
)

// Prefix is where a run's report objects are.
func Prefix(runID string) string { return "runs/" + runID + "/" }

// PageKey is the key of the part of the planner's page (1 for the first).
func PageKey(runID string, page int64) string {
	return fmt.Sprintf("%s%sp-%010d.jsonl", Prefix(runID), partsDir, page)
}

// ChunkKey is a new key for the part of one commit of a worker's chunk:
// unique (time-ordered), so that no other delivery of the same files,
// whose part may say they were refused, ever writes over it.
func ChunkKey(runID string) string {
	id, err := uuid.NewV7()
	if err != nil { // the clock or entropy failed: a random id is unique all the same
		id = uuid.New()
	}
	return Prefix(runID) + partsDir + "w-" + id.String() + ".jsonl"
}

// ObjectWriter writes and deletes objects (*s3.Client).
type ObjectWriter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Parts writes report parts to the reports bucket, which encrypts them
// with the platform key by default (SSE-KMS). Safe for concurrent use.
type Parts struct {
	S3     ObjectWriter
	Bucket string
}

// Put writes rows, sorted by name, as the part at key (replacing it).
func (p *Parts) Put(ctx context.Context, key string, rows []Row) error {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, compareRows)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range sorted {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("encode report row %q: %w", r.Name, err)
		}
	}
	_, err := p.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(p.Bucket), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes()),
		ContentType: aws.String("application/x-ndjson"),
	})
	if err != nil {
		return fmt.Errorf("write report part %s: %w", key, err)
	}
	return nil
}

// Delete removes the part at key.
func (p *Parts) Delete(ctx context.Context, key string) error {
	if _, err := p.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("delete report part %s: %w", key, err)
	}
	return nil
}

// compareRows orders rows by name, a confirmed row before a tentative one.
func compareRows(a, b Row) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(tentative(a), tentative(b))
}

func tentative(r Row) int {
	if r.Tentative {
		return 1
	}
	return 0
}
