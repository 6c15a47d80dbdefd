package metadata

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// The ingestion side's items, in the run's partition:
//
//	SKIPPED#<name>  a skipped file and why       FAILED#<name>  a failed file and why
//	COUNT#<nn>      one of counterShards counter items that workers add to,
//	                so that concurrent commits rarely touch the same item
//
// and the dataset's catalog, FILES#<datasetId> / FILE#<name>: the latest
// ingested version of each name, sorted by name for the planner's merge.
// <name> in these keys is fileNameKey(name): the name, or for a name over
// 1,000 bytes its start and a hash (sort keys are limited to 1,024 bytes);
// the items hold the full name in Name.
//
// The catalog entry is also the exactly-once gate of a file's outcome:
// its Gate attribute is the StartedAt (Unix nanoseconds) of the last run
// that committed an outcome for the name, and a commit must find it lower
// than its own run's. So a run commits each file once (a redelivered task
// finds its own run's Gate), and a late duplicate of an older run cannot
// overwrite a newer run's entry. A file that is skipped or fails sets only
// the Gate, keeping the version it had (or creating an entry with no
// version, which readers of the catalog leave out). One item per copied
// file, where a marker per file beside the catalog entry took two. A
// copied file's entry is written on its own, stamped with its commit,
// which a small transaction then counts (commits.go).
const (
	attrGate      = "Gate"
	countPrefix   = "COUNT#"
	counterShards = 16
)

// gateOpen admits a commit of a run whose gate is gate.
func gateOpen(gate types.AttributeValue) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(attrGate)).Or(expression.Name(attrGate).LessThan(expression.Value(gate)))
}

// gateOf is the gate value of r's commits: its StartedAt, which grows from
// run to run of a dataset (runs of a dataset do not overlap: the lease).
func gateOf(r run.Run) (types.AttributeValue, int64, error) {
	if r.StartedAt == nil || r.StartedAt.IsZero() {
		return nil, 0, fmt.Errorf("run %s has no start time to commit under", r.RunId)
	}
	n := r.StartedAt.UnixNano()
	return number(n), n, nil
}

// BeginPlanning marks a queued run as planning (keeping a planning run as
// it is) and returns it; a run that ended is returned as it is.
func (s *Store) BeginPlanning(ctx context.Context, runID string) (run.Run, error) {
	now := time.Now().UTC()
	planning := expression.Set(expression.Name("State"), expression.Value(run.Planning)).
		Set(expression.Name("StartedAt"), expression.IfNotExists(expression.Name("StartedAt"), expression.Value(now)))
	out, err := s.updateItemIf(ctx, runKey(runID), planning, runIn(run.Queued, run.Planning), types.ReturnValueAllNew)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return s.GetRun(ctx, runID)
	}
	if err != nil {
		return run.Run{}, fmt.Errorf("begin planning run %s: %w", runID, err)
	}
	r, err := decodeRun(runID, out.Attributes)
	if err == nil && r.StartedAt == nil {
		return s.repairStartedAt(ctx, runID, now)
	}
	return r, err
}

// repairStartedAt sets the StartedAt of a run written before run items left
// NULL attributes out: if_not_exists takes a NULL for a value, so
// BeginPlanning kept it, and the catalog's gate needs the time.
func (s *Store) repairStartedAt(ctx context.Context, runID string, now time.Time) (run.Run, error) {
	out, err := s.updateItemIf(ctx, runKey(runID), expression.Set(expression.Name("StartedAt"), expression.Value(now)),
		expression.Name("StartedAt").AttributeType(expression.Null).And(runIn(run.Planning)), types.ReturnValueAllNew)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return s.GetRun(ctx, runID) // set meanwhile, or no longer planning
	}
	if err != nil {
		return run.Run{}, fmt.Errorf("set the start time of run %s: %w", runID, err)
	}
	return decodeRun(runID, out.Attributes)
}

// decodeRun decodes the run item an update returned (ReturnValues ALL_NEW).
func decodeRun(runID string, attrs map[string]types.AttributeValue) (run.Run, error) {
	var it runItem
	if err := attributevalue.UnmarshalMap(attrs, &it); err != nil {
		return run.Run{}, fmt.Errorf("decode run %s: %w", runID, err)
	}
	return it.Run, nil
}

