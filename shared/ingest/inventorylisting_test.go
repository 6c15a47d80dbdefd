package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/source"
)

// listCounter counts the ListObjectsV2 calls the local S3 answers, by bucket.
type listCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (c *listCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
		c.mu.Lock()
		c.n[strings.Trim(r.URL.Path, "/")]++
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

func inventoryS3(t *testing.T) (*s3.Client, *listCounter) {
	t.Helper()
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	counter := &listCounter{next: srv, n: map[string]int{}}
	hs := httptest.NewServer(counter)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	for _, b := range []string{"src", "inv"} {
		if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return c, counter
}

var invLoc = inventory.Location{Bucket: "inv", Prefix: "reports/src/daily/"}

// rowsOf is n objects, every third outside the dataset's in/ folder.
func rowsOf(n int) iter.Seq2[inventory.Object, error] {
	return func(yield func(inventory.Object, error) bool) {
		for i := range n {
			key := fmt.Sprintf("in/f%05d.csv", n-i) // rows in no key order
			if i%3 == 0 {
				key = fmt.Sprintf("out/f%05d.csv", i)
			}
			if !yield(inventory.Object{Key: key, Size: 1, ETag: "e", LastModified: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, nil) {
				return
			}
		}
	}
}

func newInventoryListing(c *s3.Client, platformOwned bool) *inventoryListing {
	return &inventoryListing{
		reader: c, loc: invLoc, d: dataset.Dataset{DirectoryPath: "in/"}, c: connection.Connection{S3Bucket: "src"},
		checkNotPlatform: func(context.Context) error {
			if platformOwned {
				return &source.RefusedError{Reason: "refused: bucket inv belongs to the platform's own account"}
			}
			return nil
		},
	}
}

// A run plans every current object under its DirectoryPath from the
// report, each once, in sorted pages of at most PageSize rows, whether one
// invocation reads every page or each page is a new invocation going on
// from the saved position; it never lists the source. A Parquet report of
// the same objects is planned exactly as the CSV one.
func TestInventoryListingPagesThroughTheReport(t *testing.T) {
	const rows = 2*PageSize + 500
	var planned []string
	for _, format := range []string{"CSV", "Parquet"} {
		t.Run(format, func(t *testing.T) {
			c, lists := inventoryS3(t)
			w := inventory.Writer{Client: c, Location: invLoc, SourceBucket: "src", RowsPerFile: 1500, Format: format}
			if _, err := w.Write(context.Background(), time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), rowsOf(rows)); err != nil {
				t.Fatal(err)
			}
			for _, invocations := range []string{"one", "one per page"} {
				keys := planAll(t, c, invocations)
				if n := len(slices.Compact(slices.Clone(keys))); n != len(keys) || n != rows-(rows+2)/3 {
					t.Fatalf("%d keys (%d distinct), want %d once each", len(keys), n, rows-(rows+2)/3)
				}
				if planned == nil {
					planned = keys
				} else if !slices.Equal(keys, planned) {
					t.Fatalf("%s, %s invocation(s): planned other objects than the CSV report's", format, invocations)
				}
			}
			if lists.n["src"] != 0 || lists.n["inv"] != 4 {
				t.Fatalf("ListObjectsV2 calls %v: want none of the source, two of the inventory per run (its reports, the newest one)", lists.n)
			}
		})
	}
}

// planAll plans a whole run from the report in c, in one invocation or one
// per page, and returns the planned keys, sorted.
func planAll(t *testing.T, c *s3.Client, invocations string) []string {
	t.Helper()
	l := newInventoryListing(c, false)
	var keys []string
	pos, pages := "", 0
	for ended := false; !ended; pages++ {
		if invocations != "one" {
			l = newInventoryListing(c, false)
		}
		page, err := l.page(context.Background(), pos)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range page.objects {
			got = append(got, *o.Key)
		}
		if !slices.IsSorted(got) {
			t.Fatalf("page %d not in key order", pages)
		}
		keys, pos, ended = append(keys, got...), page.next, page.ended
	}
	if restart := l.restart(); !strings.HasPrefix(restart, "inventory/1 0 0 ") {
		t.Fatalf("restart %q", restart)
	}
	slices.Sort(keys)
	return keys
}

// A report that changes during the run, a platform-owned inventory bucket
// and a saved position from a listing each fail the run (not a retry).
func TestInventoryListingRefuses(t *testing.T) {
	c, _ := inventoryS3(t)
	w := inventory.Writer{Client: c, Location: invLoc, SourceBucket: "src"}
	if _, err := w.Write(context.Background(), time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), rowsOf(10)); err != nil {
		t.Fatal(err)
	}
	l := newInventoryListing(c, false)
	if _, err := l.page(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	saved := l.restart()
	if _, err := w.Write(context.Background(), time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), rowsOf(11)); err != nil {
		t.Fatal(err) // the same minute: the same folder, a new manifest
	}
	cases := []struct {
		name string
		l    *inventoryListing
		pos  string
		want string
	}{
		{"report rewritten", newInventoryListing(c, false), saved, "changed during the run"},
		{"platform bucket", newInventoryListing(c, true), "", "platform's own account"},
		{"a listing's position", newInventoryListing(c, false), "1ueGcxLPRx1Tr", "not an inventory position"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.l.page(context.Background(), tc.pos)
			what, reason := tc.l.explain(err)
			var bad *inventory.BadError
			var refused *source.RefusedError
			if err == nil || !errors.As(err, &bad) && !errors.As(err, &refused) || what != "inventory" || !strings.Contains(reason, tc.want) {
				t.Fatalf("got %v (%s: %s), want a refusal with %q", err, what, reason, tc.want)
			}
		})
	}
}

// A Parquet data file that is not Parquet (its manifest lists it as it is,
// with its MD5) fails the run with the reason, as a bad CSV file does.
func TestInventoryListingRefusesAMalformedParquetFile(t *testing.T) {
	c, _ := inventoryS3(t)
	ctx := context.Background()
	w := inventory.Writer{Client: c, Location: invLoc, SourceBucket: "src", Format: "Parquet"}
	folder, err := w.Write(ctx, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), rowsOf(10))
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := inventory.Newest(ctx, c, invLoc, "src")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("PAR1 this is not a Parquet file PAR1")
	rep.Files[0].Size, rep.Files[0].MD5 = int64(len(body)), inventory.Checksum(body)
	manifest, _ := json.Marshal(rep.Manifest)
	for key, b := range map[string][]byte{rep.Files[0].Key: body, folder + "manifest.json": manifest, folder + "manifest.checksum": []byte(inventory.Checksum(manifest))} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inv"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	l := newInventoryListing(c, false)
	_, err = l.page(ctx, "")
	what, reason := l.explain(err)
	var bad *inventory.BadError
	if !errors.As(err, &bad) || what != "inventory" || !strings.Contains(reason, "is not Parquet") || !strings.Contains(reason, rep.Files[0].Key) {
		t.Fatalf("got %v (%s: %s), want a refusal naming the file", err, what, reason)
	}
}
