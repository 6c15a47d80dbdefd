package filecheck

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type testCase struct {
	name     string
	fileType string
	input    string
	reason   string // "" when the file is valid, else the exact Reason
	row      int    // expected Error.Row when invalid
	line     int    // expected Error.Line when invalid
}

// readers gives each case's input in one piece, a byte at a time and in
// halves, so that results cannot depend on where reads split the input.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"halves", iotest.HalfReader},
}

func run(t *testing.T, testCases []testCase) {
	t.Helper()
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, rd := range readers {
				err := File(tc.fileType, rd.wrap(strings.NewReader(tc.input)), int64(len(tc.input)))
				if tc.reason == "" {
					if err != nil {
						t.Fatalf("%s reader: got %v, want valid", rd.name, err)
					}
					continue
				}
				var ve *Error
				if !errors.As(err, &ve) {
					t.Fatalf("%s reader: got %v, want *Error %q", rd.name, err, tc.reason)
				}
				if ve.Reason != tc.reason || ve.FileType != strings.ToLower(tc.fileType) {
					t.Fatalf("%s reader:\n got %s: %q\nwant %s: %q", rd.name, ve.FileType, ve.Reason, tc.fileType, tc.reason)
				}
				if ve.Row != tc.row || ve.Line != tc.line {
					t.Errorf("%s reader: row %d line %d, want row %d line %d", rd.name, ve.Row, ve.Line, tc.row, tc.line)
				}
			}
		})
	}
}

func TestCSV(t *testing.T) {
	run(t, []testCase{
		{name: "simple", fileType: "csv", input: "id,name,qty\n1,apple,3\n2,pear,5\n"},
		{name: "header only", fileType: "csv", input: "id,name\n"},
		{name: "header only without newline", fileType: "csv", input: "id,name"},
		{name: "last line without newline", fileType: "csv", input: "id,name\n1,apple"},
		{name: "CRLF", fileType: "csv", input: "id,name\r\n1,apple\r\n2,pear\r\n"},
		{name: "UTF-8 BOM", fileType: "csv", input: "\xEF\xBB\xBFid,name\n1,apple\n"},
		{name: "quoted comma", fileType: "csv", input: "id,name\n1,\"apple, red\"\n"},
		{name: "quoted newline", fileType: "csv", input: "id,note\n1,\"line one\nline two\"\n2,x\n"},
		{name: "quoted CRLF newline", fileType: "csv", input: "id,note\r\n1,\"a\r\nb\"\r\n"},
		{name: "doubled quotes", fileType: "csv", input: "id,quote\n1,\"she said \"\"hi\"\"\"\n"},
		{name: "blank lines are skipped", fileType: "csv", input: "id,name\n\n1,apple\n\n"},
		{name: "empty fields", fileType: "csv", input: "a,b,c\n,,\n1,,3\n"},
		{name: "single column", fileType: "csv", input: "id\n1\n2\n"},
		{name: "non-ASCII", fileType: "csv", input: "città,prix\nZürich,€5\n"},
		{name: "upper-case file type", fileType: "CSV", input: "a\n1\n"},

		{name: "empty file", fileType: "csv", input: "", reason: "empty file: no header row"},
		{name: "only a BOM", fileType: "csv", input: "\xEF\xBB\xBF", reason: "empty file: no header row"},
		{name: "only blank lines", fileType: "csv", input: "\n\r\n\n", reason: "no header row: the file has only blank lines"},
		{name: "ragged row, more fields", fileType: "csv", input: "a,b,c\n1,2,3\n4,5,6\n1,2,3,4\n",
			reason: "row 4 has 4 fields, the header has 3", row: 4, line: 4},
		{name: "ragged row, fewer fields", fileType: "csv", input: "a,b,c\n1,2\n",
			reason: "row 2 has 2 fields, the header has 3", row: 2, line: 2},
		{name: "one field", fileType: "csv", input: "a,b\n1\n",
			reason: "row 2 has 1 field, the header has 2", row: 2, line: 2},
		{name: "ragged row after a quoted newline", fileType: "csv", input: "a,b\n\"x\ny\",1\n1,2,3\n",
			reason: "row 3 (line 4) has 3 fields, the header has 2", row: 3, line: 4},
		{name: "ragged row after a blank line", fileType: "csv", input: "a,b\n\n1,2,3\n",
			reason: "row 2 (line 3) has 3 fields, the header has 2", row: 2, line: 3},
		{name: "tab-separated read as CSV", fileType: "csv", input: "a,b\n1\t2\n",
			reason: "row 2 has 1 field, the header has 2", row: 2, line: 2},
		{name: "bare quote", fileType: "csv", input: "a,b\n1,5\" pipe\n",
			reason: `row 2 (line 2, column 4): a quote inside an unquoted field; quote the whole field and double the quote ("")`, row: 2, line: 2},
		{name: "stray quote after a quoted field", fileType: "csv", input: "a,b\n\"x\"y,1\n",
			reason: `row 2 (line 2, column 3): a quoted field is not closed, or has a stray quote; a quote inside a quoted field is written ""`, row: 2, line: 2},
		{name: "quote left open", fileType: "csv", input: "a,b\n1,\"open\n2,3\n",
			reason: `row 2: the quoted field opened on line 2 is not closed properly (by line 3, column 5); a quote inside a quoted field is written ""`, row: 2, line: 3},
		{name: "bad header", fileType: "csv", input: "a,\"b\nc",
			reason: `row 1: the quoted field opened on line 1 is not closed properly (by line 2, column 2); a quote inside a quoted field is written ""`, row: 1, line: 2},
	})
}

