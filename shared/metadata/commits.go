package metadata

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
)

// A commit of copied files writes each file's catalog entry with a
// conditional PutItem of its own (1 write unit, where a transaction's item
// costs 2), or a batched INSERT where the planner found none (inserts.go),
// stamped Commit = <id> of the commit, and then one transaction
// that puts the commit's record COMMIT#<id> in the run's partition and
// adds the files to a counter shard. A file is counted by the commit its
// entry names, in the transaction that creates that commit's record, and
// the record is created once: counted by its own transaction, or
// abandoned by a worker that found the commit's files uncounted (its
// worker died between the two steps, or is a duplicate still running),
// which then adopts them (infra/cdk/COST.md). An entry with the run's gate
// and no Commit was counted by a transaction: a skipped or failed file's,
// or one of a worker that committed before commit records.
//
//	commit record  RUN#<runId>  COMMIT#<id>  State: counted | abandoned
const (
	attrCommit      = "Commit"
	commitPrefix    = "COMMIT#"
	commitCounted   = "counted"
	commitAbandoned = "abandoned"
	// entryWriters is how many catalog entries a commit writes at once.
	entryWriters = 16
	// entryAttempts bounds the refusals one entry's write goes through
	// (each from a concurrent worker's move) before the commit gives up
	// and its tasks are retried.
	entryAttempts = 8
)

// newCommitID is a random 128-bit commit id.
func newCommitID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func commitKey(runID, id string) map[string]types.AttributeValue {
	return key(runPrefix+runID, commitPrefix+id)
}

// entryStamp is what a refused write learns from the entry it found.
type entryStamp struct {
	Gate   int64
	Commit string
}

func stampOf(item map[string]types.AttributeValue) (entryStamp, error) {
	var st entryStamp
	if err := attributevalue.UnmarshalMap(item, &st); err != nil {
		return st, fmt.Errorf("decode a catalog entry's gate: %w", err)
	}
	return st, nil
}

// commitRecord is the item that makes a commit counted or abandoned.
func (s *Store) commitRecord(runID, id, state string) map[string]types.AttributeValue {
	item := commitKey(runID, id)
	item["State"], item[AttrExpiresAt] = str(state), s.expiresAt()
	return item
}

// fate is what a commit does with a result, from its catalog entry.
type fate int

const (
	fateCounted    fate = iota // the commit counts it
	fateDropped                // committed before: a duplicate
	fateSuperseded             // an event-made task's entry holds a newer version (superseded.go)
)

// laterGate is the fate of res when its entry holds a later gate than
// its commit's: for an event-made task a newer version committed first
// (superseded); for a planned task, a late duplicate of an ended run.
func laterGate(res run.FileResult) fate {
	if res.FromEvent {
		return fateSuperseded
	}
	return fateDropped
}

// writeEntries writes the catalog entries of results' copied files under
// commit id (those the planner found absent inserted in batches first,
// inserts.go), and returns the results that commit counts (the copied files
// whose entries it wrote or adopted, and every file that is not copied:
// the commit's transaction sets their gates) and those superseded.
func (g catalogGates) writeEntries(ctx context.Context, id string, results []run.FileResult) ([]run.FileResult, []run.FileResult, error) {
	inserted, err := g.insertNew(ctx, id, results)
	if err != nil {
		return nil, nil, err
	}
	return eachCopied(results, func(res run.FileResult) (fate, error) {
		if inserted[res.Name] {
			return fateCounted, nil
		}
		return g.writeEntry(ctx, id, res)
	})
}

