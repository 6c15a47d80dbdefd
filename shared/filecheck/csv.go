package filecheck

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// errRecordTooLong is returned by recordLimiter when one record passes its cap.
var errRecordTooLong = errors.New("record too long")

// recordLimiter fails the read once the bytes read since the start of the
// current record pass max. encoding/csv keeps a whole record in memory, so
// this is what bounds memory on a file with a huge or unterminated record.
// The cap is approximate by the read-ahead of the buffer in front of the
// parser (bufSize), which is all it needs to be.
type recordLimiter struct {
	r     io.Reader
	n     int64 // bytes read so far
	limit int64 // n may not pass this
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.n >= l.limit {
		return 0, errRecordTooLong
	}
	if room := l.limit - l.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// validateDelimited checks CSV (comma ',') or TSV (comma '\t') content: it
// parses, and every row has the header's number of fields.
func validateDelimited(r io.Reader, comma rune, lazyQuotes bool, maxRecord int64) error {
	lim := &recordLimiter{r: r, limit: maxRecord + bufSize}
	br := bufio.NewReaderSize(lim, bufSize)
	var skipped int64
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		n, _ := br.Discard(len(bom)) // a BOM is not part of the first header name
		skipped = int64(n)
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.LazyQuotes = lazyQuotes
	cr.FieldsPerRecord = -1 // counted here, to report rows rather than lines
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		if lim.n == skipped {
			return &Error{Reason: "empty file: no header row"}
		}
		return &Error{Reason: "no header row: the file has only blank lines"}
	}
	if err != nil {
		return delimitedError(err, 1, maxRecord)
	}
	cols := len(header)
	for row := 2; ; row++ {
		lim.limit = skipped + cr.InputOffset() + maxRecord + bufSize
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return delimitedError(err, row, maxRecord)
		}
		if len(rec) != cols {
			line, _ := cr.FieldPos(0)
			e := &Error{Row: row, Line: line}
			where := fmt.Sprintf("row %d", row)
			if line != row {
				where += fmt.Sprintf(" (line %d)", line)
			}
			e.Reason = fmt.Sprintf("%s has %d %s, the header has %d", where, len(rec), plural(int64(len(rec)), "field"), cols)
			return e
		}
	}
}

// delimitedError turns a parse failure in row into a *Error; a read error
// other than the record cap is returned as is.
func delimitedError(err error, row int, maxRecord int64) error {
	if errors.Is(err, errRecordTooLong) {
		return &Error{Row: row, Reason: fmt.Sprintf("row %d is longer than %s (is a quote left open?)", row, sizeText(maxRecord))}
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	e := &Error{Row: row, Line: pe.Line}
	where := fmt.Sprintf("row %d (line %d, column %d)", row, pe.Line, pe.Column)
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		e.Reason = where + `: a quote inside an unquoted field; quote the whole field and double the quote ("")`
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		e.Reason = fmt.Sprintf(`row %d: the quoted field opened on line %d is not closed properly (by line %d, column %d); a quote inside a quoted field is written ""`, row, pe.StartLine, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		e.Reason = where + `: a quoted field is not closed, or has a stray quote; a quote inside a quoted field is written ""`
	default:
		e.Reason = where + ": " + pe.Err.Error()
	}
	return e
}
