package metadata

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Every expression of the store (conditions, updates, key conditions,
// filters, projections) is composed with feature/dynamodb/expression,
// which gives each attribute name and value a placeholder of its own
// (#0, :0, …): no expression here spells a placeholder or can trip on a
// reserved word, and none is edited once built; a write of two shapes
// builds the one it needs.

// build builds b. Build fails only on a builder left empty or misused, or
// on a value attributevalue cannot marshal. The store's expressions have
// fixed shapes over constant names and values that are strings, numbers,
// booleans and times, so a failure is a programming error that every test
// of the write finds: build panics, as regexp.MustCompile does.
func build(b expression.Builder) expression.Expression {
	e, err := b.Build()
	if err != nil {
		panic(fmt.Sprintf("metadata: build a DynamoDB expression: %v", err))
	}
	return e
}

// putNew puts item if there is no item at its key yet.
func (s *Store) putNew(item map[string]types.AttributeValue) *types.Put {
	return s.putIf(item, itemAbsent())
}

// putIf puts item if cond holds for the item at its key.
func (s *Store) putIf(item map[string]types.AttributeValue, cond expression.ConditionBuilder) *types.Put {
	return s.putWith(item, build(expression.NewBuilder().WithCondition(cond)))
}

// putWith puts item if e's condition holds for the item at its key.
func (s *Store) putWith(item map[string]types.AttributeValue, e expression.Expression) *types.Put {
	return &types.Put{
		TableName: &s.table, Item: item, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

// deleteIf deletes the item at k if cond holds for it.
func (s *Store) deleteIf(k map[string]types.AttributeValue, cond expression.ConditionBuilder) *types.Delete {
	e := build(expression.NewBuilder().WithCondition(cond))
	return &types.Delete{
		TableName: &s.table, Key: k, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

// check requires cond of the item at k, in a transaction.
func (s *Store) check(k map[string]types.AttributeValue, cond expression.ConditionBuilder) *types.ConditionCheck {
	e := build(expression.NewBuilder().WithCondition(cond))
	return &types.ConditionCheck{
		TableName: &s.table, Key: k, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

// update applies u to the item at k, creating it if absent.
func (s *Store) update(k map[string]types.AttributeValue, u expression.UpdateBuilder) *types.Update {
	return s.updateWith(k, build(expression.NewBuilder().WithUpdate(u)))
}

// updateIf applies u to the item at k if cond holds for it.
func (s *Store) updateIf(k map[string]types.AttributeValue, u expression.UpdateBuilder, cond expression.ConditionBuilder) *types.Update {
	return s.updateWith(k, build(expression.NewBuilder().WithUpdate(u).WithCondition(cond)))
}

// updateWith is the update of the item at k that e (an update and maybe a
// condition) describes.
func (s *Store) updateWith(k map[string]types.AttributeValue, e expression.Expression) *types.Update {
	return &types.Update{
		TableName: &s.table, Key: k, UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

// updateItemIf applies u to the item at k if cond holds for it, in a
// request of its own answered with ret.
func (s *Store) updateItemIf(ctx context.Context, k map[string]types.AttributeValue, u expression.UpdateBuilder,
	cond expression.ConditionBuilder, ret types.ReturnValue) (*dynamodb.UpdateItemOutput, error) {
	e := build(expression.NewBuilder().WithUpdate(u).WithCondition(cond))
	return s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ReturnValues: ret,
	})
}

// query is the Query that b (a key condition, maybe a filter and a
// projection) describes; the caller sets its paging and consistency.
func (s *Store) query(b expression.Builder) *dynamodb.QueryInput {
	e := build(b)
	return &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

// sortKeyPrefix selects the items of partition pk whose sort key begins
// with prefix.
func sortKeyPrefix(pk, prefix string) expression.KeyConditionBuilder {
	return expression.Key(attrPK).Equal(expression.Value(pk)).And(expression.Key(attrSK).BeginsWith(prefix))
}

// itemAbsent holds where there is no item (a condition on an absent item
// sees none of its attributes).
func itemAbsent() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(attrPK))
}

// itemExists holds where there is an item.
func itemExists() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(attrPK))
}

// atRevision holds while the item's Revision is still rev.
func atRevision(rev int64) expression.ConditionBuilder {
	return expression.Name("Revision").Equal(expression.Value(rev))
}

// noneCounted holds while the counter attribute is absent or 0.
func noneCounted(counter string) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(counter)).Or(expression.Name(counter).Equal(expression.Value(0)))
}
