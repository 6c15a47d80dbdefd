package inventory

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetBatch is how many rows are decoded at a time: memory holds a
// batch and the pages it comes from, never the whole file.
const parquetBatch = 256

// parquetRows reads the rows of a Parquet data file. Parquet's footer is
// at the end of the file and its columns are read by offset, so the file
// is first downloaded to a temporary file (checked against the manifest's
// MD5 and size on the way, as a CSV file is at its end) and decoded from
// there a row group at a time: memory stays bounded; the disk holds one
// data file, removed when the rows are closed.
type parquetRows struct {
	tmp    *os.File
	groups []parquet.RowGroup
	group  int // next row group to open
	rows   parquet.Rows
	batch  []parquet.Row
	at, n  int             // next row of batch, rows in batch
	vals   []parquet.Value // a row's values by column, reused
	cols   parquetColumns
}

// parquetColumns are the leaf columns a run reads (-1: not in the file),
// and the unit of last_modified_date.
type parquetColumns struct {
	key, size, lastModified, eTag, storageClass, isLatest, isDeleteMarker int
	unit                                                                  time.Duration
}

// openParquet downloads body, checks it against file, and opens its rows.
func (rs *Rows) openParquet(body io.Reader) error {
	tmp, err := os.CreateTemp("", "inventory-*.parquet")
	if err != nil {
		return fmt.Errorf("inventory data file %s: a temporary file: %w", rs.file.Key, err)
	}
	os.Remove(tmp.Name()) // gone with its last descriptor, whatever happens
	rs.pq = &parquetRows{tmp: tmp}
	sum := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), body)
	if err != nil {
		return fmt.Errorf("read inventory data file %s: %w", rs.file.Key, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); !strings.EqualFold(got, rs.file.MD5) {
		return rs.fileError("has MD5 %s, not the manifest's %s", got, rs.file.MD5)
	}
	if n != rs.file.Size {
		return rs.fileError("has %d bytes, not the manifest's %d", n, rs.file.Size)
	}
	return guard(func() error {
		f, err := parquet.OpenFile(tmp, n, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return rs.fileError("is not Parquet: %v", err)
		}
		if rs.pq.cols, err = parquetColumnsOf(f.Schema()); err != nil {
			return rs.fileError("%v", err)
		}
		rs.pq.groups, rs.pq.batch = f.RowGroups(), make([]parquet.Row, parquetBatch)
		return nil
	}, rs.fileError)
}

// guard turns a panic of the decoder (a file malformed in a way it does
// not check) into the file's error: the file is user input.
func guard(f func() error, fail func(string, ...any) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fail("is not a readable Parquet file: %v", p)
		}
	}()
	return f()
}

// parquetColumnsOf finds the columns a run reads in a file's schema, each
// of the type S3 writes it with.
func parquetColumnsOf(s *parquet.Schema) (parquetColumns, error) {
	c := parquetColumns{unit: time.Millisecond}
	for _, col := range []struct {
		name     string
		to       *int
		kind     parquet.Kind
		required bool
	}{
		{"key", &c.key, parquet.ByteArray, true}, {"size", &c.size, parquet.Int64, true},
		{"last_modified_date", &c.lastModified, parquet.Int64, false}, {"e_tag", &c.eTag, parquet.ByteArray, false},
		{"storage_class", &c.storageClass, parquet.ByteArray, false}, {"is_latest", &c.isLatest, parquet.Boolean, false},
		{"is_delete_marker", &c.isDeleteMarker, parquet.Boolean, false},
	} {
		leaf, ok := s.Lookup(col.name)
		switch {
		case !ok && col.required:
			return c, fmt.Errorf("has no %s column", col.name)
		case !ok:
			*col.to = -1
			continue
		case leaf.MaxRepetitionLevel > 0 || leaf.Node.Type().Kind() != col.kind:
			return c, fmt.Errorf("has a %s column of type %s, not %s", col.name, leaf.Node.Type(), col.kind)
		}
		*col.to = leaf.ColumnIndex
	}
	if leaf, ok := s.Lookup("last_modified_date"); ok {
		c.unit = timeUnit(leaf.Node.Type())
	}
	return c, nil
}

