package dataset

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

func TestNormalizeDirectoryPath(t *testing.T) {
	testCases := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"/", "", true},
		{"sales", "sales/", true},
		{"/sales/2026", "sales/2026/", true},
		{"//sales/", "sales/", true},
		{"sales/ü ñ/", "sales/ü ñ/", true},
		{"sales/../other", "", false},
		{"..", "", false},
		{"a/./b", "", false},
		{"a/..b/", "a/..b/", true},
		{"bad\x00path", "", false},
		{"bad\u202epath/", "", false},
		{"a//b/", "", false},
		{"exports/upload_date=1/", "exports/upload_date=1/", true},
		{strings.Repeat("a", 1025), "", false},
	}
	for _, tc := range testCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeDirectoryPath(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("got %q, %v; want %q ok=%v", got, err, tc.want, tc.ok)
			}
			var e *apperr.Error
			if err != nil && (!errors.As(err, &e) || e.Field != "DirectoryPath") {
				t.Fatalf("error does not name DirectoryPath: %v", err)
			}
		})
	}
}

func TestFileTypeMatches(t *testing.T) {
	testCases := []struct {
		ft   FileType
		key  string
		want bool
	}{
		{CSV, "a/b.csv", true},
		{CSV, "a/b.CSV", true},
		{CSV, "a/b.csv.gz", false},
		{CSV, "a/csv", false},
		{CSV, "a/b.tsv", false},
		{TSV, "x.tsv", true},
		{JSON, "x.Json", true},
		{Parquet, "part-0.parquet", true},
		{XLSX, "book.xlsx", true},
		{PDF, "doc.pdf", true},
		{TXT, "notes.txt", true},
		{Others, "anything.bin", true},
		{Others, "no-extension", true},
		{Others, "folder/", false},
		{CSV, "folder.csv/", false},
		{Others, "", false},
	}
	for _, tc := range testCases {
		if got := tc.ft.Matches(tc.key); got != tc.want {
			t.Errorf("%s.Matches(%q) = %v", tc.ft, tc.key, got)
		}
	}
}

func TestNameAndTargetKey(t *testing.T) {
	d := Dataset{Domain: "sales", DatasetName: "orders", DirectoryPath: "in/"}
	if got := d.Name("in/a/x.csv"); got != "a/x.csv" {
		t.Errorf("Name = %q", got)
	}
	start := time.Unix(1795557600, 0)
	if got := d.TargetKey(start, "a/x.csv"); got != "sales/orders/upload_date=1795557600/a/x.csv" {
		t.Errorf("TargetKey = %q", got)
	}
}

func TestCreateInputNormalize(t *testing.T) {
	valid := func() CreateInput {
		return CreateInput{DatasetName: "orders", Domain: "sales", ConnectionId: "c1", FileType: "CSV", DirectoryPath: "/in"}
	}
	testCases := []struct {
		name   string
		change func(*CreateInput)
		field  string
	}{
		{"valid", func(*CreateInput) {}, ""},
		{"name missing", func(in *CreateInput) { in.DatasetName = "" }, "DatasetName"},
		{"name bad", func(in *CreateInput) { in.DatasetName = "a b" }, "DatasetName"},
		{"domain missing", func(in *CreateInput) { in.Domain = "" }, "Domain"},
		{"domain bad", func(in *CreateInput) { in.Domain = "s/x" }, "Domain"},
		{"connection missing", func(in *CreateInput) { in.ConnectionId = "" }, "ConnectionId"},
		{"file type missing", func(in *CreateInput) { in.FileType = "" }, "FileType"},
		{"file type unknown", func(in *CreateInput) { in.FileType = "xml" }, "FileType"},
		{"path climbs", func(in *CreateInput) { in.DirectoryPath = "../x" }, "DirectoryPath"},
		{"description long", func(in *CreateInput) { in.Description = strings.Repeat("d", 1025) }, "Description"},
		{"users bad", func(in *CreateInput) { in.AuthorizedUsers = []string{"a b"} }, "AuthorizedUsers"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			in := valid()
			tc.change(&in)
			err := in.normalize()
			if tc.field == "" {
				if err != nil || in.FileType != CSV || in.DirectoryPath != "in/" {
					t.Fatalf("normalized %+v, %v", in, err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Fatalf("want 400 naming %s, got %v", tc.field, err)
			}
		})
	}
}
