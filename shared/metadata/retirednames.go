package metadata

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// NamesRetired counts what RetireDeletedNames found.
type NamesRetired struct {
	Retired int // names of deleted datasets now claimed, retired, for nobody
	Claimed int // already claimed (retired or by the dataset that has the name)
	// Reused lists "<domain>/<name>" prefixes that a dataset deleted before
	// names were kept left files under, and that a later dataset has
	// claimed: its files and the deleted dataset's share the prefix, for
	// an operator to look at.
	Reused []string
}

// RetireDeletedNames claims, retired, the name of every dataset deleted
// before deletes kept names whose files are still in the lake: its catalog
// survives it, and a landed file's zone key starts with
// <Domain>/<DatasetName>/. Such a claim has no FormerOwner (nobody
// recorded who the owner was), so nobody may create the name again. It
// scans the table, for operators' tools only (infra/cmd/migrate-domains),
// and is idempotent.
func (s *Store) RetireDeletedNames(ctx context.Context) (NamesRetired, error) {
	var r NamesRetired
	prefixes, err := s.catalogPrefixes(ctx)
	if err != nil {
		return r, err
	}
	ids := make([]string, 0, len(prefixes))
	for id := range prefixes {
		ids = append(ids, id)
	}
	live, err := s.batchGet(ctx, keysOf(ids, datasetKey))
	if err != nil {
		return r, err
	}
	for _, it := range live {
		delete(prefixes, strings.TrimPrefix(it[attrPK].(*types.AttributeValueMemberS).Value, datasetPrefix))
	}
	for id, prefix := range prefixes {
		if err := s.retireOrphanName(ctx, id, prefix, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// catalogPrefixes returns, per dataset id of the catalog, the
// <domain>/<name> prefix of one of its landed files.
func (s *Store) catalogPrefixes(ctx context.Context) (map[string]string, error) {
	e := build(expression.NewBuilder().
		WithFilter(expression.Name(attrPK).BeginsWith(filesPrefix).And(expression.AttributeExists(expression.Name("Key")))).
		WithProjection(expression.NamesList(expression.Name(attrPK), expression.Name("Key"))))
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName: &s.table, FilterExpression: e.Filter(), ProjectionExpression: e.Projection(), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	prefixes := map[string]string{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan the catalog: %w", err)
		}
		for _, it := range page.Items {
			pk, _ := it[attrPK].(*types.AttributeValueMemberS)
			k, _ := it["Key"].(*types.AttributeValueMemberS)
			if pk == nil || k == nil {
				continue
			}
			if prefix, _, ok := strings.Cut(k.Value, "/upload_date="); ok {
				prefixes[strings.TrimPrefix(pk.Value, filesPrefix)] = prefix
			}
		}
	}
	return prefixes, nil
}

// retireOrphanName claims prefix's name, retired, for the deleted dataset id,
// unless it is claimed already.
func (s *Store) retireOrphanName(ctx context.Context, id, prefix string, r *NamesRetired) error {
	domain, name, ok := strings.Cut(prefix, "/")
	if !ok {
		return nil // not a zone key of a dataset
	}
	item := datasetNameKey(domain, name)
	for k, v := range map[string]string{"Kind": "DatasetName", "DatasetId": id, "Domain": domain, "DatasetName": name} {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	item["Retired"] = &types.AttributeValueMemberBOOL{Value: true}
	put := putInput(s.putNew(item))
	put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := s.client.PutItem(ctx, put)
	var taken *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &taken):
		r.Claimed++
		if holder, ok := taken.Item["DatasetId"].(*types.AttributeValueMemberS); ok && holder.Value != id && taken.Item["Retired"] == nil {
			r.Reused = append(r.Reused, prefix)
		}
		return nil
	case err != nil:
		return fmt.Errorf("retire the name %s: %w", prefix, err)
	}
	r.Retired++
	return nil
}

// keysOf returns the item keys of ids.
func keysOf(ids []string, keyOf func(string) map[string]types.AttributeValue) []map[string]types.AttributeValue {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = keyOf(id)
	}
	return keys
}
