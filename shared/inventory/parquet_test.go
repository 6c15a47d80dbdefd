package inventory_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/parquet-go/parquet-go"
)

// A Parquet report written as S3 writes one reads back exactly as the CSV
// report of the same objects: the same rows, keys with commas, quotes,
// '+', '%' and spaces as they are, across data files.
func TestParquetReadsAsCSV(t *testing.T) {
	c := localS3(t)
	ctx := context.Background()
	var got [2][]inventory.Object
	for i, format := range []string{"CSV", "Parquet"} {
		at := inventory.Location{Bucket: "inv", Prefix: "reports/src/" + format + "/"}
		w := inventory.Writer{Client: c, Location: at, SourceBucket: "src", RowsPerFile: 10, Format: format}
		if _, err := w.Write(ctx, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), objects(25)); err != nil {
			t.Fatal(err)
		}
		rep, _, err := inventory.Newest(ctx, c, at, "src")
		if err != nil {
			t.Fatal(err)
		}
		if rep.FileFormat != format || len(rep.Files) != 3 {
			t.Fatalf("%s report: %s, %d files", format, rep.FileFormat, len(rep.Files))
		}
		if got[i], err = readAll(t, c, rep); err != nil {
			t.Fatal(err)
		}
	}
	if len(got[0]) != 25 || len(got[1]) != 25 {
		t.Fatalf("%d CSV rows, %d Parquet rows, want 25", len(got[0]), len(got[1]))
	}
	for i := range got[0] {
		if got[0][i] != got[1][i] {
			t.Fatalf("row %d: Parquet %+v, CSV %+v", i, got[1][i], got[0][i])
		}
	}
}

// awsRow is a row of a Parquet report of all versions, with S3's columns.
type awsRow struct {
	Bucket         string  `parquet:"bucket"`
	Key            string  `parquet:"key"`
	VersionID      *string `parquet:"version_id,optional"`
	IsLatest       *bool   `parquet:"is_latest,optional"`
	IsDeleteMarker *bool   `parquet:"is_delete_marker,optional"`
	Size           *int64  `parquet:"size,optional"`
	LastModified   *int64  `parquet:"last_modified_date,optional,timestamp(millisecond)"`
	ETag           *string `parquet:"e_tag,optional"`
	StorageClass   *string `parquet:"storage_class,optional"`
}

const awsSchema = "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional binary version_id (UTF8); " +
	"optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); " +
	"optional binary e_tag (UTF8); optional binary storage_class (UTF8);}"

func ptr[T any](v T) *T { return &v }

// parquetFile is rows as a Parquet file, perGroup rows per row group.
func parquetFile[T any](t *testing.T, rows []T, perGroup int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// parquetReport delivers a Parquet report of one data file, body, and
// returns it as a run finds it.
func parquetReport(t *testing.T, c *s3.Client, body []byte) *inventory.Report {
	t.Helper()
	key := "reports/src/daily/data/x.parquet"
	put(t, c, key, body)
	manifest := fmt.Sprintf(`{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1764979200000",
"fileFormat":"Parquet","fileSchema":%q,"files":[{"key":%q,"size":%d,"MD5checksum":"%s"}]}`, awsSchema, key, len(body), inventory.Checksum(body))
	put(t, c, loc.Folder("2026-12-06T00-00Z")+"manifest.json", []byte(manifest))
	put(t, c, loc.Folder("2026-12-06T00-00Z")+"manifest.checksum", []byte(inventory.Checksum([]byte(manifest))+"\n"))
	rep, _, err := inventory.Newest(context.Background(), c, loc, "src")
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// A Parquet report of all versions, as S3 writes it, yields only the
// current objects, across row groups: not older versions, not delete
// markers (whose size is null); keys are not URL-encoded in Parquet.
func TestParquetAllVersionsReportYieldsCurrentObjects(t *testing.T) {
	c := localS3(t)
	ms := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := []awsRow{
		{Bucket: "src", Key: "a.csv", VersionID: ptr("v2"), IsLatest: ptr(true), IsDeleteMarker: ptr(false), Size: ptr(int64(5)), LastModified: &ms, ETag: ptr(`"e2"`), StorageClass: ptr("STANDARD")},
		{Bucket: "src", Key: "a.csv", VersionID: ptr("v1"), IsLatest: ptr(false), IsDeleteMarker: ptr(false), Size: ptr(int64(4)), LastModified: &ms, ETag: ptr("e1")},
		{Bucket: "src", Key: "b.csv", VersionID: ptr("v3"), IsLatest: ptr(true), IsDeleteMarker: ptr(true), LastModified: &ms},
	}
	for i := range 997 {
		rows = append(rows, awsRow{Bucket: "src", Key: fmt.Sprintf("c%%2Fd+e %d.csv", i), IsLatest: ptr(true), IsDeleteMarker: ptr(false), Size: ptr(int64(i)), StorageClass: ptr("GLACIER")})
	}
	got, err := readAll(t, c, parquetReport(t, c, parquetFile(t, rows, 100)))
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.Object{Key: "a.csv", Size: 5, LastModified: time.UnixMilli(ms).UTC(), ETag: "e2", StorageClass: "STANDARD"}
	if len(got) != 998 || got[0] != want || got[997] != (inventory.Object{Key: "c%2Fd+e 996.csv", Size: 996, StorageClass: "GLACIER"}) {
		t.Fatalf("%d current objects, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
}

// A Parquet data file that is not the manifest's, not Parquet, or without
// the columns a run needs, of the types S3 writes, fails with the reason.
func TestParquetDataFilesAreChecked(t *testing.T) {
	c := localS3(t)
	type noSize struct {
		Bucket string `parquet:"bucket"`
		Key    string `parquet:"key"`
	}
	type intKey struct {
		Key  int64 `parquet:"key"`
		Size int64 `parquet:"size"`
	}
	good := parquetFile(t, []awsRow{{Bucket: "src", Key: "a.csv", Size: ptr(int64(1))}}, 10)
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"not Parquet", []byte(strings.Repeat("not parquet ", 100)), "is not Parquet"},
		{"cut short", good[:len(good)-9], "is not Parquet"},
		{"no size", parquetFile(t, []noSize{{"src", "a.csv"}}, 10), "has no size column"},
		{"a number for a key", parquetFile(t, []intKey{{1, 1}}, 10), "has a key column of type"},
		{"a current row without size", parquetFile(t, []awsRow{{Bucket: "src", Key: "a.csv", IsLatest: ptr(true)}}, 10), "is not a size"},
		{"an empty key", parquetFile(t, []awsRow{{Bucket: "src", IsLatest: ptr(true), Size: ptr(int64(1))}}, 10), "has no key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := readAll(t, c, parquetReport(t, c, tc.body)); !isBad(err, tc.want) {
				t.Fatalf("got %v, want a BadError with %q", err, tc.want)
			}
		})
	}
	rep := parquetReport(t, c, good)
	put(t, c, rep.Files[0].Key, parquetFile(t, []awsRow{{Bucket: "src", Key: "b.csv", Size: ptr(int64(1))}}, 10))
	if _, err := readAll(t, c, rep); !isBad(err, "not the manifest's") {
		t.Fatalf("replaced file: %v", err)
	}
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("inv"), Key: aws.String(rep.Files[0].Key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, c, rep); !isBad(err, "does not exist") {
		t.Fatalf("missing file: %v", err)
	}
}
