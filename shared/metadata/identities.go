package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Identity bindings (PK USER#<user>, SK IDENTITY) hold the user pool sub
// each user name was first seen with (package access): the name is the
// user id, the sub tells a later user of the same name from the first.

const skIdentity = "IDENTITY"

func identityKey(user string) map[string]types.AttributeValue {
	return key(userPrefix+user, skIdentity)
}

type identityItem struct {
	PK, SK string
	Kind   string
	Sub    string
}

// BindUser binds user to sub unless user is bound already, and says
// whether user is (now) bound to sub. A first request of the user writes
// the binding; every later one reads it.
func (s *Store) BindUser(ctx context.Context, user, sub string) (bool, error) {
	var it identityItem
	err := s.getItem(ctx, identityKey(user), &it, errUnbound)
	if err == nil {
		return it.Sub == sub, nil
	}
	if !errors.Is(err, errUnbound) {
		return false, err
	}
	item := identityKey(user)
	item["Kind"] = &types.AttributeValueMemberS{Value: "Identity"}
	item["Sub"] = &types.AttributeValueMemberS{Value: sub}
	_, err = s.client.PutItem(ctx, putInput(s.putIf(item, itemAbsent())))
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) { // a concurrent first request: the binding it wrote decides
		return s.BindUser(ctx, user, sub)
	}
	if err != nil {
		return false, fmt.Errorf("bind user %s: %w", user, err)
	}
	return true, nil
}

// ReleaseUser removes user's binding, so that the next sub seen with the
// name is bound to it: for an operator who gives the name to a new user
// of the pool on purpose (the same person, a new account). It says whether
// there was a binding.
func (s *Store) ReleaseUser(ctx context.Context, user string) (bool, error) {
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: identityKey(user), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, fmt.Errorf("release user %s: %w", user, err)
	}
	return len(out.Attributes) > 0, nil
}

var errUnbound = errors.New("user not bound")

// putInput turns a transaction's Put into a PutItem request.
func putInput(p *types.Put) *dynamodb.PutItemInput {
	return &dynamodb.PutItemInput{
		TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues,
	}
}
