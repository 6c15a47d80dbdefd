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
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/quota"
	"github.com/datalake-platform/s3connections/shared/rules"
)

var _ dataset.Store = (*Store)(nil)

const (
	skDataset      = "DATASET"
	skState        = "STATE"
	schedulePrefix = "SCHEDULE#"
	filesPrefix    = "FILES#"
	filePrefix     = "FILE#"
)

func datasetKey(id string) map[string]types.AttributeValue { return key(datasetPrefix+id, skDataset) }

// datasetStateKey is the item of a dataset's counters and run lease, kept
// apart from the dataset so that a Put of the dataset never resets them.
func datasetStateKey(id string) map[string]types.AttributeValue {
	return key(datasetPrefix+id, skState)
}

// kindDatasetState is the Kind of the dataset state item, which the
// schedule counter and the run lease both write.
const kindDatasetState = "DatasetState"

func datasetNameKey(domain, name string) map[string]types.AttributeValue {
	return key("DATASET_NAME#"+strings.ToLower(domain)+"#"+strings.ToLower(name), "DATASET_NAME")
}

type datasetItem struct {
	PK, SK string
	Kind   string
	dataset.Dataset
}

// datasetRef is the copy of a dataset's identity in its connection's partition.
type datasetRef struct {
	PK, SK string
	Kind   string
	connection.DatasetRef
}

