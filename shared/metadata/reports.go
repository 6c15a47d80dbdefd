package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
)

// SetRunReport names the assembled report of an ended run on its record
// (Report), where GET /runs/{runId}/report and the run's event find it.
// Assembling twice writes the same report: the last write wins, harmlessly.
// A record that is gone (expired) is a run.NotFound error.
func (s *Store) SetRunReport(ctx context.Context, runID string, rep run.Report) error {
	v, err := attributevalue.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode the report of run %s: %w", runID, err)
	}
	_, err = s.updateItemIf(ctx, runKey(runID), expression.Set(expression.Name("Report"), expression.Value(v)), itemExists(), types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return run.NotFound(runID)
	}
	if err != nil {
		return fmt.Errorf("record the report of run %s: %w", runID, err)
	}
	return nil
}
