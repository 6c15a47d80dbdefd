package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// emf is the part of an EMF document CloudWatch reads.
type emf struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

func TestDocumentFollowsEmbeddedMetricFormat(t *testing.T) {
	at := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	raw, err := Document(at, map[string]any{"RunId": "r-1"}, ObjectsCopied.Of(3), BytesCopied.Of(4096))
	if err != nil {
		t.Fatal(err)
	}
	var doc emf
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AWS.Timestamp != at.UnixMilli() {
		t.Errorf("Timestamp = %d, want %d (Unix milliseconds)", doc.AWS.Timestamp, at.UnixMilli())
	}
	if len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("CloudWatchMetrics = %+v, want one directive", doc.AWS.CloudWatchMetrics)
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if d.Namespace != Namespace {
		t.Errorf("Namespace = %q", d.Namespace)
	}
	if len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 0 {
		t.Errorf("Dimensions = %v, want one empty dimension set", d.Dimensions)
	}
	var top map[string]any
	_ = json.Unmarshal(raw, &top)
	want := map[string]string{"ObjectsCopied": "Count", "BytesCopied": "Bytes"}
	for _, m := range d.Metrics {
		if want[m.Name] != m.Unit {
			t.Errorf("metric %s has unit %q, want %q", m.Name, m.Unit, want[m.Name])
		}
		if _, ok := top[m.Name].(float64); !ok {
			t.Errorf("metric %s has no numeric top-level value: %s", m.Name, raw)
		}
		delete(want, m.Name)
	}
	if len(want) != 0 {
		t.Errorf("metrics missing from the directive: %v", want)
	}
	if top["RunId"] != "r-1" || top["ObjectsCopied"] != 3.0 || top["BytesCopied"] != 4096.0 {
		t.Errorf("top-level fields: %s", raw)
	}
}

func TestDocumentRejectsWhatCloudWatchWouldDrop(t *testing.T) {
	many := make([]Value, maxMetrics+1)
	for i := range many {
		many[i] = Metric{Name: "M" + strings.Repeat("x", i), Unit: Count}.Of(1)
	}
	testCases := []struct {
		name   string
		props  map[string]any
		values []Value
	}{
		{"no values", nil, nil},
		{"too many values", nil, many},
		{"metric named twice", nil, []Value{FilesFailed.Of(1), FilesFailed.Of(2)}},
		{"property shadows a metric", map[string]any{"FilesFailed": "x"}, []Value{FilesFailed.Of(1)}},
		{"reserved property", map[string]any{"_aws": 1}, []Value{FilesFailed.Of(1)}},
		{"unnamed metric", nil, []Value{{Value: 1}}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			if doc, err := Document(time.Now(), tc.props, tc.values...); err == nil {
				t.Errorf("accepted: %s", doc)
			}
		})
	}
}

func TestEmitterWritesOneLinePerDocument(t *testing.T) {
	var buf bytes.Buffer
	e := NewEmitter(&buf)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := e.Emit(nil, RunsStarted.Of(1)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	for _, l := range lines {
		var doc emf
		if err := json.Unmarshal([]byte(l), &doc); err != nil || len(doc.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line is not an EMF document: %q (%v)", l, err)
		}
	}
}

func TestAllNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range All() {
		if m.Name == "" || m.Unit == "" || seen[m.Name] {
			t.Errorf("bad or duplicate metric %+v", m)
		}
		seen[m.Name] = true
	}
}
