package metadata

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

// The event index: one item per event-driven dataset under its source
// bucket, EVENTBUCKET#<bucket> / DATASET#<id>, written in the dataset's
// create, update and delete transactions, so that the events function
// finds the datasets an S3 event may feed with one Query.
const eventBucketPrefix = "EVENTBUCKET#"

type eventIndexEntry struct {
	DatasetId, ConnectionId string
}

// eventIndexWrites keeps the index in step when a dataset goes from old
// to updated (nil: created, or deleted).
func (s *Store) eventIndexWrites(old, updated *dataset.Dataset) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	if old != nil && old.EventBucket != "" && (updated == nil || updated.EventBucket != old.EventBucket) {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table,
			Key: key(eventBucketPrefix+old.EventBucket, datasetPrefix+old.DatasetId)}})
	}
	if updated != nil && updated.EventBucket != "" {
		item := key(eventBucketPrefix+updated.EventBucket, datasetPrefix+updated.DatasetId)
		item["Kind"], item["DatasetId"], item["ConnectionId"] = str("EventIndex"), str(updated.DatasetId), str(updated.ConnectionId)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	}
	return items
}

// EventDatasets returns the ids of the event-driven datasets whose source
// is bucket.
func (s *Store) EventDatasets(ctx context.Context, bucket string) ([]string, error) {
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(eventBucketPrefix+bucket, datasetPrefix)))
	entries, err := queryAll[eventIndexEntry](ctx, s.client, in)
	if err != nil {
		return nil, fmt.Errorf("read the event datasets of bucket %s: %w", bucket, err)
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.DatasetId
	}
	return ids, nil
}
