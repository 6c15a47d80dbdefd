package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

var _ run.Store = (*Store)(nil)

const (
	runPrefix     = "RUN#"
	skRun         = "RUN"
	skippedPrefix = "SKIPPED#"
	failedPrefix  = "FAILED#"
)

func runKey(id string) map[string]types.AttributeValue { return key(runPrefix+id, skRun) }

type runItem struct {
	PK, SK string
	Kind   string
	run.Run
}

// datasetState is the dataset's counters and run lease.
type datasetState struct {
	Schedules      int64
	ActiveRunId    string
	LeaseExpiresAt int64 // Unix seconds
}

func (s *Store) runWrites(r run.Run) ([]types.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(runItem{PK: runPrefix + r.RunId, SK: skRun, Kind: "Run", Run: r})
	if err != nil {
		return nil, fmt.Errorf("encode run %s: %w", r.RunId, err)
	}
	for name, v := range item {
		if _, null := v.(*types.AttributeValueMemberNULL); null {
			delete(item, name) // absent, not NULL: BeginPlanning sets StartedAt with if_not_exists, which a NULL defeats
		}
	}
	index := key(schedulePrefix+r.ScheduleId, runPrefix+r.RunId)
	index["Kind"] = &types.AttributeValueMemberS{Value: "RunIndex"}
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.table, Item: index}},
	}, nil
}

// StartRun takes the dataset's lease with a conditional write and writes
// the run, in one transaction. When the lease holder's lease has expired,
// that run is marked failed in the same transaction.
func (s *Store) StartRun(ctx context.Context, r run.Run, leaseUntil time.Time) error {
	writes, err := s.runWrites(r)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 3; attempt++ {
		st, err := s.datasetState(ctx, r.DatasetId)
		if err != nil {
			return err
		}
		now := time.Now().Unix()
		if st.ActiveRunId == r.RunId {
			return nil // our own write landed, though its answer was lost
		}
		if st.ActiveRunId != "" && st.LeaseExpiresAt >= now {
			return &run.InProgressError{RunId: st.ActiveRunId}
		}
		lease := types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: datasetStateKey(r.DatasetId),
			UpdateExpression: aws.String("SET ActiveRunId = :run, LeaseExpiresAt = :until, Kind = :kind"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":run": &types.AttributeValueMemberS{Value: r.RunId}, ":until": number(leaseUntil.Unix()),
				":kind": &types.AttributeValueMemberS{Value: "DatasetState"},
			},
		}}
		items := []types.TransactWriteItem{
			lease,
			{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: datasetKey(r.DatasetId), ConditionExpression: aws.String("attribute_exists(PK)")}},
		}
		if st.ActiveRunId == "" {
			lease.Update.ConditionExpression = aws.String("attribute_not_exists(ActiveRunId)")
		} else {
			lease.Update.ConditionExpression = aws.String("ActiveRunId = :old AND LeaseExpiresAt < :now")
			lease.Update.ExpressionAttributeValues[":old"] = &types.AttributeValueMemberS{Value: st.ActiveRunId}
			lease.Update.ExpressionAttributeValues[":now"] = number(now)
			end, err := s.endRun(st.ActiveRunId, run.Failed, "the run stopped making progress: its lease on the dataset expired", time.Now(), nil)
			if err != nil {
				return err
			}
			items = append(items, end)
		}
		items = append(items, writes...)
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		reasons := canceledBy(err)
		switch {
		case err == nil:
			return nil
		case len(reasons) > 1 && conditionFailed(reasons[1]):
			return dataset.NotFound(r.DatasetId)
		case len(reasons) > 0 && (conditionFailed(reasons[0]) || len(reasons) > 2 && conditionFailed(reasons[2])):
			continue // the lease changed hands meanwhile: look again
		default:
			return fmt.Errorf("start run %s: %w", r.RunId, err)
		}
	}
	st, err := s.datasetState(ctx, r.DatasetId)
	if err != nil || st.ActiveRunId == r.RunId {
		return err
	}
	return &run.InProgressError{RunId: st.ActiveRunId}
}

func (s *Store) datasetState(ctx context.Context, datasetID string) (datasetState, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: datasetStateKey(datasetID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return datasetState{}, fmt.Errorf("read state of dataset %s: %w", datasetID, err)
	}
	var st datasetState
	if err := attributevalue.UnmarshalMap(out.Item, &st); err != nil {
		return datasetState{}, fmt.Errorf("decode state of dataset %s: %w", datasetID, err)
	}
	return st, nil
}