// SavePlanPage records one planned page with a write conditional on the
// run still planning at the position r holds, so a page retried after a
// crash is counted once. ingest.ErrStalePosition: another invocation moved
// the position; ingest.ErrLeaseLost: the run is no longer planning (it
// ended, or another run took the dataset over and failed it). The lease itself is
// renewed apart (RenewLease): a transaction here would queue behind the
// workers' commits.
func (s *Store) SavePlanPage(ctx context.Context, r run.Run, p ingest.PlanPage) error {
	page := expression.
		Add(expression.Name("Listed"), expression.Value(p.Listed)).
		Add(expression.Name("Matched"), expression.Value(p.Matched)).
		Add(expression.Name("SkippedUnchanged"), expression.Value(p.SkippedUnchanged)).
		Add(expression.Name("SkippedUnsafeKey"), expression.Value(p.SkippedUnsafeKey)).
		Add(expression.Name("Rejected"), expression.Value(p.Rejected)).
		Add(expression.Name("TasksPlanned"), expression.Value(p.Tasks)).
		Add(expression.Name("Deferred"), expression.Value(p.Deferred)).
		Add(expression.Name("RestoreEstimateMicroUSD"), expression.Value(p.RestoreEstimate)).
		Set(expression.Name("Continuation"), expression.Value(p.Next)).
		Set(expression.Name("Phase"), expression.Value(p.Phase)).
		Set(expression.Name("Pages"), expression.Value(r.Pages+1)).
		Set(expression.Name("PlannedBy"), expression.Value(p.Writer)).
		Set(expression.Name("PlanningErrors"), expression.Value(0))
	if p.RestoresWithheld != "" {
		page = page.Set(expression.Name("RestoresWithheld"), expression.Value(p.RestoresWithheld))
	}
	_, err := s.updateItemIf(ctx, runKey(r.RunId), page, planningAt(r.Pages), types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return fmt.Errorf("save planning of run %s: %w", r.RunId, err)
		}
		return nil
	}
	// Refused: by our own write, whose answer was lost and which the SDK
	// retried, or by someone else's.
	position := build(expression.NewBuilder().WithProjection(
		expression.NamesList(expression.Name("State"), expression.Name("Pages"), expression.Name("PlannedBy"))))
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: runKey(r.RunId), ConsistentRead: aws.Bool(true),
		ProjectionExpression: position.Projection(), ExpressionAttributeNames: position.Names(),
	})
	if err != nil {
		return fmt.Errorf("read planning of run %s: %w", r.RunId, err)
	}
	var now struct {
		State     run.State
		Pages     int64
		PlannedBy string
	}
	if err := attributevalue.UnmarshalMap(out.Item, &now); err != nil {
		return fmt.Errorf("decode run %s: %w", r.RunId, err)
	}
	switch {
	case now.Pages == r.Pages+1 && now.PlannedBy == p.Writer && p.Writer != "":
		return nil
	case now.State != run.Planning:
		return ingest.ErrLeaseLost
	}
	return ingest.ErrStalePosition
}

// NotePlanningError counts a planner invocation of the run that failed,
// and returns how many failed since the last saved page; 0 for a run that
// is no longer planning.
func (s *Store) NotePlanningError(ctx context.Context, runID string) (int64, error) {
	out, err := s.updateItemIf(ctx, runKey(runID), expression.Add(expression.Name("PlanningErrors"), expression.Value(1)),
		runIn(run.Planning), types.ReturnValueUpdatedNew)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count planning errors of run %s: %w", runID, err)
	}
	var n struct{ PlanningErrors int64 }
	if err := attributevalue.UnmarshalMap(out.Attributes, &n); err != nil {
		return 0, fmt.Errorf("decode run %s: %w", runID, err)
	}
	return n.PlanningErrors, nil
}

// planningAt requires the run to be planning at the position it was read
// at: pages saved (a run that saved none may have no Pages yet).
func planningAt(pages int64) expression.ConditionBuilder {
	at := expression.Name("Pages").Equal(expression.Value(pages))
	if pages == 0 {
		at = expression.AttributeNotExists(expression.Name("Pages")).Or(at)
	}
	return runIn(run.Planning).And(at)
}

// RenewLease extends runID's hold on its dataset; ingest.ErrLeaseLost if it has none.
func (s *Store) RenewLease(ctx context.Context, datasetID, runID string, until time.Time) error {
	_, err := s.updateItemIf(ctx, datasetStateKey(datasetID), expression.Set(expression.Name("LeaseExpiresAt"), expression.Value(until.Unix())),
		leaseHeldBy(runID), types.ReturnValueNone)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ingest.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("renew lease of run %s: %w", runID, err)
	}
	return nil
}

