package metadata

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Superseded files: an event-made task commits under its event's gate
// (shared/eventingest), so two tasks of one name in one run (two writes of
// a key, their events close together) have two gates. When the newer one
// commits first, the older one's commit is refused, as it must be: the
// catalog keeps the newer version. The refusal is not a duplicate (which
// finds its own gate), and the run planned a task for it: the task is
// counted done, as Deferred (the newer version's task copies it), and
// listed among the run's skipped files; that listing, written with the
// count, makes the count happen once however often the task is retried.

// SupersededReason is why a run lists a file whose older version it did not commit.
const SupersededReason = "a newer version of the file, announced by a later event, was catalogued first: " + rules.DeferredReason

// countSuperseded counts each of results done (Deferred) and lists it,
// once: the listing is conditional on not holding this gate already.
func (s *Store) countSuperseded(ctx context.Context, r run.Run, results []run.FileResult) error {
	gate, n, err := gateOf(r)
	if err != nil {
		return err
	}
	for _, res := range results {
		item, err := outcomeItem(r.RunId, skippedPrefix, run.FileOutcome{Name: res.Name, SourceKey: res.SourceKey,
			Outcome: run.OutcomeDeferred, Reason: SupersededReason}, s.expiresAt())
		if err != nil {
			return err
		}
		item[attrGate] = gate
		once := expression.AttributeNotExists(expression.Name(attrSK)).Or(expression.Name(attrGate).NotEqual(expression.Value(gate)))
		shard := key(runPrefix+r.RunId, fmt.Sprintf("%s%02d", countPrefix, rand.IntN(counterShards)))
		err = s.transact(ctx, types.TransactWriteItem{Put: s.putWith(item, build(expression.NewBuilder().WithCondition(once)))},
			types.TransactWriteItem{Update: s.update(shard, expression.Add(expression.Name("TasksDone"), expression.Value(1)).
				Add(expression.Name("Deferred"), expression.Value(1)).Set(expression.Name(AttrExpiresAt), expression.Value(s.expiry())))})
		if reasons := canceledBy(err); len(reasons) > 0 && conditionFailed(reasons[0]) {
			continue // counted before
		}
		if err != nil {
			return fmt.Errorf("count the superseded file %s of run %s (gate %d): %w", res.Name, r.RunId, n, err)
		}
	}
	return nil
}
