// Package metrics names the platform's CloudWatch metrics and writes them in
// CloudWatch Embedded Metric Format (EMF): one JSON document per line of the
// function's log, from which CloudWatch Logs extracts the metrics, so
// publishing a metric costs no API call. The CDK stack's dashboard and alarms
// read the same names from here, so the two cannot drift.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace holds every metric of the platform.
const Namespace = "S3Connections"

// Unit is a CloudWatch metric unit.
type Unit string

// The units the platform's metrics use.
const (
	Count        Unit = "Count"
	Bytes        Unit = "Bytes"
	Milliseconds Unit = "Milliseconds"
)

// Metric is the definition of one metric: its name and unit.
type Metric struct {
	Name string
	Unit Unit
}

// The platform's metrics. They carry no dimensions, so the dashboard shows
// the whole platform of one account and region.
var (
	RunsStarted              = Metric{"RunsStarted", Count}
	RunsSucceeded            = Metric{"RunsSucceeded", Count}
	RunsFailed               = Metric{"RunsFailed", Count}
	ObjectsListed            = Metric{"ObjectsListed", Count}
	ObjectsCopied            = Metric{"ObjectsCopied", Count}
	BytesCopied              = Metric{"BytesCopied", Bytes}
	FilesSkippedUnchanged    = Metric{"FilesSkippedUnchanged", Count}
	FilesSkippedStorageClass = Metric{"FilesSkippedStorageClass", Count}
	FilesSkippedUnsafeKey    = Metric{"FilesSkippedUnsafeKey", Count}
	FilesFailed              = Metric{"FilesFailed", Count}
	// EventsAccepted and EventsDropped count the sources' S3 events the
	// events function turned into copy tasks, and those it refused.
	EventsAccepted = Metric{"EventsAccepted", Count}
	EventsDropped  = Metric{"EventsDropped", Count}
)

// All lists every metric of the platform.
func All() []Metric {
	return []Metric{
		RunsStarted, RunsSucceeded, RunsFailed, ObjectsListed, ObjectsCopied, BytesCopied,
		FilesSkippedUnchanged, FilesSkippedStorageClass, FilesSkippedUnsafeKey, FilesFailed, EventsAccepted, EventsDropped,
	}
}

// Value is one observation of a metric.
type Value struct {
	Metric
	Value float64
}

// Of returns an observation of m.
func (m Metric) Of(v float64) Value { return Value{Metric: m, Value: v} }

// maxMetrics is EMF's limit of metrics in one document.
const maxMetrics = 100

// Document returns the EMF document of values observed at t, with
// properties (e.g. the RunId) as extra top-level fields that make the log
// line searchable but are not dimensions. It fails on an empty or oversized
// list, a metric named twice, or a property that shadows a metric.
func Document(t time.Time, properties map[string]any, values ...Value) ([]byte, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("metrics: no values")
	}
	if len(values) > maxMetrics {
		return nil, fmt.Errorf("metrics: %d values, EMF allows %d per document", len(values), maxMetrics)
	}
	doc := make(map[string]any, len(values)+len(properties)+1)
	for k, v := range properties {
		if k == "_aws" {
			return nil, fmt.Errorf("metrics: property %q is reserved", k)
		}
		doc[k] = v
	}
	defs := make([]metricDef, 0, len(values))
	for _, v := range values {
		if v.Name == "" {
			return nil, fmt.Errorf("metrics: a value has no metric name")
		}
		if _, dup := doc[v.Name]; dup {
			return nil, fmt.Errorf("metrics: %q is named twice (as a metric or a property)", v.Name)
		}
		doc[v.Name] = v.Value
		defs = append(defs, metricDef{Name: v.Name, Unit: v.Unit})
	}
	doc["_aws"] = metadata{
		Timestamp: t.UnixMilli(),
		CloudWatchMetrics: []directive{{
			Namespace:  Namespace,
			Dimensions: [][]string{{}},
			Metrics:    defs,
		}},
	}
	return json.Marshal(doc)
}

type metadata struct {
	Timestamp         int64
	CloudWatchMetrics []directive
}

type directive struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []metricDef
}

type metricDef struct {
	Name string
	Unit Unit `json:",omitempty"`
}

// Emitter writes EMF documents to a writer, one per line: on Lambda, the
// function's standard output. Safe for concurrent use.
type Emitter struct {
	w   io.Writer
	now func() time.Time
	mu  sync.Mutex
}

// NewEmitter returns an emitter writing to w (os.Stdout on Lambda).
func NewEmitter(w io.Writer) *Emitter { return &Emitter{w: w, now: time.Now} }

// Emit writes one document holding values and properties.
func (e *Emitter) Emit(properties map[string]any, values ...Value) error {
	doc, err := Document(e.now(), properties, values...)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(append(doc, '\n')); err != nil {
		return fmt.Errorf("metrics: write: %w", err)
	}
	return nil
}