// EndPlanning marks the run's planning done; the run is running until its
// last task ends. It returns the run.
func (s *Store) EndPlanning(ctx context.Context, runID string) (run.Run, error) {
	running := expression.Set(expression.Name("PlanningDone"), expression.Value(true)).
		Set(expression.Name("State"), expression.Value(run.Running)).
		Set(expression.Name("Continuation"), expression.Value(""))
	out, err := s.updateItemIf(ctx, runKey(runID), running, runIn(run.Planning), types.ReturnValueAllNew)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return s.GetRun(ctx, runID)
	}
	if err != nil {
		return run.Run{}, fmt.Errorf("end planning of run %s: %w", runID, err)
	}
	return decodeRun(runID, out.Attributes)
}

// CatalogRange reads the catalog entries whose names are in [from, to]
// (and maybe a few just outside it that share their first 944 bytes with
// from or to: see catalogBounds), keyed by name.
func (s *Store) CatalogRange(ctx context.Context, datasetID, from, to string) (map[string]dataset.File, error) {
	lo, hi := catalogBounds(from, to)
	inRange := expression.Key(attrPK).Equal(expression.Value(filesPrefix + datasetID)).
		And(expression.Key(attrSK).Between(expression.Value(lo), expression.Value(hi)))
	// The rule needs name, size and ETag; the run's report shows where an
	// unchanged file's version is (a read costs the whole item anyway).
	fields := expression.NamesList(expression.Name("Name"), expression.Name("Size"), expression.Name("SourceETag"), expression.Name("RunId"),
		expression.Name("Key"), expression.Name("IngestedAt"), expression.Name("State"), expression.Name("Checksum"))
	entries, err := queryAll[dataset.File](ctx, s.client, s.query(expression.NewBuilder().WithKeyCondition(inRange).WithProjection(fields)))
	if err != nil {
		return nil, fmt.Errorf("read catalog of dataset %s: %w", datasetID, err)
	}
	files := make(map[string]dataset.File, len(entries))
	for _, f := range entries {
		if f.Name != "" { // not a gate-only entry
			files[f.Name] = f
		}
	}
	return files, nil
}

// RejectRun fails a run before it copies anything (the files that made it
// fail are listed already, by ListRejected). The run's end adds the counts
// of last, the check pass's page that found the listing's end, conditional
// on the run still planning at r's position: they count once, like every
// page before it.
func (s *Store) RejectRun(ctx context.Context, r run.Run, last ingest.PlanPage, reason string) error {
	end := endSet(run.Failed, reason, time.Now()).
		Add(expression.Name("Listed"), expression.Value(last.Listed)).
		Add(expression.Name("Matched"), expression.Value(last.Matched)).
		Add(expression.Name("Rejected"), expression.Value(last.Rejected))
	return s.finish(ctx, r, run.Failed, types.TransactWriteItem{Update: s.updateIf(runKey(r.RunId), end, planningAt(r.Pages))})
}

// batchWrite writes in batches of 25, retrying unprocessed items.
func (s *Store) batchWrite(ctx context.Context, writes []types.WriteRequest) error {
	for len(writes) > 0 {
		n := min(25, len(writes))
		req := map[string][]types.WriteRequest{s.table: writes[:n]}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("write %d items: %w", n, err)
			}
			req = out.UnprocessedItems
		}
		writes = writes[n:]
	}
	return nil
}

