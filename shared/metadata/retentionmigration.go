package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
)

// MigrateRunRetention gives the run items written before runs expired
// (without AttrExpiresAt) the expiry they would have had: their run's
// start, from its time-ordered id (UUIDv7), plus the store's retention;
// the upgrade's time plus the retention for an id without a time. Runs
// older than the retention are then past their expiry: reads leave them out
// at once, and TTL deletes them. Items that have an expiry are left alone,
// so it can run again. With dryRun it counts and writes nothing.
func (s *Store) MigrateRunRetention(ctx context.Context, dryRun bool) (int, error) {
	runItems := expression.Name(attrPK).BeginsWith(runPrefix).
		Or(expression.Name(attrPK).BeginsWith(schedulePrefix).And(expression.Name(attrSK).BeginsWith(runPrefix)))
	e := build(expression.NewBuilder().
		WithFilter(expression.AttributeNotExists(expression.Name(AttrExpiresAt)).And(runItems)).
		WithProjection(expression.NamesList(expression.Name(attrPK), expression.Name(attrSK))))
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName: &s.table, FilterExpression: e.Filter(), ProjectionExpression: e.Projection(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("scan run items: %w", err)
		}
		for _, it := range page.Items {
			if !dryRun {
				if err := s.setExpiry(ctx, it); err != nil {
					return n, err
				}
			}
			n++
		}
	}
	return n, nil
}

// setExpiry sets the expiry of the run item k (its key: the scan projects
// only PK and SK) if it still has none, never creating an item that TTL
// deleted meanwhile.
func (s *Store) setExpiry(ctx context.Context, k map[string]types.AttributeValue) error {
	pk, _ := k[attrPK].(*types.AttributeValueMemberS)
	sk, _ := k[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return fmt.Errorf("run item without a key: %v", k)
	}
	runID := strings.TrimPrefix(pk.Value, runPrefix)
	if strings.HasPrefix(pk.Value, schedulePrefix) { // the index entry: SCHEDULE#<id> / RUN#<runId>
		runID = strings.TrimPrefix(sk.Value, runPrefix)
	}
	expires := runStart(runID, s.now()).Add(s.retentionOrDefault()).Unix()
	cond := itemExists().And(expression.AttributeNotExists(expression.Name(AttrExpiresAt)))
	_, err := s.updateItemIf(ctx, k, expression.Set(expression.Name(AttrExpiresAt), expression.Value(expires)), cond, types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("set expiry of %s: %w", keyString(k), err)
	}
	return nil
}

// runStart is when run runID was created, from its UUIDv7; otherwise now.
func runStart(runID string, now time.Time) time.Time {
	id, err := uuid.Parse(runID)
	if err != nil || id.Version() != 7 {
		return now
	}
	sec, nsec := id.Time().UnixTime()
	return time.Unix(sec, nsec)
}

func (s *Store) retentionOrDefault() time.Duration {
	if s.retention > 0 {
		return s.retention
	}
	return DefaultRunRetentionDays * 24 * time.Hour
}
