package metadata

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
)

// ListSkipped puts files among the run's skipped files (SKIPPED#<name>),
// which the planner skipped without sending them to the workers. A page
// planned again writes the same items over themselves; its save
// (SavePlanPage) counts them once.
func (s *Store) ListSkipped(ctx context.Context, runID string, files []run.FileOutcome) error {
	return s.listOutcomes(ctx, runID, skippedPrefix, files)
}

// ListRejected puts files among the run's failed files (FAILED#<name>):
// those that 1.6's check pass found in other storage classes, listed page
// by page, so that a check pass of many invocations lists them all. Like
// ListSkipped, it may write a page's files again; SavePlanPage counts them.
func (s *Store) ListRejected(ctx context.Context, runID string, files []run.FileOutcome) error {
	return s.listOutcomes(ctx, runID, failedPrefix, files)
}

// listOutcomes puts files in the run's list (skippedPrefix or failedPrefix).
func (s *Store) listOutcomes(ctx context.Context, runID, list string, files []run.FileOutcome) error {
	writes := make([]types.WriteRequest, 0, len(files))
	for _, f := range files {
		item, err := outcomeItem(runID, list, f, s.expiresAt())
		if err != nil {
			return fmt.Errorf("encode listed file of run %s: %w", runID, err)
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return s.batchWrite(ctx, writes)
}
