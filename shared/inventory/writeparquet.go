package inventory

import (
	"bytes"

	"github.com/parquet-go/parquet-go"
)

// parquetRow is a row of the Parquet reports the Writer writes: S3's
// column names and types (optional columns are pointers: null, not zero).
type parquetRow struct {
	Bucket       string  `parquet:"bucket"`
	Key          string  `parquet:"key"`
	Size         *int64  `parquet:"size,optional"`
	LastModified *int64  `parquet:"last_modified_date,optional,timestamp(millisecond)"`
	ETag         *string `parquet:"e_tag,optional"`
	StorageClass *string `parquet:"storage_class,optional"`
}

// parquetSchema is the Writer's Parquet schema, named as S3 names it.
var parquetSchema = parquet.NewSchema("s3.inventory", parquet.SchemaOf(parquetRow{}))

// WriteParquetSchema is the fileSchema of the Writer's Parquet reports:
// the message type, on one line as S3 writes it.
var WriteParquetSchema = oneLine(parquetSchema.String())

func oneLine(s string) string { return string(bytes.Join(bytes.Fields([]byte(s)), []byte(" "))) }

// parquetEncoder writes Snappy-compressed Parquet rows (one row group per
// data file).
type parquetEncoder struct {
	bucket string
	buf    bytes.Buffer
	w      *parquet.GenericWriter[parquetRow]
}

func newParquetEncoder(bucket string) *parquetEncoder {
	e := &parquetEncoder{bucket: bucket}
	e.w = parquet.NewGenericWriter[parquetRow](&e.buf, parquetSchema, parquet.Compression(&parquet.Snappy))
	return e
}

func (e *parquetEncoder) add(o Object) error {
	r := parquetRow{Bucket: e.bucket, Key: o.Key, Size: &o.Size}
	if !o.LastModified.IsZero() {
		ms := o.LastModified.UnixMilli()
		r.LastModified = &ms
	}
	if o.ETag != "" {
		r.ETag = &o.ETag
	}
	if o.StorageClass != "" {
		r.StorageClass = &o.StorageClass
	}
	_, err := e.w.Write([]parquetRow{r})
	return err
}

func (e *parquetEncoder) bytes() ([]byte, error) {
	if err := e.w.Close(); err != nil {
		return nil, err
	}
	body := bytes.Clone(e.buf.Bytes())
	e.buf.Reset()
	e.w.Reset(&e.buf)
	return body, nil
}
