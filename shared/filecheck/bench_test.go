package filecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchSize is the size of the generated inputs: large enough that the
// per-file setup is noise, small enough to stay in cache-friendly memory.
const benchSize = 8 << 20

func csvInput() []byte {
	var b bytes.Buffer
	b.WriteString("id,name,amount,created_at,comment\n")
	for i := 0; b.Len() < benchSize; i++ {
		fmt.Fprintf(&b, "%d,\"Customer %d, Ltd\",%d.%02d,2024-01-%02dT10:00:00Z,plain text note number %d\n", i, i, i*7, i%100, i%28+1, i)
	}
	return b.Bytes()
}

func jsonLinesInput() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < benchSize; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"Customer %d, Ltd","amount":%d.%02d,"tags":["a","b\u00e9"],"active":true,"parent":null}`+"\n", i, i, i*7, i%100)
	}
	return b.Bytes()
}

func jsonDocumentInput() []byte {
	lines := bytes.Split(bytes.TrimSpace(jsonLinesInput()), []byte("\n"))
	return append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]\n"...)
}

func benchFile(b *testing.B, fileType string, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := File(fileType, bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSV(b *testing.B)          { benchFile(b, "csv", csvInput()) }
func BenchmarkJSONLines(b *testing.B)    { benchFile(b, "json", jsonLinesInput()) }
func BenchmarkJSONDocument(b *testing.B) { benchFile(b, "json", jsonDocumentInput()) }

// BenchmarkStdlibJSONValid is the reference point: encoding/json's
// validator over the same document already in memory (what File avoids
// needing).
func BenchmarkStdlibJSONValid(b *testing.B) {
	data := jsonDocumentInput()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(data) {
			b.Fatal("invalid")
		}
	}
}
