package metadata

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/quota"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

var _ schedule.Store = (*Store)(nil)

const skSchedule = "SCHEDULE"

func scheduleKey(id string) map[string]types.AttributeValue {
	return key(schedulePrefix+id, skSchedule)
}

// scheduleNameKey is the claim that makes a schedule's name unique on its
// dataset, ignoring case: an item in the dataset's partition, written with
// the schedule in one transaction on condition that it is absent, so that of
// two concurrent creations only one succeeds.
func scheduleNameKey(datasetID, name string) map[string]types.AttributeValue {
	return key(datasetPrefix+datasetID, "SCHEDULE_NAME#"+strings.ToLower(name))
}

// scheduleNameTaken says whether the dataset has a schedule named name made
// before name claims existed (their references carry the name): the claim
// alone guards schedules made since.
func (s *Store) scheduleNameTaken(ctx context.Context, sch schedule.Schedule) (bool, error) {
	refs, err := s.SchedulesOfDataset(ctx, sch.DatasetId)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(refs, func(r dataset.ScheduleRef) bool { return strings.EqualFold(r.ScheduleName, sch.ScheduleName) }), nil
}

type scheduleItem struct {
	PK, SK string
	Kind   string
	schedule.Schedule
}

type scheduleRef struct {
	PK, SK string
	Kind   string
	dataset.ScheduleRef
}

func (s *Store) scheduleWrites(sch schedule.Schedule) (item, ref map[string]types.AttributeValue, err error) {
	if item, err = attributevalue.MarshalMap(scheduleItem{PK: schedulePrefix + sch.ScheduleId, SK: skSchedule, Kind: "Schedule", Schedule: sch}); err != nil {
		return nil, nil, fmt.Errorf("encode schedule %s: %w", sch.ScheduleId, err)
	}
	ref, err = attributevalue.MarshalMap(scheduleRef{
		PK: datasetPrefix + sch.DatasetId, SK: schedulePrefix + sch.ScheduleId, Kind: "ScheduleRef",
		ScheduleRef: dataset.ScheduleRef{ScheduleId: sch.ScheduleId, ScheduleName: sch.ScheduleName},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("encode schedule reference %s: %w", sch.ScheduleId, err)
	}
	return item, ref, nil
}

// countOnDataset adds to the dataset's schedule counter.
func (s *Store) countOnDataset(datasetID string, n int64) types.TransactWriteItem {
	return types.TransactWriteItem{Update: s.update(datasetStateKey(datasetID),
		expression.Add(expression.Name("Schedules"), expression.Value(n)).Set(expression.Name("Kind"), expression.Value(kindDatasetState)))}
}

// CreateSchedule writes the schedule, its name claim, its reference and
// counter on the dataset (which must exist), one more on its owner's
// counter (within the quota) and its access entries, in one transaction.
func (s *Store) CreateSchedule(ctx context.Context, sch schedule.Schedule) error {
	item, ref, err := s.scheduleWrites(sch)
	if err != nil {
		return err
	}
	if taken, err := s.scheduleNameTaken(ctx, sch); err != nil {
		return err
	} else if taken {
		return schedule.ErrNameTaken
	}
	if err := s.ensureOwned(ctx, sch.CreatedBy, quota.Schedules); err != nil {
		return err
	}
	name := scheduleNameKey(sch.DatasetId, sch.ScheduleName)
	name["ScheduleId"] = &types.AttributeValueMemberS{Value: sch.ScheduleId}
	name["Kind"] = &types.AttributeValueMemberS{Value: "ScheduleName"}
	items := []types.TransactWriteItem{
		{ConditionCheck: s.check(datasetKey(sch.DatasetId), itemExists())},
		s.claimOwned(sch.CreatedBy, quota.Schedules),
		{Put: s.putNew(name)},
		{Put: s.putNew(item)},
		{Put: &types.Put{TableName: &s.table, Item: ref}},
		s.countOnDataset(sch.DatasetId, 1),
	}
	for _, u := range sch.AuthorizedUsers {
		items = append(items, s.putAccess(schedulePrefix, u, sch.ScheduleId))
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 2 {
		switch {
		case conditionFailed(reasons[0]):
			return schedule.ErrDatasetGone
		case conditionFailed(reasons[1]):
			return s.limits.Exceeded(quota.Schedules)
		case conditionFailed(reasons[2]):
			return schedule.ErrNameTaken
		}
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", sch.ScheduleId, err)
	}
	return nil
}

// GetSchedule reads a schedule by id.
func (s *Store) GetSchedule(ctx context.Context, id string) (schedule.Schedule, error) {
	var it scheduleItem
	err := s.getItem(ctx, scheduleKey(id), &it, schedule.NotFound(id))
	return it.Schedule, err
}

// ListSchedules pages through the schedules user may see.
func (s *Store) ListSchedules(ctx context.Context, user string, limit int, next string) ([]schedule.Schedule, string, error) {
	return listVisibleItems(ctx, s, schedulePrefix, user, limit, next, scheduleKey, func(it scheduleItem) schedule.Schedule { return it.Schedule })
}

// UpdateSchedule replaces the schedule if unchanged since read.
func (s *Store) UpdateSchedule(ctx context.Context, old, updated schedule.Schedule) error {
	item, ref, err := s.scheduleWrites(updated)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		s.putIfRevision(item, old.Revision),
		{Put: &types.Put{TableName: &s.table, Item: ref}},
	}
	items = append(items, s.accessChanges(schedulePrefix, updated.ScheduleId, old.AuthorizedUsers, updated.AuthorizedUsers)...)
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 0 && conditionFailed(reasons[0]) {
		return schedule.ErrConcurrentChange
	}
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", updated.ScheduleId, err)
	}
	return nil
}

// DeleteSchedule deletes the schedule, its name claim, its reference,
// counters (the dataset's, its owner's) and access entries. Its run records
// stay, for the history. (A schedule made before name claims has none: the
// claim's key then holds nothing, as no other schedule may take its name.)
func (s *Store) DeleteSchedule(ctx context.Context, sch schedule.Schedule) error {
	if err := s.ensureOwned(ctx, sch.CreatedBy, quota.Schedules); err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Delete: s.deleteIf(scheduleKey(sch.ScheduleId), atRevision(sch.Revision))},
		{Delete: &types.Delete{TableName: &s.table, Key: key(datasetPrefix+sch.DatasetId, schedulePrefix+sch.ScheduleId)}},
		{Delete: &types.Delete{TableName: &s.table, Key: scheduleNameKey(sch.DatasetId, sch.ScheduleName)}},
		s.countOnDataset(sch.DatasetId, -1),
		s.releaseOwned(sch.CreatedBy, quota.Schedules),
	}
	for _, u := range sch.AuthorizedUsers {
		items = append(items, s.deleteAccess(schedulePrefix, u, sch.ScheduleId))
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := canceledBy(err); len(reasons) > 0 && conditionFailed(reasons[0]) {
		return schedule.ErrConcurrentChange
	}
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", sch.ScheduleId, err)
	}
	return nil
}