// eachCopied calls write for each copied file of results, entryWriters at
// a time, and returns, in order, the results to count (write said so, and
// the files that are not copied) and those superseded.
func eachCopied(results []run.FileResult, write func(run.FileResult) (fate, error)) ([]run.FileResult, []run.FileResult, error) {
	fates := make([]fate, len(results))
	errs := make([]error, len(results))
	slots := make(chan struct{}, entryWriters)
	var wg sync.WaitGroup
	for i, res := range results {
		if res.File == nil {
			continue // fateCounted
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			fates[i], errs[i] = write(res)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	kept, superseded := results[:0:0], results[:0:0]
	for i, res := range results {
		switch fates[i] {
		case fateCounted:
			kept = append(kept, res)
		case fateSuperseded:
			superseded = append(superseded, res)
		}
	}
	return kept, superseded, nil
}

// writeEntry puts res's catalog entry stamped with commit id if its gate
// is open, and says whether commit id counts it. A refusal is read from
// the entry found: stamped id, it is our own write retried; a later gate,
// laterGate; the run's own with no commit, it was committed; the run's
// own with another commit, that commit is counted (dropped) or is
// abandoned here and the entry adopted, by a put on the condition that it
// still names that commit.
func (g catalogGates) writeEntry(ctx context.Context, id string, res run.FileResult) (fate, error) {
	item, err := g.entry(res, id)
	if err != nil {
		return fateDropped, err
	}
	cond := g.put
	for range entryAttempts {
		st, refused, err := g.s.putEntry(ctx, item, cond)
		switch {
		case err != nil:
			return fateDropped, fmt.Errorf("write the catalog entry of %s: %w", res.Name, err)
		case !refused, st.Gate == g.gateN && st.Commit == id:
			return fateCounted, nil
		case st.Gate > g.gateN:
			return laterGate(res), nil
		case st.Gate == g.gateN && st.Commit == "":
			return fateDropped, nil
		case st.Gate < g.gateN:
			cond = g.put // the entry changed since: its gate is open again
			continue
		}
		counted, err := g.s.abandon(ctx, g.runID, st.Commit)
		if err != nil || counted {
			return fateDropped, err
		}
		cond = g.adoptFrom(st.Commit)
	}
	return fateDropped, fmt.Errorf("write the catalog entry of %s: refused %d times", res.Name, entryAttempts)
}

// putEntry puts a catalog entry on cond; when refused, it returns the
// entry's gate and commit.
func (s *Store) putEntry(ctx context.Context, item map[string]types.AttributeValue, cond expression.Expression) (entryStamp, bool, error) {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	return s.refusal(ctx, err, item)
}

// refusal reads a conditional write's refusal: the old item's gate and
// commit, from the refusal or, if it holds none, from the table.
func (s *Store) refusal(ctx context.Context, err error, item map[string]types.AttributeValue) (entryStamp, bool, error) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return entryStamp{}, false, err
	}
	old := ccf.Item
	if old == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pkOf(item), skOf(item)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return entryStamp{}, true, err
		}
		old = out.Item
	}
	st, err := stampOf(old)
	return st, true, err
}

func pkOf(item map[string]types.AttributeValue) string {
	return item[attrPK].(*types.AttributeValueMemberS).Value
}

func skOf(item map[string]types.AttributeValue) string {
	return item[attrSK].(*types.AttributeValueMemberS).Value
}

// abandon puts commit id's record as abandoned unless it has one, and
// says whether the commit was counted: if not, it can no longer be, and
// its files are free to adopt.
func (s *Store) abandon(ctx context.Context, runID, id string) (bool, error) {
	absent := build(expression.NewBuilder().WithCondition(itemAbsent()))
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: s.commitRecord(runID, id, commitAbandoned), ConditionExpression: absent.Condition(),
		ExpressionAttributeNames: absent.Names(), ExpressionAttributeValues: absent.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return false, fmt.Errorf("abandon commit %s of run %s: %w", id, runID, err)
		}
		return false, nil
	}
	old := ccf.Item
	if old == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: commitKey(runID, id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return false, fmt.Errorf("read commit %s of run %s: %w", id, runID, err)
		}
		old = out.Item
	}
	return commitState(old) == commitCounted, nil
}