// timeUnit is the unit of a timestamp column: S3 writes TIMESTAMP_MILLIS
// (or TIMESTAMP(MILLIS,true)); others are read in their own unit.
func timeUnit(t parquet.Type) time.Duration {
	if lt := t.LogicalType(); lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
			return ts.Unit.Value.Duration()
		}
	}
	if ct := t.ConvertedType(); ct != nil && *ct == deprecated.TimestampMicros {
		return time.Microsecond
	}
	return time.Millisecond
}

// next reads the next row, a batch at a time, a row group after another.
func (pq *parquetRows) next() (parquet.Row, error) {
	for pq.at == pq.n {
		if pq.rows != nil {
			n, err := pq.rows.ReadRows(pq.batch)
			pq.at, pq.n = 0, n
			if n > 0 {
				break
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			pq.rows.Close()
			pq.rows = nil
		}
		if pq.group == len(pq.groups) {
			return nil, io.EOF
		}
		pq.rows = pq.groups[pq.group].Rows()
		pq.group++
	}
	pq.at++
	return pq.batch[pq.at-1], nil
}

// nextParquet is Next for a Parquet data file.
func (rs *Rows) nextParquet() (o Object, current bool, err error) {
	var row parquet.Row
	err = guard(func() (err error) { row, err = rs.pq.next(); return err }, rs.fileError)
	if err == io.EOF {
		return Object{}, false, io.EOF
	}
	if err != nil {
		if _, ok := err.(*BadError); ok {
			return Object{}, false, err
		}
		return Object{}, false, rs.fileError("row %d is not readable: %v", rs.row+1, err)
	}
	rs.row++
	vals := rs.pq.vals[:0]
	vals = append(vals, make([]parquet.Value, rs.pq.cols.count())...)
	rs.pq.vals = vals
	for _, v := range row {
		if c := v.Column(); c >= 0 && c < len(vals) {
			vals[c] = v
		}
	}
	return rs.parquetObject(vals)
}

// time is a last_modified_date value in its unit.
func (c parquetColumns) time(v int64) time.Time {
	switch c.unit {
	case time.Microsecond:
		return time.UnixMicro(v).UTC()
	case time.Nanosecond:
		return time.Unix(0, v).UTC()
	}
	return time.UnixMilli(v).UTC()
}

// count is how many leading columns hold the ones a run reads.
func (c parquetColumns) count() int {
	return 1 + max(c.key, c.size, c.lastModified, c.eTag, c.storageClass, c.isLatest, c.isDeleteMarker)
}

// parquetObject decodes a row's values, with the CSV reader's semantics:
// only current objects, the key as it is (not URL-encoded in Parquet).
func (rs *Rows) parquetObject(vals []parquet.Value) (Object, bool, error) {
	c := rs.pq.cols
	at := func(i int) parquet.Value {
		if i < 0 {
			return parquet.Value{}
		}
		return vals[i]
	}
	if c.isLatest >= 0 && (at(c.isLatest).IsNull() || !at(c.isLatest).Boolean()) ||
		c.isDeleteMarker >= 0 && !at(c.isDeleteMarker).IsNull() && at(c.isDeleteMarker).Boolean() {
		return Object{}, false, nil
	}
	key, size := at(c.key), at(c.size)
	if key.IsNull() || len(key.ByteArray()) == 0 {
		return Object{}, false, rs.fileError("row %d has no key", rs.row)
	}
	if size.IsNull() || size.Int64() < 0 {
		return Object{}, false, rs.fileError("row %d's size %v is not a size", rs.row, size)
	}
	o := Object{Key: string(key.ByteArray()), Size: size.Int64()}
	if v := at(c.lastModified); !v.IsNull() {
		o.LastModified = c.time(v.Int64())
	}
	if v := at(c.eTag); !v.IsNull() {
		o.ETag = strings.Trim(string(v.ByteArray()), `"`)
	}
	if v := at(c.storageClass); !v.IsNull() {
		o.StorageClass = string(v.ByteArray())
	}
	return o, true, nil
}

func (pq *parquetRows) close() error {
	if pq.rows != nil {
		pq.rows.Close()
	}
	return pq.tmp.Close()
}