func TestTSV(t *testing.T) {
	run(t, []testCase{
		{name: "simple", fileType: "tsv", input: "id\tname\n1\tapple\n"},
		{name: "commas are data", fileType: "tsv", input: "id\tnote\n1\ta, b, c\n"},
		{name: "quoted tab", fileType: "tsv", input: "id\tnote\n1\t\"a\tb\"\n"},
		{name: "literal quote in a field", fileType: "tsv", input: "id\tsize\n1\t5\" pipe\n"},
		{name: "CRLF and BOM", fileType: "tsv", input: "\xEF\xBB\xBFid\tname\r\n1\tapple"},
		{name: "empty file", fileType: "tsv", input: "", reason: "empty file: no header row"},
		{name: "ragged", fileType: "tsv", input: "a\tb\tc\n1\t2\t3\n1\t2\n",
			reason: "row 3 has 2 fields, the header has 3", row: 3, line: 3},
		{name: "comma-separated read as TSV", fileType: "tsv", input: "a\tb\n1,2\n",
			reason: "row 2 has 1 field, the header has 2", row: 2, line: 2},
	})
}

func TestJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	run(t, []testCase{
		{name: "object", fileType: "json", input: `{"id":1,"tags":["a","b"],"ok":true,"none":null,"n":-1.5e+10}`},
		{name: "array", fileType: "json", input: `[1, 2.0, 3e2, "x", {"a": {}}, []]`},
		{name: "scalar string", fileType: "json", input: `"just a string"`},
		{name: "scalar number", fileType: "json", input: `0`},
		{name: "scalar literal with spaces", fileType: "json", input: " \t false \r\n"},
		{name: "pretty-printed document", fileType: "json", input: "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n"},
		{name: "BOM", fileType: "json", input: "\xEF\xBB\xBF{\"a\":1}"},
		{name: "escapes", fileType: "json", input: `{"s":"q\" b\\ s\/ \b\f\n\r\t \u00e9\uD83D\uDE00"}`},
		{name: "non-ASCII", fileType: "json", input: `{"città":"Zürich €"}`},
		{name: "nesting at the limit", fileType: "json", input: deep(maxDepth)},
		{name: "JSON Lines", fileType: "json", input: "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"},
		{name: "JSON Lines with a blank line", fileType: "json", input: "{\"a\":1}\n\n{\"a\":2}\n   \n"},
		{name: "JSON Lines with CRLF, no final newline", fileType: "json", input: "{\"a\":1}\r\n[2]\r\n\"three\""},
		{name: "JSON Lines of scalars", fileType: "json", input: "1\n2\ntrue\nnull\n"},
		{name: "JSON Lines after blank lines", fileType: "json", input: "\n\n{\"a\":1}\n{\"a\":2}"},

		{name: "empty file", fileType: "json", input: "", reason: "empty file: no JSON value"},
		{name: "only whitespace", fileType: "json", input: " \n\t\n", reason: "the file holds only whitespace: no JSON value"},
		{name: "truncated document", fileType: "json", input: "{\"a\":[1,2",
			reason: "the JSON document is truncated: the file ends inside an array (line 1)", line: 1},
		{name: "truncated pretty document", fileType: "json", input: "{\n  \"a\": 1,\n",
			reason: "the JSON document is truncated: the file ends inside an object (line 3)", line: 3},
		{name: "truncated string", fileType: "json", input: `{"a":"abc`,
			reason: "the JSON document is truncated: the file ends inside an object (line 1)", line: 1},
		{name: "truncated number", fileType: "json", input: `-`,
			reason: "the JSON document is truncated: the file ends inside a value (line 1)", line: 1},
		{name: "trailing garbage", fileType: "json", input: "{\"a\":1}x",
			reason: "line 1, column 8: unexpected 'x' after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", line: 1},
		{name: "garbage after a multi-line document", fileType: "json", input: "{\n\"a\":1\n}\n\n}",
			reason: "line 5, column 1: unexpected '}' after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", line: 5},
		{name: "value after a multi-line document", fileType: "json", input: "[\n1\n]\n[2]\n",
			reason: "line 4, column 1: unexpected '[' after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", line: 4},
		{name: "two values on one line", fileType: "json", input: "{\"a\":1} {\"a\":2}\n",
			reason: "line 1, column 9: unexpected '{' after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", line: 1},
		{name: "JSON Lines, bad line", fileType: "json", input: "{\"a\":1}\n{\"a\":}\n{\"a\":3}\n",
			reason: "line 2, column 6: invalid character '}' where a value is expected", line: 2},
		{name: "JSON Lines, value across lines", fileType: "json", input: "{\"a\":1}\n{\"a\":\n2}\n",
			reason: "line 2 ends inside a JSON value; JSON Lines needs one complete value per line", line: 2},
		{name: "JSON Lines, truncated last line", fileType: "json", input: "{\"a\":1}\n{\"a\":2",
			reason: "line 2 is truncated: the file ends inside an object (line 2)", line: 2},
		{name: "JSON Lines, two values on a later line", fileType: "json", input: "1\n2 3\n",
			reason: "line 2, column 3: unexpected '3' after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", line: 2},
		{name: "trailing comma", fileType: "json", input: `[1,2,]`,
			reason: "line 1, column 6: invalid character ']' where a value is expected", line: 1},
		{name: "single quotes", fileType: "json", input: `{'a':1}`,
			reason: `line 1, column 2: invalid character '\'' in an object, expected a quoted member name`, line: 1},
		{name: "missing colon", fileType: "json", input: `{"a" 1}`,
			reason: "line 1, column 6: invalid character '1' after a member name, expected ':'", line: 1},
		{name: "missing comma", fileType: "json", input: `{"a":1 "b":2}`,
			reason: `line 1, column 8: invalid character '"' in an object, expected ',' or '}'`, line: 1},
		{name: "mismatched bracket", fileType: "json", input: `[1}`,
			reason: "line 1, column 3: invalid character '}' in an array, expected ',' or ']'", line: 1},
		{name: "bad literal", fileType: "json", input: `[tru]`,
			reason: "line 1, column 5: invalid character ']' in the literal true", line: 1},
		{name: "capitalised literal", fileType: "json", input: `True`,
			reason: "line 1, column 1: invalid character 'T' where a value is expected", line: 1},
		{name: "leading zero", fileType: "json", input: `[01]`,
			reason: "line 1, column 3: invalid character '1' in an array, expected ',' or ']'", line: 1},
		{name: "bare decimal point", fileType: "json", input: `[1.]`,
			reason: "line 1, column 4: invalid character ']' in a number, expected a digit after the decimal point", line: 1},
		{name: "empty exponent", fileType: "json", input: `[1e+]`,
			reason: "line 1, column 5: invalid character ']' in a number, expected a digit in the exponent", line: 1},
		{name: "plus sign", fileType: "json", input: `+1`,
			reason: "line 1, column 1: invalid character '+' where a value is expected", line: 1},
		{name: "raw newline in a string", fileType: "json", input: "[\"a\nb\"]",
			reason: "line 1, column 4: a string is not closed before the end of the line", line: 1},
		{name: "control character in a string", fileType: "json", input: "[\"a\tb\"]",
			reason: `line 1, column 4: control character 0x09 in a string; write it as \u0009`, line: 1},
		{name: "bad escape", fileType: "json", input: `["\x41"]`,
			reason: `line 1, column 4: invalid escape \x in a string`, line: 1},
		{name: "bad unicode escape", fileType: "json", input: `["\u12G4"]`,
			reason: `line 1, column 7: invalid character 'G' in a \u escape, expected a hex digit`, line: 1},
		{name: "binary", fileType: "json", input: "\x00\x01",
			reason: "line 1, column 1: invalid character byte 0x00 where a value is expected", line: 1},
		{name: "nested too deep", fileType: "json", input: deep(maxDepth + 1),
			reason: "line 1, column 10001: the JSON is nested deeper than 10000 levels", line: 1},
	})
}

