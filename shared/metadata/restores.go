package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Pending restores: what the platform waits for to ingest the archived
// files of datasets that restore them.
//
//	pending restore   RESTORES#<datasetId>   FILE#<name>          one per restoring file: GET /datasets/{id}/restores
//	restore follow-up RESTORES               DATASET#<datasetId>  ScheduleId, Due<class>: when the sweep starts a run
//
// A file's commit as restoring writes both, in its transaction: the
// follow-up's due time of the file's class is kept if set (the earliest
// restore of a class and tier is the first done). A file copied from a
// restored copy deletes its pending restore in its commit. The sweep
// starts a follow-up run when a due time has passed and then clears it;
// a file still restoring in that run sets it again.
const (
	restoresPrefix     = "RESTORES#"
	followUpPK         = "RESTORES"
	kindPendingItem    = "PendingRestore"
	kindFollowUpItem   = "RestoreFollowUp"
	pendingRetention   = 60 * 24 * time.Hour // far past any restore (48 h) and its copy (30 days)
	dueAttributePrefix = "Due"
)

func pendingKey(datasetID, name string) map[string]types.AttributeValue {
	return key(restoresPrefix+datasetID, filePrefix+fileNameKey(name))
}

func followUpKey(datasetID string) map[string]types.AttributeValue {
	return key(followUpPK, datasetPrefix+datasetID)
}

// restoreItems are the writes of a commit's restores: each restoring
// file's pending restore and, once, its dataset's follow-up; each file
// copied from a restored copy ends its pending restore.
func (s *Store) restoreItems(r run.Run, results []run.FileResult) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	due := map[string]time.Time{}
	for _, res := range results {
		switch {
		case res.Restore != nil:
			items = append(items, types.TransactWriteItem{Update: s.update(pendingKey(r.DatasetId, res.Name), pendingUpdate(*res.Restore))})
			if t, ok := due[res.Restore.StorageClass]; !ok || res.Restore.ReadyAt.Before(t) {
				due[res.Restore.StorageClass] = res.Restore.ReadyAt
			}
		case res.EndsRestore:
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: pendingKey(r.DatasetId, res.Name)}})
		}
	}
	if len(due) > 0 {
		up := expression.Set(expression.Name("Kind"), expression.Value(kindFollowUpItem)).
			Set(expression.Name("DatasetId"), expression.Value(r.DatasetId)).
			Set(expression.Name("ScheduleId"), expression.Value(r.ScheduleId))
		for class, at := range due {
			name := expression.Name(dueAttributePrefix + class)
			up = up.Set(name, expression.IfNotExists(name, expression.Value(at.UTC())))
		}
		items = append(items, types.TransactWriteItem{Update: s.update(followUpKey(r.DatasetId), up)})
	}
	return items
}

// pendingUpdate records p, keeping when its restore was first requested.
func pendingUpdate(p dataset.PendingRestore) expression.UpdateBuilder {
	up := expression.Set(expression.Name("Kind"), expression.Value(kindPendingItem)).
		Set(expression.Name("Name"), expression.Value(p.Name)).
		Set(expression.Name("SourceKey"), expression.Value(p.SourceKey)).
		Set(expression.Name("StorageClass"), expression.Value(p.StorageClass)).
		Set(expression.Name("Tier"), expression.Value(p.Tier)).
		Set(expression.Name("Size"), expression.Value(p.Size)).
		Set(expression.Name("ReadyAt"), expression.Value(p.ReadyAt.UTC())).
		Set(expression.Name(AttrExpiresAt), expression.Value(p.ReadyAt.Add(pendingRetention).Unix()))
	if p.RequestedAt != nil {
		name := expression.Name("RequestedAt")
		up = up.Set(name, expression.IfNotExists(name, expression.Value(p.RequestedAt.UTC())))
	}
	return up
}

