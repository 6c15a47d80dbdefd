package metadata

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Access entries (PK USER#<user>, SK <KIND>#<id>) list, per user, the
// resources of one kind the user may see. They are written in the same
// transactions as the resources, so they never disagree with them.

func accessKey(prefix, user, id string) map[string]types.AttributeValue {
	return key(userPrefix+user, prefix+id)
}

func (s *Store) putAccess(prefix, user, id string) types.TransactWriteItem {
	item := accessKey(prefix, user, id)
	item["Kind"] = &types.AttributeValueMemberS{Value: "Access"}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}
}

func (s *Store) deleteAccess(prefix, user, id string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: accessKey(prefix, user, id)}}
}

// accessChanges returns the writes that move id's entries from users before to after.
func (s *Store) accessChanges(prefix, id string, before, after []string) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for _, u := range after {
		if !slices.Contains(before, u) {
			items = append(items, s.putAccess(prefix, u, id))
		}
	}
	for _, u := range before {
		if !slices.Contains(after, u) {
			items = append(items, s.deleteAccess(prefix, u, id))
		}
	}
	return items
}

// listVisible queries one page of the ids of kind prefix that user may see.
func (s *Store) listVisible(ctx context.Context, prefix, user string, limit int, next string) ([]string, string, error) {
	pk := userPrefix + user
	ids, token, err := s.queryPage(ctx, pk, prefix, limit, next, true)
	return ids, token, err
}

// queryPage reads one page of the sort keys under prefix in partition pk and
// returns them without the prefix, and the token of the next page: none
// when this page is the last (pageEnd).
func (s *Store) queryPage(ctx context.Context, pk, prefix string, limit int, next string, forward bool) ([]string, string, error) {
	start, err := decodeNext(pk, next, prefix)
	if err != nil {
		return nil, "", err
	}
	n := pageSize(limit)
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(pk, prefix)).
		WithProjection(expression.NamesList(expression.Name(attrSK))))
	in.ExclusiveStartKey, in.Limit = start, aws.Int32(n+1)
	in.ConsistentRead, in.ScanIndexForward = aws.Bool(true), aws.Bool(forward)
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query %s %s: %w", pk, prefix, err)
	}
	items, token := pageEnd(out.Items, out.LastEvaluatedKey, int(n))
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if sk, ok := it[attrSK].(*types.AttributeValueMemberS); ok {
			ids = append(ids, strings.TrimPrefix(sk.Value, prefix))
		}
	}
	return ids, token, nil
}

// pageEnd cuts items, read with a Limit one above the page size n, to the
// page and returns the token of the next page. DynamoDB returns a
// LastEvaluatedKey whenever it stops at its Limit, even when nothing
// follows, so a bare LastEvaluatedKey would lead to an empty last page: the
// extra item says whether one follows. Without it, a LastEvaluatedKey means
// the read stopped short (1 MB, or a filter's reads): the page is not known
// to be the last, and the token stays.
func pageEnd(items []map[string]types.AttributeValue, last map[string]types.AttributeValue, n int) ([]map[string]types.AttributeValue, string) {
	if len(items) > n {
		return items[:n], encodeNext(items[n-1])
	}
	return items, encodeNext(last)
}

// queryAll reads every page of in, each item decoded into a T.
func queryAll[T any](ctx context.Context, client dynamodb.QueryAPIClient, in *dynamodb.QueryInput) ([]T, error) {
	return queryAtLeast[T](ctx, client, in, math.MaxInt)
}

// queryAtLeast reads pages of in until it holds at least n items or has
// read them all, each item decoded into a T. The result is nil when there
// are none.
func queryAtLeast[T any](ctx context.Context, client dynamodb.QueryAPIClient, in *dynamodb.QueryInput, n int) ([]T, error) {
	var all []T
	dec, m := attributevalue.NewDecoder(), &types.AttributeValueMemberM{} // UnmarshalMap's, made once
	for p := dynamodb.NewQueryPaginator(client, in); p.HasMorePages() && len(all) < n; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		start := len(all)
		all = append(all, make([]T, len(page.Items))...)
		for i, item := range page.Items {
			m.Value = item
			if err := dec.Decode(m, &all[start+i]); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
	}
	return all, nil
}

// batchGet reads items by key, strongly consistent, 100 a request (BatchGetItem's
// limit), retrying unprocessed keys. Absent items are left out; the order
// is the keys'.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	found := make(map[string]map[string]types.AttributeValue, len(keys))
	for chunk := range slices.Chunk(keys, maxBatchGetKeys) {
		req := map[string]types.KeysAndAttributes{s.table: {Keys: chunk, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, err
				}
			}
			out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read %d items: %w", len(keys), err)
			}
			for _, it := range out.Responses[s.table] {
				found[keyString(it)] = it
			}
			req = out.UnprocessedKeys
		}
	}
	items := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		if it, ok := found[keyString(k)]; ok {
			items = append(items, it)
		}
	}
	return items, nil
}

// maxBatchGetKeys is BatchGetItem's limit on the keys of one request.
const maxBatchGetKeys = 100

func keyString(item map[string]types.AttributeValue) string {
	pk, _ := item[attrPK].(*types.AttributeValueMemberS)
	sk, _ := item[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "\x00" + sk.Value
}

// getItem reads the item at k into out, strongly consistent so that a read
// after a write sees it; notFound when there is none.
func (s *Store) getItem(ctx context.Context, k map[string]types.AttributeValue, out any, notFound error) error {
	got, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %s: %w", keyString(k), err)
	}
	if got.Item == nil {
		return notFound
	}
	if err := attributevalue.UnmarshalMap(got.Item, out); err != nil {
		return fmt.Errorf("decode %s: %w", keyString(k), err)
	}
	return nil
}

// getItems reads the items of ids (keyed by keyOf) in one batch, in order,
// leaving out the absent ones.
func getItems[T any](ctx context.Context, s *Store, ids []string, keyOf func(string) map[string]types.AttributeValue) ([]T, error) {
	items, err := s.batchGet(ctx, keysOf(ids, keyOf))
	if err != nil {
		return nil, err
	}
	out := make([]T, len(items))
	for i, raw := range items {
		if err := attributevalue.UnmarshalMap(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s: %w", keyString(raw), err)
		}
	}
	return out, nil
}

// listVisibleItems pages through the resources of kind prefix that user may
// see: one Query of the user's access entries, one batch read of the items,
// each item I unwrapped into the domain's T.
func listVisibleItems[I, T any](ctx context.Context, s *Store, prefix, user string, limit int, next string,
	keyOf func(string) map[string]types.AttributeValue, unwrap func(I) T) ([]T, string, error) {
	ids, token, err := s.listVisible(ctx, prefix, user, limit, next)
	if err != nil {
		return nil, "", err
	}
	items, err := getItems[I](ctx, s, ids, keyOf)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = unwrap(it)
	}
	return out, token, nil
}

// putIfRevision replaces item if its stored Revision is still rev.
func (s *Store) putIfRevision(item map[string]types.AttributeValue, rev int64) types.TransactWriteItem {
	return types.TransactWriteItem{Put: s.putIf(item, atRevision(rev))}
}