func TestMagicBytes(t *testing.T) {
	run(t, []testCase{
		{name: "parquet", fileType: "parquet", input: "PAR1\x15\x04\x15\x10\x00\x00\x00\x00PAR1"},
		{name: "smallest parquet", fileType: "parquet", input: "PAR1\x00\x00\x00\x00PAR1"},
		{name: "parquet, empty", fileType: "parquet", input: "", reason: "empty file"},
		{name: "parquet, 1 byte", fileType: "parquet", input: "P",
			reason: "the file is 1 byte; a Parquet file has at least 12 (PAR1, the footer length, PAR1)"},
		{name: "parquet, only magic twice", fileType: "parquet", input: "PAR1PAR1",
			reason: "the file is 8 bytes; a Parquet file has at least 12 (PAR1, the footer length, PAR1)"},
		{name: "parquet, wrong head", fileType: "parquet", input: "id,name\n1,apple\n",
			reason: `it does not start with the Parquet magic bytes PAR1 (it starts with "id,n")`},
		{name: "parquet, truncated", fileType: "parquet", input: "PAR1\x15\x04\x15\x10\x00\x00\x00\x00PA",
			reason: "it does not end with the Parquet magic bytes PAR1: the footer is missing, the file may be truncated"},

		{name: "xlsx", fileType: "xlsx", input: "PK\x03\x04\x14\x00\x06\x00"},
		{name: "xlsx, empty", fileType: "xlsx", input: "", reason: "empty file"},
		{name: "xlsx, empty ZIP", fileType: "xlsx", input: "PK\x05\x06" + strings.Repeat("\x00", 18),
			reason: `an .xlsx workbook is a ZIP archive starting with PK\x03\x04; this file starts with "PK\x05\x06"`},
		{name: "xlsx, old xls", fileType: "xlsx", input: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
			reason: "this is an Excel 97-2003 (.xls) workbook, not an .xlsx one; save it as .xlsx"},
		{name: "xlsx, CSV", fileType: "xlsx", input: "a,b\n",
			reason: `an .xlsx workbook is a ZIP archive starting with PK\x03\x04; this file starts with "a,b\n"`},

		{name: "pdf", fileType: "pdf", input: "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"},
		{name: "pdf, empty", fileType: "pdf", input: "", reason: "empty file"},
		{name: "pdf, too short", fileType: "pdf", input: "%PDF", reason: `a PDF starts with %PDF-; this file starts with "%PDF"`},
		{name: "pdf, HTML", fileType: "pdf", input: "<!DOCTYPE html>",
			reason: `a PDF starts with %PDF-; this file starts with "<!DOC"`},

		{name: "txt, anything", fileType: "txt", input: "\x00\xFF not even UTF-8"},
		{name: "txt, empty", fileType: "txt", input: ""},
		{name: "others, anything", fileType: "others", input: "PK\x03\x04"},
	})
}

