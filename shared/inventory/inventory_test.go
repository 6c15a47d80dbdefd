package inventory_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/inventory"
)

// localS3 is the local S3 over HTTP, with a bucket "inv".
func localS3(t *testing.T) *s3.Client {
	t.Helper()
	srv, err := s3local.New(s3local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("inv")}); err != nil {
		t.Fatal(err)
	}
	return c
}

var loc = inventory.Location{Bucket: "inv", Prefix: "reports/src/daily/"}

func objects(n int) iter.Seq2[inventory.Object, error] {
	return func(yield func(inventory.Object, error) bool) {
		for i := range n {
			o := inventory.Object{
				Key: fmt.Sprintf("in/dir %d/f,%d\"+%%.csv", i%3, i), Size: int64(i), ETag: fmt.Sprintf("%032x", i),
				LastModified: time.Date(2026, 12, 1, 0, 0, i%60, 0, time.UTC), StorageClass: "STANDARD",
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

func write(t *testing.T, c *s3.Client, at time.Time, n, per int) string {
	t.Helper()
	w := inventory.Writer{Client: c, Location: loc, SourceBucket: "src", RowsPerFile: per}
	folder, err := w.Write(context.Background(), at, objects(n))
	if err != nil {
		t.Fatal(err)
	}
	return folder
}

func readAll(t *testing.T, c *s3.Client, rep *inventory.Report) ([]inventory.Object, error) {
	t.Helper()
	var got []inventory.Object
	for i := range rep.Files {
		rows, err := inventory.Open(context.Background(), c, "inv", rep, i)
		if err != nil {
			return got, err
		}
		for {
			o, current, err := rows.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return got, err
			}
			if current {
				got = append(got, o)
			}
		}
		rows.Close()
	}
	return got, nil
}

// A report written as S3 writes one reads back whole, keys with commas,
// quotes, '+', '%' and spaces decoded, across data files, from the newest
// complete report (a newer one without its checksum is still being
// delivered and is passed over).
func TestWriteFindRead(t *testing.T) {
	c := localS3(t)
	ctx := context.Background()
	write(t, c, time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), 3, 0)
	want := write(t, c, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), 25, 10)
	delivering := loc.Folder("2026-12-07T01-00Z")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inv"), Key: aws.String(delivering + "manifest.json"), Body: strings.NewReader("{}")}); err != nil {
		t.Fatal(err)
	}
	rep, folder, err := inventory.Newest(ctx, c, loc, "src")
	if err != nil {
		t.Fatal(err)
	}
	if folder != want || len(rep.Files) != 3 || !rep.Created.Equal(time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("newest %s (%d files, created %s), want %s", folder, len(rep.Files), rep.Created, want)
	}
	got, err := readAll(t, c, rep)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for o := range objects(25) {
		if got[i] != o {
			t.Fatalf("row %d: %+v, want %+v", i, got[i], o)
		}
		i++
	}
	if i != len(got) {
		t.Fatalf("%d rows, want %d", len(got), i)
	}
}

// A newest report whose manifest does not match its checksum fails, naming
// the mismatch, rather than falling back to an older report; so does an
// inventory with no complete report at all.
func TestNewestRefusesABadReport(t *testing.T) {
	c := localS3(t)
	ctx := context.Background()
	if _, _, err := inventory.Newest(ctx, c, loc, "src"); !isBad(err, "no complete inventory report") {
		t.Fatalf("empty: %v", err)
	}
	write(t, c, time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), 3, 0)
	folder := write(t, c, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), 3, 0)
	put(t, c, folder+"manifest.checksum", []byte(strings.Repeat("0", 32)))
	if _, _, err := inventory.Newest(ctx, c, loc, "src"); !isBad(err, "does not match manifest.checksum") {
		t.Fatalf("mismatch: %v", err)
	}
	write(t, c, time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC), 3, 0)
	if _, _, err := inventory.Newest(ctx, c, loc, "other"); !isBad(err, "not of the connection's bucket") {
		t.Fatalf("another bucket's: %v", err)
	}
}

// A data file that is not the one the manifest lists (its MD5) fails at its
// end; a missing one fails when opened.
func TestDataFilesAreChecked(t *testing.T) {
	c := localS3(t)
	ctx := context.Background()
	write(t, c, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), 4, 2)
	rep, _, err := inventory.Newest(ctx, c, loc, "src")
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(`"src","other.csv","1","2026-12-01T00:00:00.000Z","e","STANDARD"` + "\n"))
	zw.Close()
	put(t, c, rep.Files[1].Key, z.Bytes())
	if _, err := readAll(t, c, rep); !isBad(err, "not the manifest's") {
		t.Fatalf("replaced file: %v", err)
	}
	z.Reset()
	zw = gzip.NewWriter(&z)
	zw.Write([]byte(`"src","` + strings.Repeat("k", inventory.MaxRow) + `","1"`))
	zw.Close()
	put(t, c, rep.Files[1].Key, z.Bytes())
	if _, err := readAll(t, c, rep); !isBad(err, "longer than") {
		t.Fatalf("endless row: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("inv"), Key: aws.String(rep.Files[0].Key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, c, rep); !isBad(err, "does not exist") {
		t.Fatalf("missing file: %v", err)
	}
}

// A report of all versions yields only the current objects: not older
// versions, not delete markers. Values may be quoted or not.
func TestAllVersionsReportYieldsCurrentObjects(t *testing.T) {
	c := localS3(t)
	ctx := context.Background()
	rows := "src,a.csv,v2,true,false,5,2026-12-01T00:00:00.000Z,e2,STANDARD\n" +
		`"src","a.csv","v1","false","false","4","2026-11-01T00:00:00.000Z","e1","STANDARD"` + "\n" +
		`"src","b.csv","v3","true","true","","2026-12-01T00:00:00.000Z","","STANDARD"` + "\n" +
		`"src","c%2Fd+e.csv","v4","true","false","7","2026-12-02T00:00:00Z","e4","GLACIER"` + "\n"
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(rows))
	zw.Close()
	put(t, c, "reports/src/daily/data/x.csv.gz", z.Bytes())
	manifest := fmt.Sprintf(`{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1764979200000",
"fileFormat":"CSV","fileSchema":"Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass",
"files":[{"key":"reports/src/daily/data/x.csv.gz","size":%d,"MD5checksum":"%s"}]}`, z.Len(), inventory.Checksum(z.Bytes()))
	put(t, c, loc.Folder("2026-12-06T00-00Z")+"manifest.json", []byte(manifest))
	put(t, c, loc.Folder("2026-12-06T00-00Z")+"manifest.checksum", []byte(inventory.Checksum([]byte(manifest))+"\n"))
	rep, _, err := inventory.Newest(ctx, c, loc, "src")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, c, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "a.csv" || got[0].ETag != "e2" || got[1].Key != "c/d e.csv" || got[1].StorageClass != "GLACIER" {
		t.Fatalf("current objects %+v", got)
	}
}

func put(t *testing.T, c *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("inv"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func isBad(err error, part string) bool {
	var b *inventory.BadError
	return errors.As(err, &b) && strings.Contains(b.Reason, part)
}
