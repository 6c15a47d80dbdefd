// Package filecheck checks a landed file against its dataset's FileType:
// the worker runs it in the landing zone (LZ), before it moves the file on
// to the data lake zone (DLZ). A file that fails stays out of the DLZ and its run
// records the reason, so reasons are short sentences written for the
// dataset's users ("row 7 has 4 fields, the header has 3").
//
// Rules by FileType:
//
//   - csv, tsv: the file parses as RFC 4180 CSV (encoding/csv; tab as the
//     separator for tsv) and every row has as many fields as the header
//     row. Quoted fields may hold separators, quotes ("") and newlines; a
//     leading UTF-8 byte order mark, CRLF line ends, blank lines and a last
//     line without a newline are fine; a file with only a header is valid.
//     In tsv a quote inside an unquoted field is taken literally
//     (LazyQuotes), since tab-separated exports rarely quote; csv is strict.
//     Rows are numbered from 1, the header being row 1.
//   - json: one JSON document (any value: object, array, string, ...), or
//     JSON Lines: one complete value per line, blank lines allowed. The
//     syntax is that of encoding/json (RFC 8259; strings are not checked for
//     valid UTF-8, nesting is limited to 10000 levels); a leading byte order
//     mark is allowed.
//   - parquet: at least 12 bytes and "PAR1" at both ends; [ParquetEnds]
//     checks this from the two ends alone, with ranged reads. (The footer
//     length before the last PAR1 is not checked: files that only carry the
//     magic bytes, as in the platform's samples, stay valid.)
//   - xlsx: a ZIP archive (starts with PK\x03\x04); pdf: starts with %PDF-.
//     Only the first bytes are read.
//   - txt, others: any content, not read.
//
// An empty file (0 bytes) fails for csv, tsv, json, parquet, xlsx and pdf.
//
// Memory stays bounded whatever the size: the input is streamed through a
// 64 KiB buffer and never read whole. CSV needs one record in memory, so a
// record longer than [MaxRecordBytes] fails; JSON validation holds no value
// in memory (only the nesting of brackets), so only a JSON Lines line
// longer than MaxRecordBytes fails, to keep lines loadable by line-based
// readers downstream.
package filecheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRecordBytes caps one CSV/TSV record and one JSON Lines line.
const MaxRecordBytes = 16 << 20

// bufSize is the read buffer of the streaming validators.
const bufSize = 64 << 10

// Error is a file that does not match its FileType. Reason is a sentence
// for users; callers tell it from a failure to read the file (which may
// heal, and so must not mark the file invalid) with errors.As.
type Error struct {
	FileType string // the FileType the file was checked as
	Reason   string // e.g. "row 7 has 4 fields, the header has 3"
	Line     int    // 1-based line of the problem; 0 when not about a line
	Row      int    // csv/tsv: 1-based row (the header is row 1); 0 otherwise
}

func (e *Error) Error() string {
	return "not a valid " + e.FileType + " file: " + e.Reason
}

// FileTypes are the dataset FileTypes File knows, in the API's spelling.
var FileTypes = []string{"csv", "tsv", "json", "parquet", "xlsx", "pdf", "txt", "others"}

// Inspects says whether File reads a file of the type at all: txt and
// others are accepted as they are, so they need no stop in the LZ.
func Inspects(fileType string) bool {
	switch strings.ToLower(fileType) {
	case "txt", "others":
		return false
	}
	return true
}

// File checks r (the object's bytes, streamed) as fileType ("csv", "tsv",
// "json", "parquet", "xlsx", "pdf", "txt", "others"; case-insensitive).
// It returns nil when the file is valid, a *Error when it is not, and any
// other error when the check could not be made: an unknown fileType, a read
// error from r, or a stream whose length is not size (the object was cut or
// changed while read). size < 0 means unknown and skips that check. xlsx
// and pdf read only the first bytes, txt and others nothing.
func File(fileType string, r io.Reader, size int64) error {
	return file(strings.ToLower(fileType), r, size, MaxRecordBytes)
}

// file is File with the record cap as a parameter, for tests.
func file(fileType string, r io.Reader, size, maxRecord int64) error {
	cr := &countingReader{r: r}
	var err error
	switch fileType {
	case "csv":
		err = validateDelimited(cr, ',', false, maxRecord)
	case "tsv":
		err = validateDelimited(cr, '\t', true, maxRecord)
	case "json":
		err = validateJSON(cr, maxRecord)
	case "parquet":
		err = validateParquet(cr)
	case "xlsx":
		return checkPrefix(r, "xlsx", zipMagic)
	case "pdf":
		return checkPrefix(r, "pdf", pdfMagic)
	case "txt", "others":
		return nil
	default:
		return fmt.Errorf("validate: unknown file type %q", fileType)
	}
	var ve *Error
	if errors.As(err, &ve) {
		ve.FileType = fileType
		return ve
	}
	if err != nil {
		return fmt.Errorf("validate: reading the %s file: %w", fileType, err)
	}
	if size >= 0 && cr.n != size {
		return fmt.Errorf("validate: read %d bytes of a %d-byte %s file: the stream was cut or the object changed", cr.n, size, fileType)
	}
	return nil
}

