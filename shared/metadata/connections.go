package metadata

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/quota"
)

var _ connection.Store = (*Store)(nil)

const (
	connectionPrefix = "CONNECTION#"
	skConnection     = "CONNECTION"
	skUsage          = "USAGE"
	datasetPrefix    = "DATASET#"
	userPrefix       = "USER#"
)

func connectionKey(id string) map[string]types.AttributeValue {
	return key(connectionPrefix+id, skConnection)
}

func usageKey(id string) map[string]types.AttributeValue { return key(connectionPrefix+id, skUsage) }

func nameKey(name string) map[string]types.AttributeValue {
	return key("CONNECTION_NAME#"+strings.ToLower(name), "CONNECTION_NAME")
}

// connectionItem is a connection as stored. Kind names the item type for
// people browsing the table in the console.
type connectionItem struct {
	PK, SK string
	Kind   string
	connection.Connection
}

// CreateConnection writes the connection, its name claim, one more on its
// owner's counter (within the quota) and an access entry per authorized
// user in one transaction.
func (s *Store) CreateConnection(ctx context.Context, c connection.Connection) error {
	item, err := attributevalue.MarshalMap(connectionItem{
		PK: connectionPrefix + c.ConnectionId, SK: skConnection, Kind: "Connection", Connection: c,
	})
	if err != nil {
		return fmt.Errorf("encode connection %s: %w", c.ConnectionId, err)
	}
	name := nameKey(c.ConnectionName)
	name["ConnectionId"] = &types.AttributeValueMemberS{Value: c.ConnectionId}
	name["Kind"] = &types.AttributeValueMemberS{Value: "ConnectionName"}
	if err := s.ensureOwned(ctx, c.CreatedBy, quota.Connections); err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: s.putNew(name)}, s.claimOwned(c.CreatedBy, quota.Connections), {Put: s.putNew(item)}}
	for _, u := range c.AuthorizedUsers {
		items = append(items, s.putAccess(connectionPrefix, u, c.ConnectionId))
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 1 {
		switch {
		case conditionFailed(reasons[0]):
			return connection.ErrNameTaken
		case conditionFailed(reasons[1]):
			return s.limits.Exceeded(quota.Connections)
		}
	}
	if err != nil {
		return fmt.Errorf("create connection %s: %w", c.ConnectionId, err)
	}
	return nil
}

// GetConnection reads a connection by id.
func (s *Store) GetConnection(ctx context.Context, id string) (connection.Connection, error) {
	var it connectionItem
	err := s.getItem(ctx, connectionKey(id), &it, connection.NotFound(id))
	return it.Connection, err
}

// ListConnections pages through the connections user may see.
func (s *Store) ListConnections(ctx context.Context, user string, limit int, next string) ([]connection.Connection, string, error) {
	return listVisibleItems(ctx, s, connectionPrefix, user, limit, next, connectionKey, func(it connectionItem) connection.Connection { return it.Connection })
}

// UpdateConnection replaces the connection if its revision is still old's,
// and adds or removes access entries for users added or removed. When the
// new version does not allow an option the old one did (SkipLZ,
// RestoreArchived), it also requires that no dataset of the connection
// uses it, in the same transaction.
func (s *Store) UpdateConnection(ctx context.Context, old, updated connection.Connection) error {
	item, err := attributevalue.MarshalMap(connectionItem{
		PK: connectionPrefix + updated.ConnectionId, SK: skConnection, Kind: "Connection", Connection: updated,
	})
	if err != nil {
		return fmt.Errorf("encode connection %s: %w", updated.ConnectionId, err)
	}
	items := []types.TransactWriteItem{s.putIfRevision(item, old.Revision)}
	guard, guarded := downgradeGuard(old.Version, updated.Version)
	if guarded {
		items = append(items, types.TransactWriteItem{ConditionCheck: s.check(usageKey(updated.ConnectionId), guard)})
	}
	items = append(items, s.accessChanges(connectionPrefix, updated.ConnectionId, old.AuthorizedUsers, updated.AuthorizedUsers)...)
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 0 {
		if conditionFailed(reasons[0]) {
			return connection.ErrConcurrentChange
		}
		if guarded && len(reasons) > 1 && conditionFailed(reasons[1]) {
			return connection.ErrInUse
		}
	}
	if err != nil {
		return fmt.Errorf("update connection %s: %w", updated.ConnectionId, err)
	}
	return nil
}

// DeleteConnection deletes the connection with its name claim and access
// entries, and takes it off its owner's counter, in one transaction that also checks no dataset uses it.
func (s *Store) DeleteConnection(ctx context.Context, c connection.Connection) error {
	if err := s.ensureOwned(ctx, c.CreatedBy, quota.Connections); err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Delete: s.deleteIf(connectionKey(c.ConnectionId), atRevision(c.Revision))},
		{Delete: s.deleteIf(usageKey(c.ConnectionId), noneCounted("Datasets"))}, // the counters go too, if no dataset uses the connection
		{Delete: &types.Delete{TableName: &s.table, Key: nameKey(c.ConnectionName)}},
		s.releaseOwned(c.CreatedBy, quota.Connections),
	}
	for _, u := range c.AuthorizedUsers {
		items = append(items, s.deleteAccess(connectionPrefix, u, c.ConnectionId))
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 1 {
		switch {
		case conditionFailed(reasons[0]):
			return connection.ErrConcurrentChange
		case conditionFailed(reasons[1]):
			return connection.ErrInUse
		}
	}
	if err != nil {
		return fmt.Errorf("delete connection %s: %w", c.ConnectionId, err)
	}
	return nil
}

// DatasetsOfConnection queries the dataset references in the connection's partition.
func (s *Store) DatasetsOfConnection(ctx context.Context, id string) ([]connection.DatasetRef, error) {
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(connectionPrefix+id, datasetPrefix)))
	in.ConsistentRead = aws.Bool(true)
	refs, err := queryAll[connection.DatasetRef](ctx, s.client, in)
	if err != nil {
		return nil, fmt.Errorf("list datasets of connection %s: %w", id, err)
	}
	return refs, nil
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}
