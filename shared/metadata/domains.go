package metadata

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

var _ dataset.DomainStore = (*Store)(nil)

// Domains and the dataset name claims that keep a zone prefix from ever
// being reused.
//
//	domain                 DOMAIN#<lower domain>           DOMAIN                its owner (CreatedBy) and AuthorizedUsers: who may create datasets in it
//
// A dataset's name claim (DATASET_NAME#<domain>#<name>) outlives the
// dataset: DeleteDataset marks it Retired, with FormerOwner, instead of
// deleting it, because the dataset's files stay in the lake under
// <Domain>/<DatasetName>/. Only FormerOwner may claim a retired name again
// (her own prefix: nothing of anyone else's to read or overwrite).

const skDomain = "DOMAIN"

func domainKey(name string) map[string]types.AttributeValue {
	return key("DOMAIN#"+strings.ToLower(name), skDomain)
}

type domainItem struct {
	PK, SK string
	Kind   string
	dataset.Domain
}

// GetDomain reads a domain by name, ignoring case.
func (s *Store) GetDomain(ctx context.Context, name string) (dataset.Domain, error) {
	var it domainItem
	err := s.getItem(ctx, domainKey(name), &it, dataset.DomainNotFound(name))
	return it.Domain, err
}

// UpdateDomain replaces the domain if unchanged since read.
func (s *Store) UpdateDomain(ctx context.Context, old, updated dataset.Domain) error {
	item, err := attributevalue.MarshalMap(domainItem{PK: "DOMAIN#" + strings.ToLower(updated.Domain), SK: skDomain, Kind: "Domain", Domain: updated})
	if err != nil {
		return fmt.Errorf("encode domain %s: %w", updated.Domain, err)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.putIfRevision(item, old.Revision)},
	})
	if reasons := canceledBy(err); len(reasons) > 0 && conditionFailed(reasons[0]) {
		return dataset.ErrConcurrentChange
	}
	if err != nil {
		return fmt.Errorf("update domain %s: %w", updated.Domain, err)
	}
	return nil
}

// claimDomain, in a dataset's create, makes its creator the owner of a
// domain that has no record yet, or requires them to be its owner or one
// of its AuthorizedUsers (else the transaction fails on this item).
func (s *Store) claimDomain(d dataset.Dataset) types.TransactWriteItem {
	ifAbsent := func(u expression.UpdateBuilder, name string, v any) expression.UpdateBuilder {
		return u.Set(expression.Name(name), expression.IfNotExists(expression.Name(name), expression.Value(v)))
	}
	u := expression.Set(expression.Name("Kind"), expression.Value("Domain"))
	u = ifAbsent(u, "Domain", d.Domain)
	u = ifAbsent(u, "CreatedBy", d.CreatedBy)
	u = ifAbsent(u, "AuthorizedUsers", []string{d.CreatedBy})
	u = ifAbsent(u, "CreatedAt", d.CreatedAt)
	u = ifAbsent(u, "UpdatedAt", d.CreatedAt)
	u = ifAbsent(u, "Revision", 1)
	return types.TransactWriteItem{Update: s.updateIf(domainKey(d.Domain), u, domainAdmits(d.CreatedBy))}
}

// domainAdmits holds where there is no domain record yet, or user owns the
// domain or is one of its AuthorizedUsers.
func domainAdmits(user string) expression.ConditionBuilder {
	return itemAbsent().
		Or(expression.Name("CreatedBy").Equal(expression.Value(user))).
		Or(expression.Contains(expression.Name("AuthorizedUsers"), user))
}

// nameClaim is the item that holds a dataset's name in its domain.
func nameClaim(d dataset.Dataset) map[string]types.AttributeValue {
	item := datasetNameKey(d.Domain, d.DatasetName)
	item["DatasetId"] = &types.AttributeValueMemberS{Value: d.DatasetId}
	item["Kind"] = &types.AttributeValueMemberS{Value: "DatasetName"}
	return item
}

// claimName claims d's name in its domain: a name never claimed, or one
// retired from a dataset d's creator owned. A failure returns the claim
// that stood in the way (nameTakenBy tells which error it is).
func (s *Store) claimName(d dataset.Dataset) types.TransactWriteItem {
	retiredFromCreator := expression.Name("Retired").Equal(expression.Value(true)).
		And(expression.Name("FormerOwner").Equal(expression.Value(d.CreatedBy)))
	put := s.putIf(nameClaim(d), itemAbsent().Or(retiredFromCreator))
	put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return types.TransactWriteItem{Put: put}
}

// nameTakenBy is the error of a claim that failed on the claim that was there.
func nameTakenBy(old map[string]types.AttributeValue) error {
	if r, ok := old["Retired"].(*types.AttributeValueMemberBOOL); ok && r.Value {
		return dataset.ErrNameRetired
	}
	return dataset.ErrNameTaken
}

// retireName keeps d's name claimed after d is deleted, for its owner alone.
func (s *Store) retireName(d dataset.Dataset) types.TransactWriteItem {
	item := nameClaim(d)
	item["Retired"] = &types.AttributeValueMemberBOOL{Value: true}
	item["FormerOwner"] = &types.AttributeValueMemberS{Value: d.CreatedBy}
	item["Domain"] = &types.AttributeValueMemberS{Value: d.Domain}
	item["DatasetName"] = &types.AttributeValueMemberS{Value: d.DatasetName}
	item["RetiredAt"] = &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}
}

// MigrateDomains writes the record of every domain that has datasets and
// none yet (the domains made before domains had owners): its owner is the
// creator of its earliest dataset, sharing it with nobody. It scans the
// table, for operators' tools only (infra/cmd/migrate-domains), and is
// idempotent: a domain with a record keeps it. It returns how many domains
// it wrote (or found) with their earliest dataset's owner.
func (s *Store) MigrateDomains(ctx context.Context) (int, error) {
	earliest, err := s.earliestDatasets(ctx)
	if err != nil {
		return 0, err
	}
	written := 0
	for _, d := range earliest {
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems: []types.TransactWriteItem{s.claimDomain(d)},
		})
		switch reasons := canceledBy(err); {
		case len(reasons) > 0 && conditionFailed(reasons[0]):
			continue // a record of another owner: it stays
		case err != nil:
			return written, fmt.Errorf("migrate domain %s: %w", d.Domain, err)
		}
		written++
	}
	return written, nil
}

// earliestDatasets scans the table for datasets and returns, for each
// domain (ignoring case), the earliest created one.
func (s *Store) earliestDatasets(ctx context.Context) (map[string]dataset.Dataset, error) {
	filter := expression.Name(attrSK).Equal(expression.Value(skDataset)).
		And(expression.Name(attrPK).BeginsWith(datasetPrefix))
	e := build(expression.NewBuilder().WithFilter(filter))
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName: &s.table, FilterExpression: e.Filter(), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	earliest := map[string]dataset.Dataset{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan datasets: %w", err)
		}
		var items []datasetItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode datasets: %w", err)
		}
		for _, it := range items {
			k := strings.ToLower(it.Domain)
			if old, ok := earliest[k]; !ok || it.CreatedAt.Before(old.CreatedAt) {
				earliest[k] = it.Dataset
			}
		}
	}
	return earliest, nil
}
