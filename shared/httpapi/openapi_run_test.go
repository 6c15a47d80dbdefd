package httpapi

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// The Run schema lists exactly the fields a run's record has in JSON, and
// says what each means: a counter added to run.Run and not described here
// fails.
func TestOpenAPIDescribesEveryFieldOfARun(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct{ Description string }
			}
		}
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	full := run.Run{Reason: "r", StartedAt: &now, FinishedAt: &now, Report: &run.Report{}, // every omitempty field present
		RestoreEstimateMicroUSD: 1, RestoresWithheld: "w", EventTasks: 1, LastEventAt: &now}
	raw, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["Run"].Properties
	var inJSON, documented []string
	for k := range fields {
		inJSON = append(inJSON, k)
	}
	for k, p := range props {
		documented = append(documented, k)
		if p.Description == "" {
			t.Errorf("Run.%s has no description", k)
		}
	}
	slices.Sort(inJSON)
	slices.Sort(documented)
	if !slices.Equal(inJSON, documented) {
		t.Errorf("a run's JSON has %v\nthe Run schema documents %v", inJSON, documented)
	}
}
