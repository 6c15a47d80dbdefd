package filecheck

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzFile checks, for any type and bytes, that File never panics, that an
// in-memory file is always judged (nil or *Error, never a read error), that
// the answer does not depend on how reads are split, and that csv, tsv and
// json agree with the standard library's own parsers. Without -fuzz it runs
// the seeds below as a normal test.
func FuzzFile(f *testing.F) {
	seeds := map[string][]string{
		"csv": {"", "a,b\n1,2\n", "a,b\n1,2,3\n", "\xEF\xBB\xBFa\n1", "a,\"b\nc\"\n1,2\r\n", "a,b\n1,x\"y\n",
			"a,b\n\"x\"y,1\n", "\n\n", "a,b\n\n1,2", "a;b\n1;2\n", "\"\"\"\",a\n,\n"},
		"tsv": {"a\tb\n1\t2\n", "a\tb\n1\n", "a\tb\n5\" x\t1\n", "\"a\tb\"\n1\n"},
		"json": {"", " ", "{}", "[]", "0", "-0.5e-3", "\"x\"", "{\"a\":[1,{\"b\":null}]}", "{\"a\":1}\n{\"a\":2}\n",
			"{\"a\":1}\n\n[2]\r\n3", "{\"a\":1} {\"b\":2}", "{\n\"a\":1\n}\n{}", "[1,2", "[1,]", "\"\\u00e9\\ud83d\"",
			"\xEF\xBB\xBF[]", "\"a\x01\"", "tru", "1\n2 3", "[\n1]\n", "{\"a\":1}x", "01", "1.", "1e+", "\"\\x\"",
			strings.Repeat("[", 20) + strings.Repeat("]", 20), "\"\xff\xfe\""},
		"parquet": {"", "P", "PAR1PAR1", "PAR1\x00\x00\x00\x00PAR1", "PAR1xxxxxxxxPAR2"},
		"xlsx":    {"", "PK\x03\x04", "PK\x05\x06", "\xD0\xCF\x11\xE0"},
		"pdf":     {"", "%PDF-1.4", "%PDF", "<html>"},
		"txt":     {"", "anything"},
		"others":  {"\x00"},
		"xml":     {"<a/>"},
		"CSV":     {"A,B\n1,2\n"},
	}
	for fileType, inputs := range seeds {
		for _, in := range inputs {
			f.Add(fileType, []byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, fileType string, data []byte) {
		err := File(fileType, bytes.NewReader(data), int64(len(data)))
		lower := strings.ToLower(fileType)
		var ve *Error
		if !slices.Contains(FileTypes, lower) {
			if err == nil || errors.As(err, &ve) {
				t.Fatalf("unknown type %q: got %v, want a plain error", fileType, err)
			}
			return
		}
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("in-memory %s file: got %v, want nil or *Error", lower, err)
		}
		if ve != nil && (ve.Reason == "" || ve.FileType != lower) {
			t.Fatalf("bad *Error %+v", ve)
		}
		again := File(fileType, iotest.OneByteReader(bytes.NewReader(data)), int64(len(data)))
		if errText(err) != errText(again) {
			t.Fatalf("whole read: %v\nbyte reads: %v", err, again)
		}
		var want bool
		switch lower {
		case "json":
			want = jsonOracle(data)
		case "csv":
			want = csvOracle(data, ',', false)
		case "tsv":
			want = csvOracle(data, '\t', true)
		default:
			return
		}
		if (err == nil) != want {
			t.Fatalf("%s %q: File says %v, the standard library says valid=%v", lower, data, err, want)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// jsonOracle is the json rule written with encoding/json: the file (less a
// byte order mark) is one JSON value, or each of its non-blank lines is,
// and there is at least one.
func jsonOracle(data []byte) bool {
	data = bytes.TrimPrefix(data, bom)
	if json.Valid(data) {
		return true
	}
	n := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.Trim(line, " \t\r")) == 0 {
			continue
		}
		if !json.Valid(line) {
			return false
		}
		n++
	}
	return n > 0
}

// csvOracle is the csv/tsv rule written with encoding/csv's own field
// count check: at least a header, every record as long as it.
func csvOracle(data []byte, comma rune, lazy bool) bool {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, bom)))
	r.Comma, r.LazyQuotes = comma, lazy
	records, err := r.ReadAll()
	return err == nil && len(records) > 0
}
