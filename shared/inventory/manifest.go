// Package inventory reads and writes S3 Inventory reports (CSV or
// Parquet): the manifest (manifest.json, checked against manifest.checksum),
// the schema of its data files, and their rows, streamed one file at a time. A dataset with
// an inventory is planned from its newest complete report instead of a
// listing of its source.
package inventory

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxManifest caps the manifest.json read: a manifest lists its data files
// (about 200 bytes each), a few thousand for the largest buckets.
const MaxManifest = 16 << 20

// Manifest is manifest.json as S3 writes it.
type Manifest struct {
	SourceBucket      string     `json:"sourceBucket"`
	DestinationBucket string     `json:"destinationBucket"`
	Version           string     `json:"version"`
	CreationTimestamp string     `json:"creationTimestamp"` // epoch milliseconds, as a string
	FileFormat        string     `json:"fileFormat"`        // CSV | ORC | Parquet
	FileSchema        string     `json:"fileSchema"`
	Files             []DataFile `json:"files"`
}

// DataFile is one data file a manifest lists.
type DataFile struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	MD5  string `json:"MD5checksum"`
}

// Report is a checked manifest: what a run plans from.
type Report struct {
	Manifest
	// Checksum is manifest.checksum: the MD5 (hex) of manifest.json. A
	// run's saved position names it, so that a report rewritten during the
	// run is noticed.
	Checksum string
	Created  time.Time
	Columns  Columns
}

// Columns are the positions of the fields a run reads in a row, in the
// order of fileSchema (-1: not in the report). A Parquet data file's rows
// are read by column name, from the file's own schema.
type Columns struct {
	Count                                       int
	Key, Size, LastModified, ETag, StorageClass int
	IsLatest, IsDeleteMarker                    int
}

// BadError is an inventory that cannot be planned from: retrying does not
// help; the run fails with the reason.
type BadError struct{ Reason string }

func (e *BadError) Error() string { return e.Reason }

func bad(format string, args ...any) error { return &BadError{Reason: fmt.Sprintf(format, args...)} }

var md5Hex = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// Checksum is what manifest.checksum holds for manifest: its MD5, in hex.
func Checksum(manifest []byte) string {
	sum := md5.Sum(manifest)
	return hex.EncodeToString(sum[:])
}

// Parse checks manifest.json (raw) against manifest.checksum and against
// what a run can plan from: a CSV or Parquet report of sourceBucket whose schema has
// Key and Size, whose data files are each listed with an MD5. Every
// problem is a *BadError naming it.
func Parse(raw, checksum []byte, sourceBucket string) (*Report, error) {
	sum := strings.TrimSpace(string(checksum))
	if !md5Hex.MatchString(sum) {
		return nil, bad("manifest.checksum is not an MD5 in hex")
	}
	if !strings.EqualFold(sum, Checksum(raw)) {
		return nil, bad("manifest.json does not match manifest.checksum (MD5 %s, checksum %s)", Checksum(raw), sum)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, bad("manifest.json is not a manifest: %v", err)
	}
	if m.SourceBucket != sourceBucket {
		return nil, bad("the inventory is of bucket %q, not of the connection's bucket %q", m.SourceBucket, sourceBucket)
	}
	if err := checkFormat(m.FileFormat); err != nil {
		return nil, err
	}
	parse := ParseSchema
	if m.FileFormat == "Parquet" {
		parse = ParseParquetSchema
	}
	cols, err := parse(m.FileSchema)
	if err != nil {
		return nil, err
	}
	ms, err := strconv.ParseInt(m.CreationTimestamp, 10, 64)
	if err != nil || ms <= 0 {
		return nil, bad("manifest.json's creationTimestamp %q is not a time in epoch milliseconds", m.CreationTimestamp)
	}
	for i, f := range m.Files {
		switch {
		case f.Key == "":
			return nil, bad("manifest.json's file %d has no key", i)
		case !md5Hex.MatchString(f.MD5):
			return nil, bad("manifest.json's file %s has no MD5checksum", f.Key)
		case f.Size < 0:
			return nil, bad("manifest.json's file %s has a negative size", f.Key)
		}
	}
	return &Report{Manifest: m, Checksum: strings.ToLower(sum), Created: time.UnixMilli(ms).UTC(), Columns: cols}, nil
}

// checkFormat accepts CSV and Parquet reports; ORC ones are refused with
// what to configure instead.
func checkFormat(format string) error {
	switch format {
	case "CSV", "Parquet":
		return nil
	case "ORC":
		return bad("%s inventories are not supported: configure the inventory's output format as CSV or Parquet", format)
	}
	return bad("manifest.json's fileFormat %q is not an inventory format (CSV, ORC or Parquet)", format)
}

// ParseSchema reads a CSV report's fileSchema ("Bucket, Key, Size, …"): the
// columns in the order of the rows. Key and Size are required; the others
// the run uses when present.
func ParseSchema(schema string) (Columns, error) {
	c := Columns{Key: -1, Size: -1, LastModified: -1, ETag: -1, StorageClass: -1, IsLatest: -1, IsDeleteMarker: -1}
	fields := map[string]*int{
		"Key": &c.Key, "Size": &c.Size, "LastModifiedDate": &c.LastModified, "ETag": &c.ETag,
		"StorageClass": &c.StorageClass, "IsLatest": &c.IsLatest, "IsDeleteMarker": &c.IsDeleteMarker,
	}
	return columnsOf(strings.Split(schema, ","), fields, &c, "Key", "Size")
}

// parquetField is a field of a Parquet message type: "optional int64 size".
var parquetField = regexp.MustCompile(`(?:required|optional|repeated)\s+\w+\s+(\w+)`)

// ParseParquetSchema reads a Parquet report's fileSchema ("message
// s3.inventory { required binary bucket (UTF8); … }"): the same columns as
// ParseSchema, under Parquet's names (key, size, last_modified_date, …).
func ParseParquetSchema(schema string) (Columns, error) {
	if !strings.HasPrefix(strings.TrimSpace(schema), "message ") {
		return Columns{}, bad("manifest.json's fileSchema is not a Parquet message type")
	}
	c := Columns{Key: -1, Size: -1, LastModified: -1, ETag: -1, StorageClass: -1, IsLatest: -1, IsDeleteMarker: -1}
	fields := map[string]*int{
		"key": &c.Key, "size": &c.Size, "last_modified_date": &c.LastModified, "e_tag": &c.ETag,
		"storage_class": &c.StorageClass, "is_latest": &c.IsLatest, "is_delete_marker": &c.IsDeleteMarker,
	}
	var names []string
	for _, m := range parquetField.FindAllStringSubmatch(schema, -1) {
		names = append(names, m[1])
	}
	return columnsOf(names, fields, &c, "key", "size")
}

// columnsOf places the named columns of a fileSchema; key and size name
// the two a run cannot do without.
func columnsOf(names []string, fields map[string]*int, c *Columns, key, size string) (Columns, error) {
	seen := map[string]bool{}
	for i, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			return Columns{}, bad("manifest.json's fileSchema has an empty column %d", i+1)
		}
		if seen[name] {
			return Columns{}, bad("manifest.json's fileSchema names %s twice", name)
		}
		seen[name] = true
		if p, ok := fields[name]; ok {
			*p = i
		}
		c.Count = i + 1
	}
	switch {
	case c.Key < 0:
		return Columns{}, bad("manifest.json's fileSchema has no %s column", key)
	case c.Size < 0:
		return Columns{}, bad("manifest.json's fileSchema has no %s column: configure the inventory with the Size field", size)
	}
	return *c, nil
}