func (s *Store) datasetWrites(d dataset.Dataset) (item, ref map[string]types.AttributeValue, err error) {
	if item, err = attributevalue.MarshalMap(datasetItem{PK: datasetPrefix + d.DatasetId, SK: skDataset, Kind: "Dataset", Dataset: d}); err != nil {
		return nil, nil, fmt.Errorf("encode dataset %s: %w", d.DatasetId, err)
	}
	ref, err = attributevalue.MarshalMap(datasetRef{
		PK: connectionPrefix + d.ConnectionId, SK: datasetPrefix + d.DatasetId, Kind: "DatasetRef",
		DatasetRef: connection.DatasetRef{
			DatasetId: d.DatasetId, DatasetName: d.DatasetName, Domain: d.Domain, SkipLZ: d.SkipLZ, Inventory: d.Inventory,
			RestoreArchived: d.RestoreArchived != nil, Trigger: string(d.Trigger), DirectoryPath: d.DirectoryPath,
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("encode dataset reference %s: %w", d.DatasetId, err)
	}
	return item, ref, nil
}

// versionGuard is a dataset option that needs a connection version: the
// connection's usage item counts the datasets that use it, so that a
// downgrade that would strand one is refused in its own transaction.
type versionGuard struct {
	counter string
	allows  func(rules.Version) bool
	uses    func(dataset.Dataset) bool
}

var versionGuards = []versionGuard{
	{"SkipLZDatasets", rules.Version.AllowsSkipLZ, func(d dataset.Dataset) bool { return d.SkipLZ }},
	{"RestoreDatasets", rules.Version.AllowsRestore, func(d dataset.Dataset) bool { return d.RestoreArchived != nil }},
}

// connectionAllows checks that the connection exists at a version that
// allows every guarded option d uses.
func (s *Store) connectionAllows(d dataset.Dataset) types.TransactWriteItem {
	cond := itemExists()
	for _, g := range versionGuards {
		if g.uses(d) {
			cond = cond.And(versionIn(g.allows))
		}
	}
	return types.TransactWriteItem{ConditionCheck: s.check(connectionKey(d.ConnectionId), cond)}
}

// versionIn holds for a connection at a version that allows (of
// rules.Versions, at least the latest does).
func versionIn(allows func(rules.Version) bool) expression.ConditionBuilder {
	var allowed []expression.OperandBuilder
	for _, v := range rules.Versions {
		if allows(v) {
			allowed = append(allowed, expression.Value(v))
		}
	}
	return expression.Name("Version").In(allowed[0], allowed[1:]...)
}

// countOnConnection adds datasets to the connection's dataset counter and
// the change from old to updated (either empty) to its guarded options'.
func (s *Store) countOnConnection(connID string, datasets int64, old, updated dataset.Dataset) types.TransactWriteItem {
	up := expression.Add(expression.Name("Datasets"), expression.Value(datasets)).
		Set(expression.Name("Kind"), expression.Value("ConnectionUsage"))
	for _, g := range versionGuards {
		if n := boolInt(g.uses(updated)) - boolInt(g.uses(old)); n != 0 {
			up = up.Add(expression.Name(g.counter), expression.Value(n))
		}
	}
	return types.TransactWriteItem{Update: s.update(usageKey(connID), up)}
}

// guardsChanged says whether updated uses a guarded option old did not.
func guardsChanged(old, updated dataset.Dataset) bool {
	for _, g := range versionGuards {
		if g.uses(updated) && !g.uses(old) {
			return true
		}
	}
	return false
}

// downgradeGuard is the condition on the connection's usage item that an
// update from version old to updated needs: no dataset uses an option
// that old allows and updated does not (ok false: nothing to check).
func downgradeGuard(old, updated rules.Version) (expression.ConditionBuilder, bool) {
	var cond expression.ConditionBuilder
	ok := false
	for _, g := range versionGuards {
		if g.allows(old) && !g.allows(updated) {
			if !ok {
				cond, ok = noneCounted(g.counter), true
			} else {
				cond = cond.And(noneCounted(g.counter))
			}
		}
	}
	return cond, ok
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateDataset writes the dataset, its name claim, its reference and
// counters on the connection, one more on its owner's counter (within the
// quota), its domain's claim (domains.go) and its access entries, in one
// transaction.
func (s *Store) CreateDataset(ctx context.Context, d dataset.Dataset) error {
	item, ref, err := s.datasetWrites(d)
	if err != nil {
		return err
	}
	if err := s.ensureOwned(ctx, d.CreatedBy, quota.Datasets); err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		s.claimName(d),
		s.connectionAllows(d),
		s.claimOwned(d.CreatedBy, quota.Datasets),
		{Put: s.putNew(item)},
		{Put: &types.Put{TableName: &s.table, Item: ref}},
		s.countOnConnection(d.ConnectionId, 1, dataset.Dataset{}, d),
		s.claimDomain(d),
	}
	for _, u := range d.AuthorizedUsers {
		items = append(items, s.putAccess(datasetPrefix, u, d.DatasetId))
	}
	items = append(items, s.eventIndexWrites(nil, &d)...)
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 6 {
		switch {
		case conditionFailed(reasons[0]):
			return nameTakenBy(reasons[0].Item)
		case conditionFailed(reasons[1]):
			return dataset.ErrConnectionChanged
		case conditionFailed(reasons[2]):
			return s.limits.Exceeded(quota.Datasets)
		case conditionFailed(reasons[6]):
			return dataset.ErrDomainNotShared
		}
	}
	if err != nil {
		return fmt.Errorf("create dataset %s: %w", d.DatasetId, err)
	}
	return nil
}

// GetDataset reads a dataset by id.
func (s *Store) GetDataset(ctx context.Context, id string) (dataset.Dataset, error) {
	var it datasetItem
	err := s.getItem(ctx, datasetKey(id), &it, dataset.NotFound(id))
	return it.Dataset, err
}

// ListDatasets pages through the datasets user may see.
func (s *Store) ListDatasets(ctx context.Context, user string, limit int, next string) ([]dataset.Dataset, string, error) {
	return listVisibleItems(ctx, s, datasetPrefix, user, limit, next, datasetKey, func(it datasetItem) dataset.Dataset { return it.Dataset })
}

// UpdateDataset replaces the dataset if unchanged since read.
func (s *Store) UpdateDataset(ctx context.Context, old, updated dataset.Dataset) error {
	item, ref, err := s.datasetWrites(updated)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		s.putIfRevision(item, old.Revision),
		{Put: &types.Put{TableName: &s.table, Item: ref}},
	}
	items = append(items, s.countOnConnection(updated.ConnectionId, 0, old, updated))
	if guardsChanged(old, updated) {
		items = append(items, s.connectionAllows(updated))
	}
	items = append(items, s.accessChanges(datasetPrefix, updated.DatasetId, old.AuthorizedUsers, updated.AuthorizedUsers)...)
	items = append(items, s.eventIndexWrites(&old, &updated)...)
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 0 {
		if conditionFailed(reasons[0]) {
			return dataset.ErrConcurrentChange
		}
		if len(reasons) > 3 && conditionFailed(reasons[3]) {
			return dataset.ErrConnectionChanged
		}
	}
	if err != nil {
		return fmt.Errorf("update dataset %s: %w", updated.DatasetId, err)
	}
	return nil
}

// DeleteDataset deletes the dataset and everything written with it, in one
// transaction that also requires no schedules and no live run lease. The
// dataset's catalog and files stay, under its id, and its name claim stays,
// retired (domains.go), as its files stay under its prefix in the lake.
func (s *Store) DeleteDataset(ctx context.Context, d dataset.Dataset) error {
	if err := s.ensureOwned(ctx, d.CreatedBy, quota.Datasets); err != nil {
		return err
	}
	state := s.deleteIf(datasetStateKey(d.DatasetId), noneCounted("Schedules").And(leaseFree(time.Now())))
	state.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld // which guard failed
	items := []types.TransactWriteItem{
		{Delete: s.deleteIf(datasetKey(d.DatasetId), atRevision(d.Revision))},
		{Delete: state},
		s.retireName(d),
		{Delete: &types.Delete{TableName: &s.table, Key: key(connectionPrefix+d.ConnectionId, datasetPrefix+d.DatasetId)}},
		s.countOnConnection(d.ConnectionId, -1, d, dataset.Dataset{}),
		s.releaseOwned(d.CreatedBy, quota.Datasets),
	}
	for _, u := range d.AuthorizedUsers {
		items = append(items, s.deleteAccess(datasetPrefix, u, d.DatasetId))
	}
	items = append(items, s.eventIndexWrites(&d, nil)...)
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 1 {
		switch {
		case conditionFailed(reasons[0]):
			return dataset.ErrConcurrentChange
		case conditionFailed(reasons[1]):
			var st struct{ Schedules int64 }
			_ = attributevalue.UnmarshalMap(reasons[1].Item, &st)
			if st.Schedules > 0 {
				return dataset.ErrHasSchedules
			}
			return dataset.ErrRunInProgress
		}
	}
	if err != nil {
		return fmt.Errorf("delete dataset %s: %w", d.DatasetId, err)
	}
	return nil
}

// SchedulesOfDataset queries the schedule references in the dataset's partition.
func (s *Store) SchedulesOfDataset(ctx context.Context, id string) ([]dataset.ScheduleRef, error) {
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(datasetPrefix+id, schedulePrefix)))
	in.ConsistentRead = aws.Bool(true)
	refs, err := queryAll[dataset.ScheduleRef](ctx, s.client, in)
	if err != nil {
		return nil, fmt.Errorf("list schedules of dataset %s: %w", id, err)
	}
	return refs, nil
}

