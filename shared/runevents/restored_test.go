package runevents

import (
	"testing"

	"github.com/datalake-platform/s3connections/shared/run"
)

// A run that copied restored files announces it after its end, with its
// own stable id and the schema's members; a run that did not, only ends.
func TestArchivedFilesRestored(t *testing.T) {
	r := ended(run.Succeeded, "")
	if es, err := BuildAll(r); err != nil || len(es) != 1 || es[0].DetailType != DetailTypeSucceeded {
		t.Fatalf("a run without restored files: %+v, %v", es, err)
	}
	r.Trigger, r.Restored, r.Restoring, r.Copied = run.RestoreFollowUp, 2, 1, 2
	es, err := BuildAll(r)
	if err != nil || len(es) != 2 || es[0].DetailType != DetailTypeSucceeded || es[1].DetailType != DetailTypeRestored || !es[1].Time.Equal(es[0].Time) {
		t.Fatalf("a run with restored files: %+v, %v", es, err)
	}
	d := detailOf(t, es[1])
	if d["EventId"] != r.RunId+":restored" || d["Restored"] != float64(2) || d["Restoring"] != float64(1) || d["Trigger"] != "restore_follow_up" {
		t.Errorf("detail %v", d)
	}
	required, props := schemaOf(t, "ArchivedFilesRestored")
	for _, name := range required {
		if _, ok := d[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	for name := range d {
		if _, ok := props[name]; !ok {
			t.Errorf("%s is not in the schema", name)
		}
	}
}
