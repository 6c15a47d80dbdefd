package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
)

// The lease index: one item per dataset whose lease a run took, so that
// expired leases are found with one Query rather than a Scan. StartRun
// writes it in its transaction; ExpireLeases removes it once the lease is
// free again.
const (
	leaseIndexPK  = "LEASES"
	kindLeaseItem = "LeaseIndex"
)

// LeaseExpiredReason is why a run whose lease expired failed.
const LeaseExpiredReason = "the run stopped making progress: its lease on the dataset expired"

func leaseIndexKey(datasetID string) map[string]types.AttributeValue {
	return key(leaseIndexPK, datasetPrefix+datasetID)
}

type leaseEntry struct {
	DatasetId, RunId string
}

// leaseIndexPut records that runID took datasetID's lease.
func (s *Store) leaseIndexPut(datasetID, runID string) types.TransactWriteItem {
	item := leaseIndexKey(datasetID)
	item["Kind"] = &types.AttributeValueMemberS{Value: kindLeaseItem}
	item["DatasetId"] = &types.AttributeValueMemberS{Value: datasetID}
	item["RunId"] = &types.AttributeValueMemberS{Value: runID}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}
}

// leaseIndexDelete removes e, unless a newer run's StartRun replaced it.
func (s *Store) leaseIndexDelete(e leaseEntry) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: s.deleteIf(leaseIndexKey(e.DatasetId), expression.Name("RunId").Equal(expression.Value(e.RunId)))}
}

// leaseIndexQuery reads the whole lease index.
func leaseIndexQuery() expression.Builder {
	return expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(expression.Value(leaseIndexPK)))
}

// ActiveRun returns the id of the run that holds datasetID's lease, or "".
func (s *Store) ActiveRun(ctx context.Context, datasetID string) (string, error) {
	st, err := s.datasetState(ctx, datasetID)
	return st.ActiveRunId, err
}

// ExpireLeases ends every run whose lease had expired at now as failed
// (LeaseExpiredReason) and frees its dataset, without waiting for the
// dataset's next run; it returns the runs it ended. Each end is one
// conditional transaction, so a run that ended or renewed its lease
// meanwhile is left as it is, and sweeps running at once end a run once.
func (s *Store) ExpireLeases(ctx context.Context, now time.Time) ([]string, error) {
	entries, err := queryAll[leaseEntry](ctx, s.client, s.query(leaseIndexQuery()))
	if err != nil {
		return nil, fmt.Errorf("read the lease index: %w", err)
	}
	var ended []string
	for _, e := range entries {
		st, err := s.datasetState(ctx, e.DatasetId)
		if err != nil {
			return ended, err
		}
		switch {
		case st.ActiveRunId != e.RunId: // released (or taken by a run whose entry replaced this one)
			if err = s.transact(ctx, s.leaseIndexDelete(e)); len(canceledBy(err)) > 0 {
				err = nil // replaced or removed meanwhile
			}
		case st.LeaseExpiresAt < now.Unix():
			var done bool
			done, err = s.expireLease(ctx, e, now)
			if done {
				ended = append(ended, e.RunId)
			}
		}
		if err != nil {
			return ended, err
		}
	}
	return ended, nil
}

// expireLease fails e's run and frees its dataset if its lease is still
// expired; a run that already ended only has its lease freed. done says
// whether this call ended the run.
func (s *Store) expireLease(ctx context.Context, e leaseEntry, now time.Time) (done bool, err error) {
	release := types.TransactWriteItem{Update: s.updateIf(datasetStateKey(e.DatasetId),
		expression.Remove(expression.Name("ActiveRunId")).Remove(expression.Name("LeaseExpiresAt")),
		leaseHeldBy(e.RunId).And(leaseExpiredAt(now)))}
	err = s.transact(ctx, s.endRun(e.RunId, run.Failed, LeaseExpiredReason, now, nil), release, s.leaseIndexDelete(e))
	reasons := canceledBy(err)
	switch {
	case err == nil:
		return true, nil
	case len(reasons) > 1 && conditionFailed(reasons[1]), len(reasons) > 2 && conditionFailed(reasons[2]):
		return false, nil // renewed, released or taken over meanwhile: the next sweep looks again
	case len(reasons) > 0 && conditionFailed(reasons[0]): // the run ended, yet its lease stayed
		err = s.transact(ctx, release, s.leaseIndexDelete(e))
		if reasons := canceledBy(err); len(reasons) > 0 {
			return false, nil
		}
		return false, err
	}
	return false, fmt.Errorf("expire the lease of run %s: %w", e.RunId, err)
}

// transact writes items in one transaction.
func (s *Store) transact(ctx context.Context, items ...types.TransactWriteItem) error {
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}
