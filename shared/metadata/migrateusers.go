package metadata

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// UsersMigrated counts what MigrateUsers changed.
type UsersMigrated struct {
	Items   int // resources, runs and name claims whose users were renamed
	Entries int // access entries and owned counters moved to the user name
	Bound   int // user names bound to their sub
	Taken   int // user names already bound to another sub: left as they are
}

// userAttrs are the attributes that hold user ids: the owner, who started a
// run, a retired name's former owner, and the access lists.
var userAttrs = []string{"CreatedBy", "TriggeredBy", "FormerOwner", "AuthorizedUsers"}

// MigrateUsers moves the records written when user ids were the pool's
// subs onto user names: names maps each sub to its user's name (the pool's
// ListUsers). Every user attribute holding a listed sub gets the name,
// every access entry and owned counter under USER#<sub> moves to
// USER#<name> (a counter adds to one the name may already have), and
// every name is bound to its sub. It scans the table, for operators' tools
// only (infra/cmd/migrate-users). Each item moves in one conditional write
// or transaction, so a failure leaves every item either moved or not and
// a second run finishes the work: it is idempotent.
func (s *Store) MigrateUsers(ctx context.Context, names map[string]string) (UsersMigrated, error) {
	var m UsersMigrated
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{TableName: &s.table, ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return m, fmt.Errorf("scan: %w", err)
		}
		for _, item := range page.Items {
			if err := s.migrateItem(ctx, item, names, &m); err != nil {
				return m, err
			}
		}
	}
	for sub, name := range names {
		ok, err := s.BindUser(ctx, name, sub)
		if err != nil {
			return m, err
		}
		if ok {
			m.Bound++
		} else {
			m.Taken++
		}
	}
	return m, nil
}

func (s *Store) migrateItem(ctx context.Context, item map[string]types.AttributeValue, names map[string]string, m *UsersMigrated) error {
	pk, _ := item[attrPK].(*types.AttributeValueMemberS)
	sk, _ := item[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return nil
	}
	if sub, ok := strings.CutPrefix(pk.Value, userPrefix); ok {
		name, listed := names[sub]
		if !listed || sk.Value == skIdentity {
			return nil
		}
		m.Entries++
		return s.moveUserItem(ctx, item, name, sk.Value == skOwned)
	}
	update, cond, changed := renameUsers(item, names)
	if !changed {
		return nil
	}
	if _, err := s.updateItemIf(ctx, key(pk.Value, sk.Value), update, cond, types.ReturnValueNone); err != nil {
		var moved *types.ConditionalCheckFailedException
		if errors.As(err, &moved) {
			return nil // changed since the scan read it: by the API, which writes names
		}
		return fmt.Errorf("migrate users of %s %s: %w", pk.Value, sk.Value, err)
	}
	m.Items++
	return nil
}

// renameUsers returns the update that gives item's user attributes the
// names of their subs, on the condition that they still hold the subs
// (and that its Revision, where it has one, is unchanged and then bumped,
// so a write of the item read before the migration fails as a concurrent
// change would, rather than bring the subs back).
func renameUsers(item map[string]types.AttributeValue, names map[string]string) (expression.UpdateBuilder, expression.ConditionBuilder, bool) {
	var u expression.UpdateBuilder
	cond := itemExists()
	changed := false
	for _, attr := range userAttrs {
		switch v := item[attr].(type) {
		case *types.AttributeValueMemberS:
			if name, ok := names[v.Value]; ok {
				u, changed = u.Set(expression.Name(attr), expression.Value(name)), true
				cond = cond.And(expression.Name(attr).Equal(expression.Value(v.Value)))
			}
		case *types.AttributeValueMemberL:
			if before, renamed, ok := renameList(v.Value, names); ok {
				u, changed = u.Set(expression.Name(attr), expression.Value(renamed)), true
				cond = cond.And(expression.Name(attr).Equal(expression.Value(before)))
			}
		}
	}
	if rev, ok := intValue(item["Revision"]); ok && changed {
		u = u.Add(expression.Name("Revision"), expression.Value(1))
		cond = cond.And(expression.Name("Revision").Equal(expression.Value(rev)))
	}
	return u, cond, changed
}

// renameList returns the user ids of list, and them with subs replaced by
// names, and whether any was.
func renameList(list []types.AttributeValue, names map[string]string) (before, after []string, changed bool) {
	for _, v := range list {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return nil, nil, false // not a list of user ids
		}
		name, listed := names[s.Value]
		if !listed {
			name = s.Value
		}
		changed = changed || listed
		before, after = append(before, s.Value), append(after, name)
	}
	return before, after, changed
}

// intValue is the integer value of a number attribute.
func intValue(v types.AttributeValue) (int64, bool) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	return i, err == nil
}

// moveUserItem moves an access entry or owned counter from its sub's
// partition to name's, in one transaction. A counter adds to the one the
// name may have (its creates since the platform used names).
func (s *Store) moveUserItem(ctx context.Context, item map[string]types.AttributeValue, name string, counter bool) error {
	sk := item[attrSK].(*types.AttributeValueMemberS).Value
	old := key(item[attrPK].(*types.AttributeValueMemberS).Value, sk)
	del := types.TransactWriteItem{Delete: s.deleteIf(old, itemExists())}
	moved := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		moved[k] = v
	}
	moved[attrPK] = &types.AttributeValueMemberS{Value: userPrefix + name}
	write := types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: moved}}
	if counter {
		write = types.TransactWriteItem{Update: s.update(key(userPrefix+name, sk), addCounts(item))}
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{write, del}})
	if reasons := canceledBy(err); len(reasons) > 1 && conditionFailed(reasons[1]) {
		return nil // moved by a run that raced with this one
	}
	if err != nil {
		return fmt.Errorf("move %s of a user to %s: %w", sk, name, err)
	}
	return nil
}

// addCounts is the update that adds an owned counter item's counts.
func addCounts(item map[string]types.AttributeValue) expression.UpdateBuilder {
	u := expression.Set(expression.Name("Kind"), expression.Value("OwnedCounts"))
	for k, v := range item {
		if n, ok := intValue(v); ok {
			u = u.Add(expression.Name(k), expression.Value(n))
		}
	}
	return u
}
