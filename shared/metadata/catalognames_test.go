package metadata

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// CatalogNames reads the versions of the names asked (a name twice, a
// name too long for a key, one never catalogued, one only ever skipped)
// and no other, against DynamoDB Local.
func TestCatalogNames(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	started := time.Now().UTC()
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: &started}
	long := strings.Repeat("d/", 600) + "x.csv"
	if _, err := s.CommitFiles(ctx, r, []run.FileResult{
		gateCopied(r, "a.csv", "a1"), gateCopied(r, "b.csv", "b1"), gateCopied(r, long, "l1"), gateSkipped("s.csv"),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CatalogNames(ctx, r.DatasetId, []string{"z.csv", long, "a.csv", "s.csv", "a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a.csv"].SourceETag != "a1" || got[long].SourceETag != "l1" {
		t.Fatalf("got %v, want a.csv and the long name only", got)
	}
}