// restoreItemsOf is how many items restoreItems writes for res (the
// follow-up is counted apart, once per transaction).
func restoreItemsOf(res run.FileResult) int {
	if res.Restore != nil || res.EndsRestore {
		return 1
	}
	return 0
}

// PendingRestore reads a file's pending restore (nil if none).
func (s *Store) PendingRestore(ctx context.Context, datasetID, name string) (*dataset.PendingRestore, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: pendingKey(datasetID, name), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return nil, err
	}
	var p dataset.PendingRestore
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return nil, fmt.Errorf("decode the pending restore of %s: %w", name, err)
	}
	return &p, nil
}

// ListRestores pages through a dataset's pending restores by name.
func (s *Store) ListRestores(ctx context.Context, datasetID string, limit int, next string) ([]dataset.PendingRestore, string, error) {
	pk := restoresPrefix + datasetID
	start, err := decodeNext(pk, next, filePrefix)
	if err != nil {
		return nil, "", err
	}
	n := int(pageSize(limit))
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(pk, filePrefix)))
	in.ExclusiveStartKey, in.Limit = start, aws.Int32(int32(n+1))
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list restores of dataset %s: %w", datasetID, err)
	}
	items, token := pageEnd(out.Items, out.LastEvaluatedKey, n)
	pending := []dataset.PendingRestore{}
	if err := attributevalue.UnmarshalListOfMaps(items, &pending); err != nil {
		return nil, "", fmt.Errorf("decode restores of dataset %s: %w", datasetID, err)
	}
	return pending, token, nil
}

// DueFollowUps returns the follow-ups with a due time at or before now.
func (s *Store) DueFollowUps(ctx context.Context, now time.Time) ([]run.FollowUp, error) {
	in := s.query(expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(expression.Value(followUpPK))))
	in.ConsistentRead = aws.Bool(true)
	var items []map[string]types.AttributeValue
	for pages := dynamodb.NewQueryPaginator(s.client, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read restore follow-ups: %w", err)
		}
		items = append(items, page.Items...)
	}
	var due []run.FollowUp
	for _, it := range items {
		f := run.FollowUp{Due: map[string]time.Time{}}
		if err := attributevalue.UnmarshalMap(it, &f); err != nil {
			return nil, fmt.Errorf("decode a restore follow-up: %w", err)
		}
		ready := false
		for name, v := range it {
			class, ok := strings.CutPrefix(name, dueAttributePrefix)
			var at time.Time
			if !ok || attributevalue.Unmarshal(v, &at) != nil {
				continue
			}
			f.Due[class], ready = at, ready || !at.After(now)
		}
		if ready {
			due = append(due, f)
		}
	}
	return due, nil
}

// FollowedUp clears the due times of f that have passed by now, unless a
// commit changed them since f was read; a run was started for them.
func (s *Store) FollowedUp(ctx context.Context, f run.FollowUp, now time.Time) error {
	var up expression.UpdateBuilder
	var cond expression.ConditionBuilder
	n := 0
	for class, at := range f.Due {
		if at.After(now) {
			continue
		}
		name := expression.Name(dueAttributePrefix + class)
		up = up.Remove(name)
		if c := name.Equal(expression.Value(at.UTC())); n == 0 {
			cond = c
		} else {
			cond = cond.And(c)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	_, err := s.updateItemIf(ctx, followUpKey(f.DatasetId), up, cond, types.ReturnValueNone)
	var changed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &changed) {
		return fmt.Errorf("clear the restore follow-up of dataset %s: %w", f.DatasetId, err)
	}
	return nil
}

// DropFollowUp forgets a dataset's follow-up whose schedule or dataset
// is gone: no run can be started for it.
func (s *Store) DropFollowUp(ctx context.Context, datasetID string) error {
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: followUpKey(datasetID)}); err != nil {
		return fmt.Errorf("drop the restore follow-up of dataset %s: %w", datasetID, err)
	}
	return nil
}