// countingReader counts the bytes read, for the size check.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var (
	bom          = []byte{0xEF, 0xBB, 0xBF}
	parquetMagic = []byte("PAR1")
	zipMagic     = []byte("PK\x03\x04")
	pdfMagic     = []byte("%PDF-")
	oleMagic     = []byte{0xD0, 0xCF, 0x11, 0xE0} // Excel 97-2003 .xls and other OLE2 files
)

// parquetMin is the smallest Parquet file: magic, 4-byte footer length,
// magic (a real one also has a non-empty footer).
const parquetMin = 12

// ParquetEnds checks a Parquet file of size bytes from its ends only, so the
// worker need not read the object: head is its first bytes and tail its
// last bytes, at least 4 of each (two ranged GETs: "bytes=0-3", "bytes=-4").
// It returns nil, a *Error, or a plain error when head or tail is too
// short for a file of that size.
func ParquetEnds(head, tail []byte, size int64) error {
	fail := func(format string, args ...any) error {
		return &Error{FileType: "parquet", Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case size == 0:
		return fail("empty file")
	case size < parquetMin:
		return fail("the file is %d %s; a Parquet file has at least %d (PAR1, the footer length, PAR1)", size, plural(size, "byte"), parquetMin)
	case len(head) < len(parquetMagic) || len(tail) < len(parquetMagic):
		return fmt.Errorf("validate: ParquetEnds needs the first and the last 4 bytes, got %d and %d", len(head), len(tail))
	case !bytes.HasPrefix(head, parquetMagic):
		return fail("it does not start with the Parquet magic bytes PAR1 (it starts with %s)", showBytes(head))
	case !bytes.HasSuffix(tail, parquetMagic):
		return fail("it does not end with the Parquet magic bytes PAR1: the footer is missing, the file may be truncated")
	}
	return nil
}

// validateParquet streams r, keeping its first and last 4 bytes.
func validateParquet(r io.Reader) error {
	head := make([]byte, len(parquetMagic))
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	head = head[:n]
	t := &tailWriter{}
	t.add(head)
	m, err := io.CopyBuffer(t, r, make([]byte, bufSize))
	if err != nil {
		return err
	}
	return ParquetEnds(head, t.bytes(), int64(n)+m)
}

// tailWriter keeps the last 4 bytes written to it.
type tailWriter struct {
	buf [4]byte
	n   int // bytes held, at most 4
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.add(p)
	return len(p), nil
}

func (t *tailWriter) add(p []byte) {
	if len(p) >= len(t.buf) {
		copy(t.buf[:], p[len(p)-len(t.buf):])
		t.n = len(t.buf)
		return
	}
	keep := min(t.n, len(t.buf)-len(p))
	copy(t.buf[:], t.buf[t.n-keep:t.n])
	copy(t.buf[keep:], p)
	t.n = keep + len(p)
}

func (t *tailWriter) bytes() []byte { return t.buf[:t.n] }

// checkPrefix reads len(magic) bytes and compares them.
func checkPrefix(r io.Reader, fileType string, magic []byte) error {
	head := make([]byte, len(magic))
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("validate: reading the %s file: %w", fileType, err)
	}
	head = head[:n]
	if bytes.Equal(head, magic) {
		return nil
	}
	e := &Error{FileType: fileType}
	switch {
	case n == 0:
		e.Reason = "empty file"
	case fileType == "xlsx" && bytes.HasPrefix(head, oleMagic):
		e.Reason = "this is an Excel 97-2003 (.xls) workbook, not an .xlsx one; save it as .xlsx"
	case fileType == "xlsx":
		e.Reason = fmt.Sprintf("an .xlsx workbook is a ZIP archive starting with PK\\x03\\x04; this file starts with %s", showBytes(head))
	default:
		e.Reason = fmt.Sprintf("a PDF starts with %%PDF-; this file starts with %s", showBytes(head))
	}
	return e
}

// showBytes quotes the first few bytes of b for a reason sentence.
func showBytes(b []byte) string {
	return fmt.Sprintf("%q", b[:min(len(b), 8)])
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// sizeText writes a byte cap for a reason sentence.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