// endRun sets a run's final state if it has not ended yet; with totals
// (the workers' counters, summed), it ends a running run with its final
// counts.
func (s *Store) endRun(runID string, state run.State, reason string, at time.Time, totals *shardTotals) (types.TransactWriteItem, error) {
	set := expression.Set(expression.Name("State"), expression.Value(state)).
		Set(expression.Name("Reason"), expression.Value(reason)).
		Set(expression.Name("FinishedAt"), expression.Value(at.UTC()))
	cond := expression.Name("State").In(expression.Value(run.Queued), expression.Value(run.Planning), expression.Value(run.Running))
	if totals != nil {
		set = set.Set(expression.Name("TasksDone"), expression.Value(totals.TasksDone)).
			Set(expression.Name("Copied"), expression.Value(totals.Copied)).
			Set(expression.Name("SkippedStorageClass"), expression.Value(totals.SkippedStorageClass)).
			Set(expression.Name("FailedValidation"), expression.Value(totals.FailedValidation)).
			Set(expression.Name("Failed"), expression.Value(totals.Failed)).
			Set(expression.Name("BytesCopied"), expression.Value(totals.BytesCopied))
		cond = expression.Name("State").Equal(expression.Value(run.Running))
	}
	expr, err := expression.NewBuilder().WithUpdate(set).WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("end run %s: %w", runID, err)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: runKey(runID),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// releaseLease ends runID's hold on its dataset.
func (s *Store) releaseLease(datasetID, runID string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: datasetStateKey(datasetID),
		UpdateExpression:    aws.String("REMOVE ActiveRunId, LeaseExpiresAt"),
		ConditionExpression: aws.String("ActiveRunId = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":run": &types.AttributeValueMemberS{Value: runID},
		},
	}}
}

// RecordRun writes a run that holds no lease.
func (s *Store) RecordRun(ctx context.Context, r run.Run) error {
	writes, err := s.runWrites(r)
	if err != nil {
		return err
	}
	if _, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return fmt.Errorf("record run %s: %w", r.RunId, err)
	}
	return nil
}

// FinishRun ends the run and releases its lease, in one transaction; a run
// that already ended is left as it is.
func (s *Store) FinishRun(ctx context.Context, r run.Run, state run.State, reason string) error {
	end, err := s.endRun(r.RunId, state, reason, time.Now(), nil)
	if err != nil {
		return err
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		end, s.releaseLease(r.DatasetId, r.RunId),
	}})
	if reasons := canceledBy(err); len(reasons) > 0 && conditionFailed(reasons[0]) {
		return nil // already ended
	}
	if err != nil {
		return fmt.Errorf("finish run %s: %w", r.RunId, err)
	}
	return nil
}

// GetRun reads a run by id, with the workers' counts while it runs.
func (s *Store) GetRun(ctx context.Context, id string) (run.Run, error) {
	r, err := s.GetRunRecord(ctx, id)
	if err != nil {
		return run.Run{}, err
	}
	err = s.withWorkerCounts(ctx, &r)
	return r, err
}

// GetRunRecord reads a run's own record: its planner counts and state,
// without the workers' counts.
func (s *Store) GetRunRecord(ctx context.Context, id string) (run.Run, error) {
	var it runItem
	err := s.getItem(ctx, runKey(id), &it, run.NotFound(id))
	return it.Run, err
}

// ListRuns pages through a schedule's run index, newest first (run ids are
// time-ordered), then reads the runs in one batch.
func (s *Store) ListRuns(ctx context.Context, scheduleID string, limit int, next string) ([]run.Run, string, error) {
	ids, token, err := s.queryPage(ctx, schedulePrefix+scheduleID, runPrefix, limit, next, false)
	if err != nil {
		return nil, "", err
	}
	items, err := getItems[runItem](ctx, s, ids, runKey)
	if err != nil {
		return nil, "", err
	}
	runs := make([]run.Run, len(items))
	for i, it := range items {
		if err := s.withWorkerCounts(ctx, &it.Run); err != nil {
			return nil, "", err
		}
		runs[i] = it.Run
	}
	return runs, token, nil
}

// RunFiles queries the run's skipped and failed file entries.
func (s *Store) RunFiles(ctx context.Context, runID string, max int) (skipped, failed []run.FileOutcome, more bool, err error) {
	skipped, moreSkipped, err := s.outcomes(ctx, runID, skippedPrefix, max)
	if err != nil {
		return nil, nil, false, err
	}
	failed, moreFailed, err := s.outcomes(ctx, runID, failedPrefix, max)
	return skipped, failed, moreSkipped || moreFailed, err
}

func (s *Store) outcomes(ctx context.Context, runID, prefix string, max int) ([]run.FileOutcome, bool, error) {
	out, err := queryAtLeast[run.FileOutcome](ctx, s.client, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: runPrefix + runID},
			":sk": &types.AttributeValueMemberS{Value: prefix},
		},
		Limit: aws.Int32(int32(min(max+1, 1000))),
	}, max+1)
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("list files of run %s: %w", runID, err)
	case len(out) > max:
		return out[:max], true, nil
	case out == nil:
		return []run.FileOutcome{}, false, nil // an empty list, not null
	}
	return out, false, nil
}
