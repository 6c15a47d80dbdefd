package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// Owned counters (PK USER#<user>, SK OWNED) hold how many connections,
// datasets and schedules the user owns (created), one attribute per kind
// (quota.Kind.Counter). A create adds one in its own transaction on the
// condition that the count is below the limit, a delete takes one off in
// its own, so concurrent creates cannot overshoot the quota.
//
// A counter starts at the user's first create or delete of the kind
// (ensureOwned): the store then counts what the user owns (their access
// entries of the kind, whose items name CreatedBy) and writes that number
// if the counter is still absent. Every create and delete goes through
// ensureOwned first, and their writes require the counter to exist, so a
// count that raced with one of them loses to the counter it wrote.

const skOwned = "OWNED"

func ownedKey(user string) map[string]types.AttributeValue { return key(userPrefix+user, skOwned) }

// WithLimits sets the per-user quotas the store enforces (zero: the defaults).
func (s *Store) WithLimits(l quota.Limits) *Store {
	s.limits = l
	return s
}

// ownedItems are the access prefix and item key of kind k.
func ownedItems(k quota.Kind) (string, func(string) map[string]types.AttributeValue) {
	switch k {
	case quota.Connections:
		return connectionPrefix, connectionKey
	case quota.Datasets:
		return datasetPrefix, datasetKey
	}
	return schedulePrefix, scheduleKey
}

// claimOwned counts one more of kind k for user, if below the limit: the
// condition is quota.Limits.Allows, checked by DynamoDB in the transaction.
func (s *Store) claimOwned(user string, k quota.Kind) types.TransactWriteItem {
	return types.TransactWriteItem{Update: s.updateIf(ownedKey(user),
		expression.Add(expression.Name(k.Counter), expression.Value(1)).Set(expression.Name("Kind"), expression.Value("OwnedCounts")),
		expression.Name(k.Counter).LessThan(expression.Value(s.limits.Of(k))))}
}

// releaseOwned counts one fewer of kind k for user; the counter must exist
// (ensureOwned), else the delete fails rather than start it below zero.
func (s *Store) releaseOwned(user string, k quota.Kind) types.TransactWriteItem {
	return types.TransactWriteItem{Update: s.updateIf(ownedKey(user),
		expression.Add(expression.Name(k.Counter), expression.Value(-1)),
		expression.AttributeExists(expression.Name(k.Counter)))}
}

// ensureOwned starts user's counter of kind k, if absent, at what they own.
func (s *Store) ensureOwned(ctx context.Context, user string, k quota.Kind) error {
	e := build(expression.NewBuilder().WithProjection(expression.NamesList(expression.Name(k.Counter))))
	got, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: ownedKey(user), ConsistentRead: aws.Bool(true),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(),
	})
	if err != nil {
		return fmt.Errorf("read owned %s of %s: %w", k.Name, user, err)
	}
	if _, ok := got.Item[k.Counter]; ok {
		return nil
	}
	n, err := s.countOwned(ctx, user, k)
	if err != nil {
		return err
	}
	_, err = s.updateItemIf(ctx, ownedKey(user),
		expression.Set(expression.Name(k.Counter), expression.Value(n)).Set(expression.Name("Kind"), expression.Value("OwnedCounts")),
		expression.AttributeNotExists(expression.Name(k.Counter)), types.ReturnValueNone)
	var started *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &started) { // started: another request wrote it first
		return fmt.Errorf("start owned %s of %s: %w", k.Name, user, err)
	}
	return nil
}

// countOwned counts the items of kind k that user created, among those
// their access entries name (an owner always has one).
func (s *Store) countOwned(ctx context.Context, user string, k quota.Kind) (int64, error) {
	prefix, keyOf := ownedItems(k)
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(userPrefix+user, prefix)).
		WithProjection(expression.NamesList(expression.Name(attrSK))))
	in.ConsistentRead = aws.Bool(true)
	entries, err := queryAll[struct{ SK string }](ctx, s.client, in)
	if err != nil {
		return 0, fmt.Errorf("count owned %s of %s: %w", k.Name, user, err)
	}
	keys := make([]map[string]types.AttributeValue, len(entries))
	for i, e := range entries {
		keys[i] = keyOf(e.SK[len(prefix):])
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("count owned %s of %s: %w", k.Name, user, err)
	}
	var n int64
	for _, it := range items {
		if by, ok := it["CreatedBy"].(*types.AttributeValueMemberS); ok && by.Value == user {
			n++
		}
	}
	return n, nil
}