func TestParquetEnds(t *testing.T) {
	testCases := []struct {
		name       string
		head, tail string
		size       int64
		reason     string // "" valid
		plain      bool   // a plain error, not *Error
	}{
		{name: "valid", head: "PAR1", tail: "PAR1", size: 1 << 30},
		{name: "valid with more bytes", head: "PAR1\x15\x04", tail: "\x10\x00\x00\x00PAR1", size: 4096},
		{name: "empty", size: 0, reason: "empty file"},
		{name: "1 byte", head: "P", tail: "P", size: 1,
			reason: "the file is 1 byte; a Parquet file has at least 12 (PAR1, the footer length, PAR1)"},
		{name: "11 bytes", head: "PAR1", tail: "PAR1", size: 11,
			reason: "the file is 11 bytes; a Parquet file has at least 12 (PAR1, the footer length, PAR1)"},
		{name: "CSV head", head: "id,n", tail: "PAR1", size: 100,
			reason: `it does not start with the Parquet magic bytes PAR1 (it starts with "id,n")`},
		{name: "bad tail", head: "PAR1", tail: "\x00\x00\x00\x00", size: 100,
			reason: "it does not end with the Parquet magic bytes PAR1: the footer is missing, the file may be truncated"},
		{name: "caller passed too little", head: "PA", tail: "PAR1", size: 100, plain: true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			err := ParquetEnds([]byte(tc.head), []byte(tc.tail), tc.size)
			var ve *Error
			switch {
			case tc.plain:
				if err == nil || errors.As(err, &ve) {
					t.Fatalf("got %v, want a plain error", err)
				}
			case tc.reason == "":
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
			case !errors.As(err, &ve) || ve.Reason != tc.reason || ve.FileType != "parquet":
				t.Fatalf("got %v, want reason %q", err, tc.reason)
			}
		})
	}
}

