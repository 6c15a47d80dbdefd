package inventory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/inventory"
)

// parquetSchema is a fileSchema as S3 writes it for a Parquet report.
const parquetSchema = "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; " +
	"optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary e_tag (UTF8); optional binary storage_class (UTF8);}"

const goodManifest = `{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30",
"creationTimestamp":"1514944800000","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate, ETag, StorageClass",
"files":[{"key":"p/src/c/data/a.csv.gz","size":10,"MD5checksum":"f11166069f1990abeb9c97ace9cdfabc"}]}`

func TestParse(t *testing.T) {
	swap := func(old, new string) string { return strings.Replace(goodManifest, old, new, 1) }
	cases := []struct {
		name, manifest, checksum, want string
	}{
		{"good", goodManifest, "", ""},
		{"checksum upper case, newline", goodManifest, strings.ToUpper(inventory.Checksum([]byte(goodManifest))) + "\n", ""},
		{"checksum mismatch", goodManifest, strings.Repeat("a", 32), "does not match manifest.checksum"},
		{"checksum not hex", goodManifest, "nope", "not an MD5"},
		{"not JSON", "{", "", "not a manifest"},
		{"another bucket", swap(`"sourceBucket":"src"`, `"sourceBucket":"other"`), "", `bucket "other"`},
		{"ORC", swap(`"CSV"`, `"ORC"`), "", "ORC inventories are not supported"},
		{"Parquet", strings.Replace(swap(`"CSV"`, `"Parquet"`), "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass", parquetSchema, 1), "", ""},
		{"Parquet, a CSV schema", swap(`"CSV"`, `"Parquet"`), "", "not a Parquet message type"},
		{"Parquet, no size", strings.Replace(swap(`"CSV"`, `"Parquet"`), "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass",
			strings.Replace(parquetSchema, "optional int64 size;", "", 1), 1), "", "no size column"},
		{"unknown format", swap(`"CSV"`, `"XML"`), "", "not an inventory format"},
		{"no Size", swap("Key, Size,", "Key,"), "", "no Size column"},
		{"no Key", swap("Key, ", ""), "", "no Key column"},
		{"column twice", swap("ETag,", "ETag, Key,"), "", "names Key twice"},
		{"empty column", swap("ETag,", "ETag, ,"), "", "empty column"},
		{"bad time", swap("1514944800000", "yesterday"), "", "creationTimestamp"},
		{"file without MD5", swap("f11166069f1990abeb9c97ace9cdfabc", ""), "", "no MD5checksum"},
		{"file without key", swap(`"key":"p/src/c/data/a.csv.gz"`, `"key":""`), "", "has no key"},
		{"negative size", swap(`"size":10`, `"size":-1`), "", "negative size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sum := tc.checksum
			if sum == "" {
				sum = inventory.Checksum([]byte(tc.manifest))
			}
			rep, err := inventory.Parse([]byte(tc.manifest), []byte(sum), "src")
			var b *inventory.BadError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				c := rep.Columns
				if c.Key != 1 || c.Size != 2 || c.LastModified != 3 || c.ETag != 4 || c.StorageClass != 5 || c.IsLatest != -1 || c.Count != 6 {
					t.Fatalf("columns %+v", c)
				}
			case !errors.As(err, &b) || !strings.Contains(b.Reason, tc.want):
				t.Fatalf("got %v, want a BadError with %q", err, tc.want)
			}
		})
	}
}

func TestPositionRoundTrip(t *testing.T) {
	p := inventory.Position{Folder: "a b/src/c/2026-12-06T01-00Z/", Checksum: strings.Repeat("0f", 16), File: 3, Row: 12000}
	got, ok, err := inventory.ParsePosition(p.String())
	if err != nil || !ok || got != p {
		t.Fatalf("%v %v %+v", err, ok, got)
	}
	if _, ok, err := inventory.ParsePosition(""); ok || err != nil {
		t.Fatalf("empty: %v %v", ok, err)
	}
	for _, s := range []string{"x", "inventory/1 -1 0 " + p.Checksum + " f/", "inventory/1 0 0 nothex f/", "ListObjectsV2-token"} {
		if _, _, err := inventory.ParsePosition(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// FuzzManifest: whatever the manifest, Parse answers without panicking, and
// what it accepts is consistent: a CSV or Parquet report of the bucket with
// Key and Size columns inside the row.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(goodManifest), "src")
	f.Add([]byte(`{"fileFormat":"Parquet"}`), "src")
	f.Add([]byte(`{"sourceBucket":"src","fileFormat":"Parquet","fileSchema":"message m { required binary key; optional int64 size; }","creationTimestamp":"1","files":null}`), "src")
	f.Add([]byte(`{"sourceBucket":"src","fileFormat":"CSV","fileSchema":"Key,Size","creationTimestamp":"1","files":null}`), "src")
	f.Fuzz(func(t *testing.T, raw []byte, bucket string) {
		rep, err := inventory.Parse(raw, []byte(inventory.Checksum(raw)), bucket)
		if err != nil {
			var b *inventory.BadError
			if !errors.As(err, &b) {
				t.Fatalf("not a BadError: %v", err)
			}
			return
		}
		c := rep.Columns
		if rep.SourceBucket != bucket || rep.FileFormat != "CSV" && rep.FileFormat != "Parquet" || c.Key < 0 || c.Size < 0 || c.Key >= c.Count || c.Size >= c.Count {
			t.Fatalf("accepted %+v", rep)
		}
	})
}