// CommittedTasks returns the catalog entries of those of names that already
// have an outcome committed by run r (or by a later run of its dataset), by
// their Gate, and for an entry stamped by a commit under r's gate, by that
// commit's record: a copy whose commit was not counted is not committed
// (its redelivery copies it again and adopts the entry). The record is
// read in the partition of the run the entry names, not r's: the events
// function asks under an event's gate for a run of its own making. An
// entry holds no version when the file was only ever skipped or failed.
func (s *Store) CommittedTasks(ctx context.Context, r run.Run, names []string) (map[string]dataset.File, error) {
	_, gate, err := gateOf(r)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(names))
	nameOf := make(map[string]string, len(names)) // sort key -> name: a long name's key is not the name
	for _, n := range names {
		sk := filePrefix + fileNameKey(n)
		if _, dup := nameOf[sk]; dup {
			continue // BatchGetItem refuses a key twice
		}
		nameOf[sk] = n
		keys = append(keys, key(filesPrefix+r.DatasetId, sk))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	done := make(map[string]dataset.File, len(items))
	stamped := map[commitRef][]string{} // commit -> names whose entry it stamped under r's gate
	for _, it := range items {
		var entry struct {
			dataset.File
			SK     string
			Gate   int64
			Commit string
		}
		if err := attributevalue.UnmarshalMap(it, &entry); err != nil {
			return nil, fmt.Errorf("decode catalog entry of dataset %s: %w", r.DatasetId, err)
		}
		n, ok := nameOf[entry.SK]
		switch {
		case !ok || entry.Gate < gate:
		case entry.Gate == gate && entry.Commit != "":
			c := commitRef{runID: cmp.Or(entry.RunId, r.RunId), id: entry.Commit}
			stamped[c] = append(stamped[c], n)
			done[n] = entry.File // until its commit's record says otherwise
		default:
			done[n] = entry.File
		}
	}
	return done, s.dropUncounted(ctx, stamped, done)
}

// commitRef names a commit: its run and id.
type commitRef struct{ runID, id string }

// dropUncounted removes from done the names that a commit stamped and did
// not count (no record yet, or abandoned).
func (s *Store) dropUncounted(ctx context.Context, stamped map[commitRef][]string, done map[string]dataset.File) error {
	keys := make([]map[string]types.AttributeValue, 0, len(stamped))
	for c := range stamped {
		keys = append(keys, commitKey(c.runID, c.id))
	}
	records, err := s.batchGet(ctx, keys)
	if err != nil {
		return fmt.Errorf("read %d commit records: %w", len(keys), err)
	}
	for _, rec := range records {
		if commitState(rec) == commitCounted {
			delete(stamped, commitRef{runID: strings.TrimPrefix(pkOf(rec), runPrefix), id: strings.TrimPrefix(skOf(rec), commitPrefix)})
		}
	}
	for _, names := range stamped {
		for _, n := range names {
			delete(done, n)
		}
	}
	return nil
}

// CommitFiles commits the outcomes of files of one run exactly once, a
// commit at a time (commits.go): each copied file's catalog entry through
// its gate, stamped with the commit, then one transaction with the
// commit's record, the gates and skipped/failed entries of the files not
// copied, their restores and one counter item's additions. A file
// committed before (a redelivered task) is dropped, and so is a second
// outcome of one name in results. It returns how many files it committed.
func (s *Store) CommitFiles(ctx context.Context, r run.Run, results []run.FileResult) (int, error) {
	committed, err := s.CommitOutcomes(ctx, r, results)
	return len(committed), err
}

// CommitOutcomes is CommitFiles returning the outcomes it committed, in
// results' order: the run's report lists those (a file another delivery
// committed first is left out; a file whose entry a commit adopted comes
// back as the copy the entry holds). On an error the others' fate is
// unknown (a transaction whose answer was lost may have committed).
func (s *Store) CommitOutcomes(ctx context.Context, r run.Run, results []run.FileResult) ([]run.FileResult, error) {
	g, err := s.catalogGates(r)
	if err != nil {
		return nil, err
	}
	results = firstOfEachName(results)
	var committed []run.FileResult
	for len(results) > 0 {
		k := chunkLen(results)
		done, err := s.commitChunk(ctx, r, g, results[:k])
		committed = append(committed, done...)
		if err != nil {
			return committed, err
		}
		results = results[k:]
	}
	return committed, nil
}

// chunkLen is how many of results, from the first, one commit's
// transaction holds.
func chunkLen(results []run.FileResult) int {
	k, items, followUp := 0, 2, false // the commit's record, the counter item, and the restores' follow-up once
	for k < len(results) {
		n := itemsOf(results[k])
		if results[k].Restore != nil && !followUp {
			n++
		}
		if items+n > maxTransactItems {
			break
		}
		items += n
		followUp = followUp || results[k].Restore != nil
		k++
	}
	return k
}

// firstOfEachName keeps the first outcome of each name: one commit writes
// an entry once (a transaction may not touch an item twice, and a second
// put stamped by the same commit would count twice).
func firstOfEachName(results []run.FileResult) []run.FileResult {
	seen := make(map[string]bool, len(results))
	kept := results[:0:0]
	for _, res := range results {
		if !seen[res.Name] {
			seen[res.Name] = true
			kept = append(kept, res)
		}
	}
	return kept
}