// TestNotInvalid: failing to read a file, or being asked for an unknown
// type, must not be reported as an invalid file (*Error): the worker
// retries those instead of recording the file as failed.
func TestNotInvalid(t *testing.T) {
	boom := errors.New("connection reset")
	testCases := []struct {
		name     string
		fileType string
		r        io.Reader
		size     int64
		is       error
	}{
		{"csv read error", "csv", io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(boom)), -1, boom},
		{"csv read error in a quoted field", "csv", io.MultiReader(strings.NewReader("a,b\n1,\"x"), iotest.ErrReader(boom)), -1, boom},
		{"csv read error at once", "csv", iotest.ErrReader(boom), -1, boom},
		{"tsv read error", "tsv", iotest.DataErrReader(io.MultiReader(strings.NewReader("a\tb\n1\t"), iotest.ErrReader(boom))), -1, boom},
		{"json read error", "json", io.MultiReader(strings.NewReader(`{"a":[1,`), iotest.ErrReader(boom)), -1, boom},
		{"json read error at once", "json", iotest.ErrReader(boom), -1, boom},
		{"json lines read error", "json", io.MultiReader(strings.NewReader("1\n2\n"), iotest.ErrReader(boom)), -1, boom},
		{"json timeout", "json", iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(`{"a":1}`))), -1, iotest.ErrTimeout},
		{"parquet read error", "parquet", io.MultiReader(strings.NewReader("PAR1xxxx"), iotest.ErrReader(boom)), -1, boom},
		{"xlsx read error", "xlsx", iotest.ErrReader(boom), -1, boom},
		{"pdf read error", "pdf", io.MultiReader(strings.NewReader("%P"), iotest.ErrReader(boom)), -1, boom},
		{"csv shorter than its size", "csv", strings.NewReader("a,b\n1,2\n"), 100, nil},
		{"json longer than its size", "json", strings.NewReader(`{"a":1}`), 3, nil},
		{"parquet shorter than its size", "parquet", strings.NewReader("PAR1\x00\x00\x00\x00PAR1"), 13, nil},
		{"unknown type", "xml", strings.NewReader("<a/>"), 4, nil},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			err := File(tc.fileType, tc.r, tc.size)
			var ve *Error
			if err == nil || errors.As(err, &ve) {
				t.Fatalf("got %v, want a read/usage error", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want it to wrap %v", err, tc.is)
			}
		})
	}
}

