package inventory

import (
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one current object of a report's source bucket.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time // zero: the report has no LastModifiedDate
	ETag         string    // "": the report has no ETag
	StorageClass string    // "": the report has no StorageClass
}

// Rows streams the rows of one data file of a report: gzip CSV, decoded as
// it is downloaded, so that memory stays bounded whatever the file's size
// (its MD5 and size are checked against the manifest at its end); or
// Parquet, downloaded to a temporary file, checked, then decoded a batch
// of rows at a time (parquetrows.go).
type Rows struct {
	rep  *Report
	file DataFile
	body io.ReadCloser
	sum  hash.Hash
	n    counter
	csv  *csv.Reader
	pq   *parquetRows // a Parquet file's rows, instead of csv
	row  int64        // rows read so far (of every kind)
}

// MaxRow caps a row's length: a key is at most 1,024 bytes (3 KiB
// URL-encoded), so a longer row is not an inventory's, and reading it
// whole would hold it in memory.
const MaxRow = 64 << 10

// lineLimit fails a line longer than MaxRow.
type lineLimit struct {
	r   io.Reader
	run int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if l.run++; b == '\n' {
			l.run = 0
		} else if l.run > MaxRow {
			return 0, fmt.Errorf("a row is longer than %d bytes", MaxRow)
		}
	}
	return n, err
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open starts reading data file i of rep from bucket.
func Open(ctx context.Context, r Reader, bucket string, rep *Report, i int) (*Rows, error) {
	if i < 0 || i >= len(rep.Files) {
		return nil, fmt.Errorf("inventory data file %d of %d", i, len(rep.Files))
	}
	f := rep.Files[i]
	out, err := r.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.Key)})
	if err != nil {
		var missing *missingError
		if errors.As(missingOf(err, bucket, f.Key), &missing) {
			return nil, bad("inventory data file s3://%s/%s does not exist", bucket, f.Key)
		}
		return nil, fmt.Errorf("read inventory data file s3://%s/%s: %w", bucket, f.Key, err)
	}
	rows := &Rows{rep: rep, file: f, body: out.Body, sum: md5.New()}
	if rep.FileFormat == "Parquet" {
		if err := rows.openParquet(out.Body); err != nil {
			rows.Close()
			return nil, err
		}
		return rows, nil
	}
	rows.n.r = io.TeeReader(out.Body, rows.sum)
	zr, err := gzip.NewReader(&rows.n)
	if err != nil {
		out.Body.Close()
		return nil, rows.fileError("is not gzip: %v", err)
	}
	rows.csv = csv.NewReader(&lineLimit{r: zr})
	rows.csv.FieldsPerRecord = rep.Columns.Count
	rows.csv.ReuseRecord = true
	return rows, nil
}

// Row is how many rows of the file were read.
func (rs *Rows) Row() int64 { return rs.row }

// Close releases the download.
func (rs *Rows) Close() error {
	if rs.pq != nil {
		rs.pq.close()
	}
	return rs.body.Close()
}

// Next returns the next row's object; current is false for a row that is
// not a current object (an older version or a delete marker, in a report
// of all versions). io.EOF ends the file, once its MD5 and size matched.
func (rs *Rows) Next() (o Object, current bool, err error) {
	if rs.pq != nil {
		return rs.nextParquet()
	}
	rec, err := rs.csv.Read()
	if errors.Is(err, io.EOF) {
		return Object{}, false, rs.end()
	}
	if err != nil {
		return Object{}, false, rs.fileError("row %d is not CSV of %d columns: %v", rs.row+1, rs.rep.Columns.Count, err)
	}
	rs.row++
	c := rs.rep.Columns
	if c.IsLatest >= 0 && !strings.EqualFold(rec[c.IsLatest], "true") ||
		c.IsDeleteMarker >= 0 && strings.EqualFold(rec[c.IsDeleteMarker], "true") {
		return Object{}, false, nil
	}
	o, err = rs.object(rec)
	return o, err == nil, err
}

// object decodes a row of a current object.
func (rs *Rows) object(rec []string) (Object, error) {
	c := rs.rep.Columns
	key, err := url.QueryUnescape(rec[c.Key]) // keys are URL-encoded, spaces as '+'
	if err != nil || key == "" {
		return Object{}, rs.fileError("row %d's Key %q is not a URL-encoded key", rs.row, rec[c.Key])
	}
	size, err := strconv.ParseInt(rec[c.Size], 10, 64)
	if err != nil || size < 0 {
		return Object{}, rs.fileError("row %d's Size %q is not a size", rs.row, rec[c.Size])
	}
	o := Object{Key: key, Size: size}
	if c.LastModified >= 0 && rec[c.LastModified] != "" {
		if o.LastModified, err = time.Parse(time.RFC3339Nano, rec[c.LastModified]); err != nil {
			return Object{}, rs.fileError("row %d's LastModifiedDate %q is not a time", rs.row, rec[c.LastModified])
		}
	}
	if c.ETag >= 0 {
		o.ETag = strings.Trim(rec[c.ETag], `"`)
	}
	if c.StorageClass >= 0 {
		o.StorageClass = rec[c.StorageClass]
	}
	return o, nil
}

// end checks the whole file against the manifest once its rows are read.
func (rs *Rows) end() error {
	if _, err := io.Copy(io.Discard, &rs.n); err != nil { // past the gzip trailer, if anything
		return fmt.Errorf("read inventory data file %s: %w", rs.file.Key, err)
	}
	if got := hex.EncodeToString(rs.sum.Sum(nil)); !strings.EqualFold(got, rs.file.MD5) {
		return rs.fileError("has MD5 %s, not the manifest's %s", got, rs.file.MD5)
	}
	if rs.n.n != rs.file.Size {
		return rs.fileError("has %d bytes, not the manifest's %d", rs.n.n, rs.file.Size)
	}
	return io.EOF
}

func (rs *Rows) fileError(format string, args ...any) error {
	return bad("inventory data file %s %s", rs.file.Key, fmt.Sprintf(format, args...))
}