// maxTransactItems is DynamoDB's limit on the items of one transaction.
const maxTransactItems = 100

// itemsOf is how many items commitItems writes for res in the commit's
// transaction: the gate of a file not copied (a copied file's entry is
// written before, on its own), the skipped/failed entry of a file not
// simply copied, and its pending restore (restoreItemsOf).
func itemsOf(res run.FileResult) int {
	n := restoreItemsOf(res)
	if res.File == nil {
		n++
	}
	if res.Outcome != "" {
		n++
	}
	return n
}

// commitChunk commits results whose transaction fits in one and returns
// those it counted: it writes the copied files' entries under a new
// commit, then commits it. Refused on the commit's record, the commit was
// abandoned by a worker that took it for dead: the files it still stamps
// move to a new commit. Refused on a gate, the file was committed before,
// or its entry is adopted, or (an event-made task) a newer version's gate
// refused it: those are counted apart (superseded.go), even if the commit
// fails, as no retry of theirs can commit them.
func (s *Store) commitChunk(ctx context.Context, r run.Run, g catalogGates, results []run.FileResult) ([]run.FileResult, error) {
	id := newCommitID()
	results, superseded, err := g.writeEntries(ctx, id, results)
	var committed []run.FileResult
	if err == nil {
		var more []run.FileResult
		committed, more, err = s.commitAs(ctx, r, g, id, results)
		superseded = append(superseded, more...)
	}
	if len(superseded) > 0 {
		err = errors.Join(err, s.countSuperseded(ctx, r, superseded))
	}
	return committed, err
}

// commitAs commits commit id, whose copied files' entries are written, and
// returns those of results it (or the commit its files moved to) counted,
// and those a newer version superseded.
func (s *Store) commitAs(ctx context.Context, r run.Run, g catalogGates, id string, results []run.FileResult) ([]run.FileResult, []run.FileResult, error) {
	var err error
	var superseded, more []run.FileResult
	for attempt := 0; err == nil && len(results) > 0; attempt++ {
		var items []types.TransactWriteItem
		if items, err = s.commitItems(r, g, id, results); err != nil {
			break
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return results, superseded, nil
		}
		reasons := canceledBy(err)
		if len(reasons) == 0 || attempt >= 12 {
			return nil, superseded, fmt.Errorf("commit %d files of run %s: %w", len(results), r.RunId, err)
		}
		changed := true
		err = nil
		if conditionFailed(reasons[0]) {
			counted := commitState(reasons[0].Item) == commitCounted
			if !counted && reasons[0].Item == nil { // no answer's copy: read it, or abandon it ourselves
				counted, err = s.abandon(ctx, r.RunId, id)
			}
			if err != nil {
				return nil, superseded, err
			}
			if counted { // by this transaction, whose answer was lost
				return results, superseded, nil
			}
			next := newCommitID()
			results, more, err = g.moveEntries(ctx, id, next, results)
			id = next
		} else {
			results, more, changed, err = g.settleRefusals(ctx, id, results, reasons[1:])
		}
		superseded = append(superseded, more...)
		if err == nil && !changed { // a conflict with another transaction: wait and retry
			err = backoff(ctx, attempt+1)
		}
	}
	return nil, superseded, err
}

// commitItems is commit id's transaction for results of run r: the
// commit's record first, then the gates of the files not copied, in
// results' order (so that settleRefusals tells from a refusal's position
// which file was committed before), then the entries of the files skipped
// or failed, the restores, and one counter shard's additions.
func (s *Store) commitItems(r run.Run, g catalogGates, id string, results []run.FileResult) ([]types.TransactWriteItem, error) {
	record := s.putNew(s.commitRecord(r.RunId, id, commitCounted))
	record.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	items := make([]types.TransactWriteItem, 0, 2+len(results))
	items = append(items, types.TransactWriteItem{Put: record})
	var listed []types.TransactWriteItem
	for _, res := range results {
		if res.File == nil {
			items = append(items, g.setGate(res.Name))
		}
		if res.Outcome != "" {
			out, err := s.listOutcome(r.RunId, res)
			if err != nil {
				return nil, err
			}
			listed = append(listed, out)
		}
	}
	items = append(items, listed...)
	items = append(items, s.restoreItems(r, results)...)
	return append(items, s.countOnShard(r.RunId, results)), nil
}