func commitState(item map[string]types.AttributeValue) string {
	if v, ok := item["State"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// moveEntries restamps results' copied files from commit from, which was
// abandoned, to commit to, and returns the results commit to counts and
// those superseded: a file adopted meanwhile by another worker no longer
// names from, and is dropped; one written under a later gate meanwhile
// is laterGate's.
func (g catalogGates) moveEntries(ctx context.Context, from, to string, results []run.FileResult) ([]run.FileResult, []run.FileResult, error) {
	move := build(expression.NewBuilder().WithCondition(g.stampedBy(from)).
		WithUpdate(expression.Set(expression.Name(attrCommit), expression.Value(to))))
	return eachCopied(results, func(res run.FileResult) (fate, error) {
		k := g.entryKey(res.Name)
		_, err := g.s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &g.s.table, Key: k, UpdateExpression: move.Update(), ConditionExpression: move.Condition(),
			ExpressionAttributeNames: move.Names(), ExpressionAttributeValues: move.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		st, refused, err := g.s.refusal(ctx, err, k)
		switch {
		case err != nil:
			return fateDropped, fmt.Errorf("move the catalog entry of %s to commit %s: %w", res.Name, to, err)
		case !refused, st.Gate == g.gateN && st.Commit == to:
			return fateCounted, nil
		case st.Gate > g.gateN:
			return laterGate(res), nil
		}
		return fateDropped, nil
	})
}

// settleRefusals reads why a commit's transaction refused the gates of
// results' files that are not copied (refused, in the transaction's order:
// one per such file) and returns the results to try again, those
// superseded, and whether any changed. A gate refused for the run's own
// set by a transaction was committed: the file is dropped; for a later
// gate, it is laterGate's (superseded.go). The run's own gate
// stamped by another commit is the entry of a copy that commit may not have
// counted: it is dropped if that commit was counted, else adopted into
// commit id and counted as the entry says (the copy landed).
func (g catalogGates) settleRefusals(ctx context.Context, id string, results []run.FileResult, refused []types.CancellationReason) ([]run.FileResult, []run.FileResult, bool, error) {
	kept, superseded, changed, i := results[:0:0], results[:0:0], false, 0
	for _, res := range results {
		if res.File != nil {
			kept = append(kept, res)
			continue
		}
		reason := refused[i]
		i++
		if !conditionFailed(reason) {
			kept = append(kept, res)
			continue
		}
		k := g.entryKey(res.Name)
		st, _, err := g.s.refusal(ctx, &types.ConditionalCheckFailedException{Item: reason.Item}, k)
		if err != nil {
			return nil, nil, false, err
		}
		switch {
		case st.Gate < g.gateN: // changed since: try again
			kept = append(kept, res)
			continue
		case st.Gate > g.gateN:
			if laterGate(res) == fateSuperseded {
				superseded = append(superseded, res)
			}
			changed = true
			continue
		case st.Commit == "":
			changed = true
			continue
		case st.Commit == id: // adopted by this commit already, the adoption's answer lost
			adopted, err := copiedFrom(res, reason.Item)
			if err != nil {
				return nil, nil, false, err
			}
			kept, changed = append(kept, adopted), true
			continue
		}
		adopted, ok, err := g.adoptGate(ctx, id, st.Commit, res)
		if err != nil {
			return nil, nil, false, err
		}
		if ok {
			kept = append(kept, adopted)
		}
		changed = true
	}
	return kept, superseded, changed, nil
}

// adoptGate adopts into commit id the entry that res, a file not copied,
// found stamped by commit from, unless from was counted (then res is
// dropped: false). Adopted, the result is the copy the entry holds. An
// entry that no longer names from is left for the next attempt to read.
func (g catalogGates) adoptGate(ctx context.Context, id, from string, res run.FileResult) (run.FileResult, bool, error) {
	counted, err := g.s.abandon(ctx, g.runID, from)
	if err != nil || counted {
		return run.FileResult{}, false, err
	}
	adopt := build(expression.NewBuilder().WithCondition(g.stampedBy(from)).
		WithUpdate(expression.Set(expression.Name(attrCommit), expression.Value(id))))
	out, err := g.s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &g.s.table, Key: g.entryKey(res.Name), UpdateExpression: adopt.Update(), ConditionExpression: adopt.Condition(),
		ExpressionAttributeNames: adopt.Names(), ExpressionAttributeValues: adopt.Values(), ReturnValues: types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if st, err := stampOf(ccf.Item); err != nil || st.Commit != id || st.Gate != g.gateN {
			return res, true, nil // no longer from's: the next attempt reads it again
		}
		copied, err := copiedFrom(res, ccf.Item) // our own adoption, its answer lost
		return copied, err == nil, err
	case err != nil:
		return run.FileResult{}, false, fmt.Errorf("adopt the catalog entry of %s: %w", res.Name, err)
	}
	copied, err := copiedFrom(res, out.Attributes)
	return copied, err == nil, err
}

// copiedFrom is the outcome that res, a file not copied, counts as when
// its commit adopts the entry item of a copy: the copy the entry holds.
func copiedFrom(res run.FileResult, item map[string]types.AttributeValue) (run.FileResult, error) {
	var f dataset.File
	if err := attributevalue.UnmarshalMap(item, &f); err != nil {
		return run.FileResult{}, fmt.Errorf("decode the catalog entry of %s: %w", res.Name, err)
	}
	copied := run.FileResult{Name: res.Name, SourceKey: f.SourceKey, Bytes: f.Size, File: &f,
		Restored: res.Restore != nil, EndsRestore: res.EndsRestore || res.Restore != nil}
	if f.State == dataset.FailedValidation {
		copied.Outcome, copied.Reason = run.OutcomeFailedValidation, f.Reason
	}
	return copied, nil
}
