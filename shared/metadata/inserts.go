package metadata

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
	"golang.org/x/sync/errgroup"
)

// A copied file the planner found no catalog entry for (run.FileResult's
// NoEntry) has its entry written first by a PartiQL INSERT, 25 to a
// BatchExecuteStatement, where writeEntry takes a PutItem per file. An
// INSERT succeeds only where no item has the key, which the gate admits
// (gateOpen: no Gate), and it writes the very item writeEntry would put, so
// an inserted file is one writeEntry would have counted. Every statement
// refused (DuplicateItem: the planner's read was stale, a later run wrote
// the name, or this commit's own insert was retried after a lost answer)
// or failed, and every file of a batch whose answer did not come, goes
// the PutItem way, which reads the refusal: the hint changes the requests,
// never the count. Each INSERT is a single-item write (1 write unit under
// 1 KB), not a transaction: what the batch saves is the requests.
const (
	// insertsPerBatch is BatchExecuteStatement's limit of statements.
	insertsPerBatch = 25
	// insertWriters is how many batches a commit sends at once.
	insertWriters = 4
)

// insertNew inserts the catalog entries of results' copied files marked
// NoEntry, stamped with commit id, and returns the names inserted. It
// fails if an entry cannot be encoded or ctx ended: a refusal or a failed
// request leaves the files to writeEntry.
func (g catalogGates) insertNew(ctx context.Context, id string, results []run.FileResult) (map[string]bool, error) {
	var fresh []run.FileResult
	for _, res := range results {
		if res.File != nil && res.NoEntry {
			fresh = append(fresh, res)
		}
	}
	inserted := make(map[string]bool, len(fresh))
	if len(fresh) == 0 {
		return inserted, nil
	}
	names := make([][]string, (len(fresh)+insertsPerBatch-1)/insertsPerBatch)
	var eg errgroup.Group
	eg.SetLimit(insertWriters)
	for b, batch := range slices.Collect(slices.Chunk(fresh, insertsPerBatch)) {
		eg.Go(func() error {
			var err error
			names[b], err = g.insertBatch(ctx, id, batch)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, batch := range names {
		for _, n := range batch {
			inserted[n] = true
		}
	}
	return inserted, ctx.Err()
}

// insertBatch sends one BatchExecuteStatement of batch's entries and
// returns the names of those inserted.
func (g catalogGates) insertBatch(ctx context.Context, id string, batch []run.FileResult) ([]string, error) {
	statements := make([]types.BatchStatementRequest, len(batch))
	for i, res := range batch {
		item, err := g.entry(res, id)
		if err != nil {
			return nil, err
		}
		statements[i] = insertStatement(g.s.table, item)
	}
	out, err := g.s.client.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: statements})
	if err != nil || len(out.Responses) != len(batch) {
		return nil, nil // writeEntry tries each file again, and reads any insert that landed
	}
	var names []string
	for i, r := range out.Responses { // in the statements' order
		if r.Error == nil {
			names = append(names, batch[i].Name)
		}
	}
	return names, nil
}

// insertStatement is the PartiQL INSERT of item into table: the attribute
// names, which are the code's own, quoted in the statement, and every
// value a parameter, never text of the statement.
func insertStatement(table string, item map[string]types.AttributeValue) types.BatchStatementRequest {
	names := slices.Sorted(maps.Keys(item))
	var b strings.Builder
	b.WriteString(`INSERT INTO "` + strings.ReplaceAll(table, `"`, `""`) + `" VALUE {`)
	params := make([]types.AttributeValue, len(names))
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + strings.ReplaceAll(n, "'", "''") + "': ?")
		params[i] = item[n]
	}
	b.WriteString("}")
	statement := b.String()
	return types.BatchStatementRequest{Statement: &statement, Parameters: params}
}
