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
	PK, SK    string
	Kind      string
	ExpiresAt int64 `dynamodbav:",omitempty"` // AttrExpiresAt
	run.Run
}

// datasetState is the dataset's counters and run lease.
type datasetState struct {
	Schedules      int64
	ActiveRunId    string
	LeaseExpiresAt int64 // Unix seconds
}

func (s *Store) runWrites(r run.Run) ([]types.TransactWriteItem, error) {
	expires := s.expiresAt()
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
	item[AttrExpiresAt], index[AttrExpiresAt] = expires, expires
	return []types.TransactWriteItem{
		{Put: s.putNew(item)},
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
	for range startRunAttempts {
		st, err := s.datasetState(ctx, r.DatasetId)
		if err != nil {
			return err
		}
		now := time.Now()
		if st.ActiveRunId == r.RunId {
			return nil // our own write landed, though its answer was lost
		}
		if st.ActiveRunId != "" && st.LeaseExpiresAt >= now.Unix() {
			return &run.InProgressError{RunId: st.ActiveRunId}
		}
		gone := false
		if st.ActiveRunId != "" {
			if gone, err = s.runGone(ctx, st.ActiveRunId); err != nil {
				return err
			}
		}
		if retry, err := s.tryStart(ctx, r, s.startWrites(r, st, gone, leaseUntil, now, writes)); !retry {
			return err
		}
	}
	st, err := s.datasetState(ctx, r.DatasetId)
	if err != nil || st.ActiveRunId == r.RunId {
		return err
	}
	return &run.InProgressError{RunId: st.ActiveRunId}
}

// startRunAttempts bounds StartRun's reads of a lease that keeps changing hands.
const startRunAttempts = 3

// startWrites is StartRun's transaction, for the dataset state st read at
// now: the lease (if it is still as st found it), a check that the dataset
// exists, the end of the expired holder's run if there is one (and its
// record is not gone: expired runs are deleted), then the run's own
// writes. tryStart reads the outcome by these positions.
func (s *Store) startWrites(r run.Run, st datasetState, holderGone bool, leaseUntil, now time.Time, writes []types.TransactWriteItem) []types.TransactWriteItem {
	items := []types.TransactWriteItem{
		{Update: s.takeLease(r.DatasetId, r.RunId, st, leaseUntil, now)},
		{ConditionCheck: s.check(datasetKey(r.DatasetId), itemExists())},
	}
	if st.ActiveRunId != "" && !holderGone {
		items = append(items, s.endRun(st.ActiveRunId, run.Failed, LeaseExpiredReason, now, nil), s.outboxPut(st.ActiveRunId, run.Failed, now))
	}
	return append(append(items, writes...), s.leaseIndexPut(r.DatasetId, r.RunId))
}

// takeLease gives runID the dataset's lease until until, if the lease is
// still as st found it: held by no run, or by a run whose lease had
// expired at now.
func (s *Store) takeLease(datasetID, runID string, st datasetState, until, now time.Time) *types.Update {
	cond := leaseUnheld()
	if st.ActiveRunId != "" {
		cond = leaseHeldBy(st.ActiveRunId).And(leaseExpiredAt(now))
	}
	return s.updateIf(datasetStateKey(datasetID), expression.
		Set(expression.Name("ActiveRunId"), expression.Value(runID)).
		Set(expression.Name("LeaseExpiresAt"), expression.Value(until.Unix())).
		Set(expression.Name("Kind"), expression.Value(kindDatasetState)), cond)
}

// tryStart sends StartRun's transaction (startWrites). retry: the lease
// changed hands since it was read, or the expired holder's run ended
// meanwhile; look again.
func (s *Store) tryStart(ctx context.Context, r run.Run, items []types.TransactWriteItem) (retry bool, err error) {
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := canceledBy(err)
	switch {
	case err == nil:
		return false, nil
	case len(reasons) > 1 && conditionFailed(reasons[1]):
		return false, dataset.NotFound(r.DatasetId)
	case len(reasons) > 0 && (conditionFailed(reasons[0]) || len(reasons) > 2 && conditionFailed(reasons[2])):
		return true, nil
	default:
		return false, fmt.Errorf("start run %s: %w", r.RunId, err)
	}
}

// Conditions on the dataset state item's lease: ActiveRunId holds it
// until LeaseExpiresAt (Unix seconds).

func leaseUnheld() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("ActiveRunId"))
}

