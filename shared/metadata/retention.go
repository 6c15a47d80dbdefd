package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Run records expire: a run, its index entry, its counters and its skipped
// and failed file lists carry AttrExpiresAt, the table's time-to-live
// attribute, set when each is written to that time plus the retention. The
// run and its index entry are written first, so they go first, and with
// them every way to reach the rest. DynamoDB deletes expired items late
// (within days), so reads leave out what is past its expiry. Catalog
// entries, gate-only ones included, never carry it: they are the
// exactly-once gate of every file's outcome, and a gate that expired would
// let a late duplicate of an old run commit again.
const (
	// AttrExpiresAt is the table's TTL attribute, in Unix seconds.
	AttrExpiresAt = "ExpiresAt"
	// DefaultRunRetentionDays is how long run records are kept when the
	// setting (RUN_RETENTION_DAYS) is unset.
	DefaultRunRetentionDays = 90
)

// WithRunRetention makes s write run items that expire days days after
// they are written; days <= 0 means DefaultRunRetentionDays.
func (s *Store) WithRunRetention(days int) *Store {
	if days <= 0 {
		days = DefaultRunRetentionDays
	}
	s.retention = time.Duration(days) * 24 * time.Hour
	return s
}

// now is the store's clock: time.Now, or the one a test set.
func (s *Store) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// expiry is the expiry of a run item written now, in Unix seconds.
func (s *Store) expiry() int64 { return s.now().Add(s.retentionOrDefault()).Unix() }

// expiresAt is expiry as an attribute value.
func (s *Store) expiresAt() types.AttributeValue { return number(s.expiry()) }

// expired says whether an item whose AttrExpiresAt is at (0: none) is past
// its expiry, as DynamoDB's TTL sees it: at is before now.
func (s *Store) expired(at int64) bool { return at != 0 && at < s.now().Unix() }

// unexpired holds for items without an expiry or whose expiry has not
// passed: the filter of queries over run items.
func (s *Store) unexpired() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(AttrExpiresAt)).
		Or(expression.Name(AttrExpiresAt).GreaterThanEqual(expression.Value(s.now().Unix())))
}

// runGone says whether run runID's item is no longer in the table (TTL
// deleted it): ending it would create a fragment of it instead.
func (s *Store) runGone(ctx context.Context, runID string) (bool, error) {
	p := build(expression.NewBuilder().WithProjection(expression.NamesList(expression.Name(attrPK))))
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: runKey(runID), ConsistentRead: aws.Bool(true),
		ProjectionExpression: p.Projection(), ExpressionAttributeNames: p.Names(),
	})
	if err != nil {
		return false, fmt.Errorf("read run %s: %w", runID, err)
	}
	return out.Item == nil, nil
}

// ensureTimeToLive turns on table's time to live on AttrExpiresAt unless it
// is on: UpdateTimeToLive refuses to turn it on twice.
func ensureTimeToLive(ctx context.Context, client *dynamodb.Client, table string) error {
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return fmt.Errorf("read time to live of table %s: %w", table, err)
	}
	if d := out.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == AttrExpiresAt &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &table, TimeToLiveSpecification: &types.TimeToLiveSpecification{
		AttributeName: aws.String(AttrExpiresAt), Enabled: aws.Bool(true),
	}})
	if err != nil {
		return fmt.Errorf("turn on time to live of table %s: %w", table, err)
	}
	return nil
}