// catalogGates writes one run's files to a dataset's catalog through their
// gates, whose conditions it builds once.
type catalogGates struct {
	s         *Store
	datasetID string
	runID     string
	gate      types.AttributeValue
	gateN     int64
	put, set  expression.Expression // for an entry with a new version; for the gate alone
}

func (s *Store) catalogGates(r run.Run) (catalogGates, error) {
	gate, n, err := gateOf(r)
	if err != nil {
		return catalogGates{}, err
	}
	open := gateOpen(gate)
	// The gate alone drops the stamp of an earlier run's commit: the
	// transaction that sets it counts the file.
	alone := expression.Set(expression.Name(attrGate), expression.Value(gate)).Remove(expression.Name(attrCommit))
	return catalogGates{
		s: s, datasetID: r.DatasetId, runID: r.RunId, gate: gate, gateN: n,
		put: build(expression.NewBuilder().WithCondition(open)),
		set: build(expression.NewBuilder().WithCondition(open).WithUpdate(alone)),
	}, nil
}

func (g catalogGates) entryKey(name string) map[string]types.AttributeValue {
	return key(filesPrefix+g.datasetID, filePrefix+fileNameKey(name))
}

// entry is res's catalog entry, the new version of a file that landed,
// under the run's gate and stamped with commit id.
func (g catalogGates) entry(res run.FileResult, id string) (map[string]types.AttributeValue, error) {
	f, err := attributevalue.MarshalMap(res.File)
	if err != nil {
		return nil, err
	}
	k := g.entryKey(res.Name)
	f[attrPK], f[attrSK], f[attrGate], f[attrCommit] = k[attrPK], k[attrSK], g.gate, str(id)
	return f, nil
}

// setGate sets only the gate of a file skipped or failed, if it is open,
// so that the entry keeps the version it had; refused, the transaction's
// answer holds the entry, for settleRefusals.
func (g catalogGates) setGate(name string) types.TransactWriteItem {
	up := g.s.updateWith(g.entryKey(name), g.set)
	up.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return types.TransactWriteItem{Update: up}
}

// stampedBy holds while an entry is under the run's gate and names commit id.
func (g catalogGates) stampedBy(id string) expression.ConditionBuilder {
	return expression.Name(attrCommit).Equal(expression.Value(id)).And(expression.Name(attrGate).Equal(expression.Value(g.gate)))
}

// adoptFrom is the condition of a put that adopts an entry of commit id.
func (g catalogGates) adoptFrom(id string) expression.Expression {
	return build(expression.NewBuilder().WithCondition(g.stampedBy(id)))
}

// listOutcome lists a file that was not simply copied among its run's
// skipped or failed files.
func (s *Store) listOutcome(runID string, res run.FileResult) (types.TransactWriteItem, error) {
	list := failedPrefix
	if res.Outcome.Skipped() {
		list = skippedPrefix
	}
	f := run.FileOutcome{Name: res.Name, SourceKey: res.SourceKey, Outcome: res.Outcome, StorageClass: res.StorageClass, Reason: res.Reason}
	if p := res.Restore; p != nil {
		f.RestoreTier = p.Tier
		f.RestoreRequestedAt = p.RequestedAt
	}
	item, err := outcomeItem(runID, list, f, s.expiresAt())
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}}, nil
}

// outcomeItem is f's entry in the run's list of skipped (skippedPrefix) or
// failed (failedPrefix) files, which expires at expires (AttrExpiresAt).
func outcomeItem(runID, list string, f run.FileOutcome, expires types.AttributeValue) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(f)
	if err != nil {
		return nil, err
	}
	item[attrPK], item[attrSK], item[AttrExpiresAt] = str(runPrefix+runID), str(list+fileNameKey(f.Name)), expires
	return item, nil
}

// countOnShard adds results' outcomes to one of the run's counter shards,
// picked at random so that concurrent commits rarely touch the same item.
func (s *Store) countOnShard(runID string, results []run.FileResult) types.TransactWriteItem {
	c := run.CountsOf(results)
	shard := key(runPrefix+runID, fmt.Sprintf("%s%02d", countPrefix, rand.IntN(counterShards)))
	up := expression.Add(expression.Name("TasksDone"), expression.Value(len(results))).
		Set(expression.Name(AttrExpiresAt), expression.Value(s.expiry()))
	for _, f := range c.WorkerFields() {
		up = up.Add(expression.Name(f.Name), expression.Value(*f.Value))
	}
	return types.TransactWriteItem{Update: s.update(shard, up)}
}

