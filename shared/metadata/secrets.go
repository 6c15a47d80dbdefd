package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// EachConnection calls fn with every connection of the table, in no
// order, until fn fails. It is the table's one Scan, for operators' tools
// (the secrets migration, infra/cmd/migrate-secrets): no function's
// request path calls it.
func (s *Store) EachConnection(ctx context.Context, fn func(connection.Connection) error) error {
	filter := expression.Name(attrSK).Equal(expression.Value(skConnection)).
		And(expression.Name(attrPK).BeginsWith(connectionPrefix))
	e := build(expression.NewBuilder().WithFilter(filter))
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName: &s.table, FilterExpression: e.Filter(), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan connections: %w", err)
		}
		for _, raw := range page.Items {
			var it connectionItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return fmt.Errorf("decode connection %v: %w", raw[attrPK], err)
			}
			if err := fn(it.Connection); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReplaceSecretCiphertext stores ciphertext as the secret of connection id
// if its Revision is still revision, and moves the revision on (so that an
// update read before this write fails as a concurrent change instead of
// putting the previous ciphertext back). Nothing else of the connection
// changes, UpdatedAt included: its owner changed nothing.
func (s *Store) ReplaceSecretCiphertext(ctx context.Context, id string, revision int64, ciphertext []byte) error {
	u := expression.Set(expression.Name("SecretCiphertext"), expression.Value(ciphertext)).
		Set(expression.Name("Revision"), expression.Value(revision+1))
	_, err := s.updateItemIf(ctx, connectionKey(id), u, atRevision(revision), types.ReturnValueNone)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return connection.ErrConcurrentChange
	}
	if err != nil {
		return fmt.Errorf("replace the secret of connection %s: %w", id, err)
	}
	return nil
}