// infinite yields prefix and then the byte fill forever, without holding
// it: the input of the memory-bound tests.
type infinite struct {
	prefix []byte
	fill   byte
	n      int64
}

func (r *infinite) Read(p []byte) (int, error) {
	n := copy(p, r.prefix)
	r.prefix = r.prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = r.fill
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestRecordCap(t *testing.T) {
	const cap = 1 << 10 // the slack above it is one read buffer
	testCases := []struct {
		name, fileType, prefix string
		reason                 string
	}{
		{"csv field without end", "csv", "a,b\n1,", "row 2 is longer than 1024 bytes (is a quote left open?)"},
		{"csv quote left open", "csv", "a,b\n1,\"", "row 2 is longer than 1024 bytes (is a quote left open?)"},
		{"csv huge header", "csv", "a", "row 1 is longer than 1024 bytes (is a quote left open?)"},
		{"tsv field without end", "tsv", "a\tb\n1\t2\n3\t", "row 3 is longer than 1024 bytes (is a quote left open?)"},
		{"json lines, long line", "json", "{\"a\":1}\n[\"", "line 2 is longer than 1024 bytes"},
		{"json lines, long first line", "json", "[\"" + strings.Repeat("x", 2*bufSize) + "\"]\n[1]\n", "line 1 is longer than 1024 bytes"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			r := &infinite{prefix: []byte(tc.prefix), fill: 'x'}
			err := file(tc.fileType, r, -1, cap)
			var ve *Error
			if !errors.As(err, &ve) || ve.Reason != tc.reason {
				t.Fatalf("got %v, want %q", err, tc.reason)
			}
			if r.n > cap+4*bufSize {
				t.Errorf("read %d bytes before failing", r.n)
			}
		})
	}
	// A single JSON document has no line cap: nothing of it is held.
	big := "[\"" + strings.Repeat("x", 4*bufSize) + "\"]"
	if err := file("json", strings.NewReader(big), int64(len(big)), cap); err != nil {
		t.Errorf("a long one-line document: %v", err)
	}
}

// TestRealCap runs the 16 MiB cap itself on an endless quoted field.
func TestRealCap(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 16 MiB")
	}
	err := File("csv", &infinite{prefix: []byte("a,b\n1,\""), fill: 'x'}, -1)
	var ve *Error
	if !errors.As(err, &ve) || ve.Reason != "row 2 is longer than 16 MiB (is a quote left open?)" {
		t.Fatalf("got %v", err)
	}
}

// TestLargeJSONAcrossBuffers checks tokens that straddle read buffers.
func TestLargeJSONAcrossBuffers(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"k":"` + strings.Repeat("é\\n", i%50) + `","n":-12345.678e-9,"t":true,"f":false,"z":null}`)
	}
	b.WriteString("]\n")
	if err := File("json", bytes.NewReader(b.Bytes()), int64(b.Len())); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	truncated := data[:len(data)-2]
	if err := File("json", bytes.NewReader(truncated), int64(len(truncated))); err == nil {
		t.Fatal("truncated document validated")
	}
}