// shardTotals sums a run's counter items.
type shardTotals struct {
	run.Counts
	TasksDone int64
	// Planned is the run's TasksPlanned when the totals end it.
	Planned int64 `dynamodbav:"-"`
}

func (s *Store) shardTotals(ctx context.Context, runID string) (shardTotals, error) {
	in := s.query(expression.NewBuilder().WithKeyCondition(sortKeyPrefix(runPrefix+runID, countPrefix)))
	in.ConsistentRead = aws.Bool(true)
	shards, err := queryAll[shardTotals](ctx, s.client, in)
	if err != nil {
		return shardTotals{}, fmt.Errorf("read counters of run %s: %w", runID, err)
	}
	var t shardTotals
	for _, sh := range shards {
		t.TasksDone += sh.TasksDone
		total, add := t.WorkerFields(), sh.WorkerFields()
		for i := range total {
			*total[i].Value += *add[i].Value
		}
	}
	return t, nil
}

// withWorkerCounts adds the workers' counters to a run that has not ended
// (an ended run holds its final totals).
func (s *Store) withWorkerCounts(ctx context.Context, r *run.Run) error {
	if r.State.Ended() {
		return nil
	}
	t, err := s.shardTotals(ctx, r.RunId)
	if err != nil {
		return err
	}
	// The record's Deferred is the planner's; the workers' add to it.
	deferred := r.Deferred
	r.TasksDone = t.TasksDone
	got, sum := r.WorkerFields(), t.WorkerFields()
	for i := range got {
		*got[i].Value = *sum[i].Value
	}
	r.Deferred += deferred
	return nil
}

// CompleteIfDone ends a run whose planning is done and whose every task
// has ended, with its final counts, exactly once: the planner and the
// workers all call it, and only the call that finds the run still running
// ends it. It returns the run as it is afterwards; a run that this call
// did not end comes back as its record holds it, without the workers'
// counts, so that a caller may pass it to CompleteIfPlanned again.
func (s *Store) CompleteIfDone(ctx context.Context, runID string) (run.Run, bool, error) {
	r, err := s.GetRunRecord(ctx, runID)
	if err != nil || r.State.Ended() || !r.PlanningDone {
		return r, false, err // while planning, the planner checks when it is done
	}
	return s.CompleteIfPlanned(ctx, r)
}

// CompleteIfPlanned is CompleteIfDone for a run read after its planning
// ended: it reads only the workers' counters. Events may still add tasks
// to it (JoinRun): a run read before they did is read again, once.
func (s *Store) CompleteIfPlanned(ctx context.Context, r run.Run) (run.Run, bool, error) {
	done, ended, err := s.completeIfPlanned(ctx, r)
	if err == nil && !ended && !done.State.Ended() && done.TasksPlanned != r.TasksPlanned {
		return s.completeIfPlanned(ctx, done)
	}
	return done, ended, err
}

// completeIfPlanned ends planned if its every task has ended. A run it
// does not end comes back without the workers' counts (the record), so
// that passing it again adds the workers' Deferred to the planner's once.
func (s *Store) completeIfPlanned(ctx context.Context, planned run.Run) (run.Run, bool, error) {
	r := planned
	if err := s.withWorkerCounts(ctx, &r); err != nil || r.TasksDone < r.TasksPlanned {
		return planned, false, err // the workers' Deferred adds to the planner's: add it once
	}
	state := run.Failed
	succeeded, reason := rules.RunEnd(r.Failed, r.FailedValidation)
	if succeeded {
		state = run.Succeeded
	}
	end := s.endRun(r.RunId, state, reason, time.Now(), &shardTotals{Counts: r.Counts, TasksDone: r.TasksDone, Planned: r.TasksPlanned})
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		end, s.releaseLease(r.DatasetId, r.RunId), s.outboxPut(r.RunId, state, time.Now()),
	}})
	if reasons := canceledBy(err); len(reasons) > 0 {
		// Another caller ended it, it lost its lease, or events added
		// tasks: an ended run's record holds its totals.
		r, gerr := s.GetRunRecord(ctx, r.RunId)
		return r, false, gerr
	}
	if err != nil {
		return planned, false, fmt.Errorf("complete run %s: %w", r.RunId, err)
	}
	r.State, r.Reason = state, reason
	return r, true, nil
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