func leaseHeldBy(runID string) expression.ConditionBuilder {
	return expression.Name("ActiveRunId").Equal(expression.Value(runID))
}

func leaseExpiredAt(now time.Time) expression.ConditionBuilder {
	return expression.Name("LeaseExpiresAt").LessThan(expression.Value(now.Unix()))
}

// leaseFree holds when no run holds the lease or its holder's lease had
// expired at now.
func leaseFree(now time.Time) expression.ConditionBuilder {
	return leaseUnheld().Or(leaseExpiredAt(now))
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
func (s *Store) endRun(runID string, state run.State, reason string, at time.Time, totals *shardTotals) types.TransactWriteItem {
	set := endSet(state, reason, at)
	cond := runIn(run.Queued, run.Planning, run.Running)
	if totals != nil {
		set = set.Set(expression.Name("TasksDone"), expression.Value(totals.TasksDone))
		for _, f := range totals.WorkerFields() { // Deferred: the planner's and the workers'
			set = set.Set(expression.Name(f.Name), expression.Value(*f.Value))
		}
		// Events may add tasks to a running run (JoinRun): it ends with
		// the tasks it was read with, or not yet.
		cond = runIn(run.Running).And(expression.Name("TasksPlanned").Equal(expression.Value(totals.Planned)))
	}
	return types.TransactWriteItem{Update: s.updateIf(runKey(runID), set, cond)}
}

// endSet is what every end of a run writes: its final state, the reason
// and when it ended.
func endSet(state run.State, reason string, at time.Time) expression.UpdateBuilder {
	return expression.Set(expression.Name("State"), expression.Value(state)).
		Set(expression.Name("Reason"), expression.Value(reason)).
		Set(expression.Name("FinishedAt"), expression.Value(at.UTC()))
}

// runIn holds while the run's State is one of state and more.
func runIn(state run.State, more ...run.State) expression.ConditionBuilder {
	if len(more) == 0 {
		return expression.Name("State").Equal(expression.Value(state))
	}
	others := make([]expression.OperandBuilder, len(more))
	for i, m := range more {
		others[i] = expression.Value(m)
	}
	return expression.Name("State").In(expression.Value(state), others...)
}

// releaseLease ends runID's hold on its dataset.
func (s *Store) releaseLease(datasetID, runID string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: s.updateIf(datasetStateKey(datasetID),
		expression.Remove(expression.Name("ActiveRunId")).Remove(expression.Name("LeaseExpiresAt")), leaseHeldBy(runID))}
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
	return s.finish(ctx, r, state, s.endRun(r.RunId, state, reason, time.Now(), nil))
}

// finish writes end, r's end in state, its outbox item, and releases r's
// lease, in one transaction; a run that end's condition finds ended (or
// moved on) is left as it is.
func (s *Store) finish(ctx context.Context, r run.Run, state run.State, end types.TransactWriteItem) error {
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		end, s.releaseLease(r.DatasetId, r.RunId), s.outboxPut(r.RunId, state, time.Now()),
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
	if err == nil && s.expired(it.ExpiresAt) {
		return run.Run{}, run.NotFound(id) // expired: TTL deletes it late
	}
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
	runs := make([]run.Run, 0, len(items))
	for _, it := range items {
		if s.expired(it.ExpiresAt) {
			continue
		}
		if err := s.withWorkerCounts(ctx, &it.Run); err != nil {
			return nil, "", err
		}
		runs = append(runs, it.Run)
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
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(runPrefix+runID, prefix)).WithFilter(s.unexpired()))
	in.Limit = aws.Int32(int32(min(max+1, 1000)))
	out, err := queryAtLeast[run.FileOutcome](ctx, s.client, in, max+1)
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
