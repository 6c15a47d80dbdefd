package inventory

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
)

// Putter writes a report's objects.
type Putter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// WriteSchema is the fileSchema the Writer writes: the fields a run reads.
const WriteSchema = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"

// Writer writes a report as S3 Inventory delivers one (current versions):
// data files under <Prefix>data/ (gzip CSV, or Snappy Parquet), then the
// dated folder's manifest.json and, last, its manifest.checksum, which
// makes the report complete. For tests and the local platform.
type Writer struct {
	Client       Putter
	Location     Location
	SourceBucket string
	// RowsPerFile splits the rows into data files (0: 100,000).
	RowsPerFile int
	// Format is the report's fileFormat: "CSV" ("": CSV) or "Parquet".
	Format string
}

// encoder makes one data file of rows.
type encoder interface {
	add(o Object) error
	// bytes ends the file and returns it; the encoder starts a new one.
	bytes() ([]byte, error)
}

// Write writes a report of objects, stamped with created (the start of the
// scan, as S3 stamps it), and returns its dated folder.
func (w Writer) Write(ctx context.Context, created time.Time, objects iter.Seq2[Object, error]) (string, error) {
	per := w.RowsPerFile
	if per <= 0 {
		per = 100_000
	}
	enc, ext, err := w.encoder()
	if err != nil {
		return "", err
	}
	var files []DataFile
	rows := 0
	flush := func() error {
		body, err := enc.bytes()
		if err != nil {
			return err
		}
		f, err := w.put(ctx, w.Location.Prefix+"data/"+uuid.NewString()+ext, body)
		files = append(files, f)
		rows = 0
		return err
	}
	for o, err := range objects {
		if err == nil {
			err = enc.add(o)
		}
		if err != nil {
			return "", err
		}
		if rows++; rows == per {
			if err := flush(); err != nil {
				return "", err
			}
		}
	}
	if rows > 0 || len(files) == 0 {
		if err := flush(); err != nil {
			return "", err
		}
	}
	return w.finish(ctx, created, files)
}

// encoder is the encoder of w's format, and its data files' extension.
func (w Writer) encoder() (encoder, string, error) {
	switch w.Format {
	case "", "CSV":
		e := &csvEncoder{bucket: w.SourceBucket}
		e.zw = gzip.NewWriter(&e.buf)
		return e, ".csv.gz", nil
	case "Parquet":
		return newParquetEncoder(w.SourceBucket), ".parquet", nil
	}
	return nil, "", fmt.Errorf("inventory format %q: CSV or Parquet", w.Format)
}

// csvEncoder writes gzip CSV rows.
type csvEncoder struct {
	bucket string
	buf    bytes.Buffer
	zw     *gzip.Writer
}

func (e *csvEncoder) add(o Object) error {
	_, err := e.zw.Write(csvRow(e.bucket, o))
	return err
}

func (e *csvEncoder) bytes() ([]byte, error) {
	if err := e.zw.Close(); err != nil {
		return nil, err
	}
	body := bytes.Clone(e.buf.Bytes())
	e.buf.Reset()
	e.zw.Reset(&e.buf)
	return body, nil
}

// csvRow is o as a CSV row: every value quoted, the key URL-encoded.
func csvRow(bucket string, o Object) []byte {
	modified := ""
	if !o.LastModified.IsZero() {
		modified = o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	vals := []string{bucket, url.QueryEscape(o.Key), strconv.FormatInt(o.Size, 10), modified, o.ETag, o.StorageClass}
	for i, v := range vals {
		vals[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return []byte(strings.Join(vals, ",") + "\n")
}

// finish writes the manifest of files, then its checksum.
func (w Writer) finish(ctx context.Context, created time.Time, files []DataFile) (string, error) {
	folder := w.Location.Folder(created.UTC().Format("2006-01-02T15-04Z"))
	format, schema := "CSV", WriteSchema
	if w.Format == "Parquet" {
		format, schema = "Parquet", WriteParquetSchema
	}
	raw, err := json.Marshal(Manifest{
		SourceBucket: w.SourceBucket, DestinationBucket: "arn:aws:s3:::" + w.Location.Bucket, Version: "2016-11-30",
		CreationTimestamp: strconv.FormatInt(created.UnixMilli(), 10), FileFormat: format, FileSchema: schema, Files: files,
	})
	if err != nil {
		return "", err
	}
	if _, err := w.put(ctx, folder+"manifest.json", raw); err != nil {
		return "", err
	}
	if _, err := w.put(ctx, folder+"manifest.checksum", []byte(Checksum(raw))); err != nil {
		return "", err
	}
	return folder, nil
}

func (w Writer) put(ctx context.Context, key string, body []byte) (DataFile, error) {
	_, err := w.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.Location.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return DataFile{}, fmt.Errorf("write s3://%s/%s: %w", w.Location.Bucket, key, err)
	}
	return DataFile{Key: key, Size: int64(len(body)), MD5: Checksum(body)}, nil
}
