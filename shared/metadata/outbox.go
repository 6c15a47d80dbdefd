package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
)

// The run-event outbox: one item per run end not yet announced on the
// platform's bus (shared/runevents). Every transaction that ends a run
// (its final write: endRun) writes it, so a run end is announced even if
// its ender crashes right after; the ender publishes and deletes it, or
// else the periodic sweep does. A run ends once (its end is conditional),
// so it has at most one item, and an end that loses a race writes none.
const (
	outboxPK   = "OUTBOX"
	kindOutbox = "RunEventOutbox"
)

func outboxKey(runID string) map[string]types.AttributeValue {
	return key(outboxPK, runPrefix+runID)
}

// outboxEntry is an outbox item: the run whose end awaits announcing, the
// state it ended in and when (Unix seconds).
type outboxEntry struct {
	RunId   string
	State   run.State
	EndedAt int64
}

// outboxPut writes the outbox item of runID's end, in the ending transaction.
func (s *Store) outboxPut(runID string, state run.State, at time.Time) types.TransactWriteItem {
	item := outboxKey(runID)
	item["Kind"] = str(kindOutbox)
	item["RunId"] = str(runID)
	item["State"] = str(string(state))
	item["EndedAt"] = number(at.Unix())
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}
}

// PendingRunEnd reads runID's outbox item and its run record in one
// request: pending says whether the run's end awaits announcing, r is the
// run (a run.NotFound error when its record is gone or expired).
func (s *Store) PendingRunEnd(ctx context.Context, runID string) (r run.Run, pending bool, err error) {
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{outboxKey(runID), runKey(runID)})
	if err != nil {
		return run.Run{}, false, fmt.Errorf("read the outbox item of run %s: %w", runID, err)
	}
	found := false
	for _, it := range items {
		if pk, _ := it[attrPK].(*types.AttributeValueMemberS); pk != nil && pk.Value == outboxPK {
			pending = true
			continue
		}
		var ri runItem
		if err := attributevalue.UnmarshalMap(it, &ri); err != nil {
			return run.Run{}, false, fmt.Errorf("decode run %s: %w", runID, err)
		}
		r, found = ri.Run, !s.expired(ri.ExpiresAt)
	}
	if !found {
		return run.Run{}, pending, run.NotFound(runID)
	}
	return r, pending, nil
}

// PendingRunEvents returns the runs whose ends are in the outbox since
// before before (their enders should have published them by then).
func (s *Store) PendingRunEvents(ctx context.Context, before time.Time) ([]string, error) {
	b := expression.NewBuilder().WithKeyCondition(sortKeyPrefix(outboxPK, runPrefix)).
		WithFilter(expression.Name("EndedAt").LessThan(expression.Value(before.Unix())))
	entries, err := queryAll[outboxEntry](ctx, s.client, s.query(b))
	if err != nil {
		return nil, fmt.Errorf("read the run-event outbox: %w", err)
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.RunId
	}
	return ids, nil
}

// RunEventPublished removes runID's end from the outbox, once its event is
// on the bus.
func (s *Store) RunEventPublished(ctx context.Context, runID string) error {
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: outboxKey(runID)}); err != nil {
		return fmt.Errorf("delete the outbox item of run %s: %w", runID, err)
	}
	return nil
}