// ListFiles pages through the dataset's catalog, by name. The gate-only
// entries of files never copied are filtered out after DynamoDB's Limit, so
// it reads on (at most listFilesQueries queries) to fill the page.
func (s *Store) ListFiles(ctx context.Context, datasetID string, limit int, next string) ([]dataset.File, string, error) {
	pk := filesPrefix + datasetID
	start, err := decodeNext(pk, next, filePrefix)
	if err != nil {
		return nil, "", err
	}
	want := int(pageSize(limit))
	var items []map[string]types.AttributeValue // one more than a page, if there are: see pageEnd
	query := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(pk, filePrefix)).
		WithFilter(expression.AttributeExists(expression.Name("Name"))))
	for range listFilesQueries {
		in := *query
		in.ExclusiveStartKey, in.Limit = start, aws.Int32(int32(want+1-len(items)))
		out, err := s.client.Query(ctx, &in)
		if err != nil {
			return nil, "", fmt.Errorf("list files of dataset %s: %w", datasetID, err)
		}
		items, start = append(items, out.Items...), out.LastEvaluatedKey
		if len(start) == 0 || len(items) > want {
			break
		}
	}
	items, token := pageEnd(items, start, want)
	files := []dataset.File{}
	if err := attributevalue.UnmarshalListOfMaps(items, &files); err != nil {
		return nil, "", fmt.Errorf("decode files of dataset %s: %w", datasetID, err)
	}
	return files, token, nil
}

// listFilesQueries bounds the queries of one ListFiles call, so that a
// catalog of mostly gate-only entries still answers within the API's time.
const listFilesQueries = 10
