package metadata

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// The write units of a commit of 99 copied files, as AWS bills them, the
// way workers committed before commit records (one transaction) and now
// (a put per file, a two-item transaction per commit), and with the
// entries of new files inserted in batches of PartiQL INSERTs. Single-item
// writes are measured on DynamoDB Local (ReturnConsumedCapacity). Its
// inserts are not (it reports none), nor its transactions: DynamoDB Local
// 3.3 reports 2 units for a whole transaction of 1, 2 or 99 small items,
// where AWS bills 2 per item of up to 1 KB (2.6 reported that; 3.0
// reports 1 per item: see awslabs/amazon-dynamodb-local-samples#31). So
// an insert's and a transaction's units are computed from their items'
// sizes, as AWS bills them. infra/cdk/COST.md quotes the figures this
// logs.
func TestCommitWriteUnits(t *testing.T) {
	s, units := measuredStore(t)
	ctx := context.Background()
	const files = 99
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: aws.Time(time.Now())}
	results := benchResults(r.RunId, files)
	units.reset()
	if _, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: oneTransactionCommit(t, s, r, results)}); err != nil {
		t.Fatal(err)
	}
	before := units.billed() / files
	r.RunId, r.DatasetId = uuid.NewString(), uuid.NewString()
	results = benchResults(r.RunId, files)
	units.reset()
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != files {
		t.Fatalf("committed %d (%v)", n, err)
	}
	after := units.billed() / files
	r.RunId, r.DatasetId = uuid.NewString(), uuid.NewString()
	results = benchResults(r.RunId, files)
	for i := range results {
		results[i].NoEntry = true
	}
	units.reset()
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != files {
		t.Fatalf("committed %d (%v)", n, err)
	}
	inserted := units.billed() / files
	g, _ := s.catalogGates(r)
	entry, err := g.entry(results[files/2], newCommitID())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("catalog entry of %q: %d bytes; write units per copied file in a commit of %d: %.3f in one transaction, %.3f with commit records (puts measured), %.3f with new files' entries inserted in batches (computed)",
		results[files/2].Name, itemSize(entry), files, before, after, inserted)
	if after > 1+4.0/files+1e-9 || inserted > 1+4.0/files+1e-9 || before < 2 {
		t.Errorf("write units per copied file: %.3f with commit records, %.3f inserted, %.3f before; want ≤ 1 + 4/%d, and 2 or more before", after, inserted, before, files)
	}
}

// writeUnits sums the write units of a store's requests: those that
// single-item writes report, and those of transactions, computed.
type writeUnits struct {
	mu                        sync.Mutex
	single, transact, inserts float64
}

func (u *writeUnits) reset() { u.mu.Lock(); u.single, u.transact, u.inserts = 0, 0, 0; u.mu.Unlock() }

// billed is what AWS bills for the writes.
func (u *writeUnits) billed() float64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.single + u.transact + u.inserts
}

// insertUnits is what AWS bills for a batch of PartiQL INSERTs, computed
// because DynamoDB Local 3.3 reports no consumed capacity for
// BatchExecuteStatement: each statement that wrote its item is a
// single-item write, 1 unit per KB (or part) of the item (a refused one
// costs a unit too, and is counted so).
func insertUnits(statements []types.BatchStatementRequest, responses []types.BatchStatementResponse) float64 {
	n := 0
	for i, st := range statements {
		item := map[string]types.AttributeValue{}
		names := insertedNames.FindAllStringSubmatch(aws.ToString(st.Statement), -1)
		for j, m := range names {
			item[strings.ReplaceAll(m[1], "''", "'")] = st.Parameters[j]
		}
		if i < len(responses) && responses[i].Error != nil {
			n++
			continue
		}
		n += (itemSize(item) + 1023) / 1024
	}
	return float64(n)
}

// insertedNames finds the attribute names of an INSERT (insertStatement).
var insertedNames = regexp.MustCompile(`'((?:[^']|'')*)': \?`)

// transactUnits is what AWS bills for a transaction: 2 units per KB (or
// part) of each item, counting an update or delete (here: counters, gates
// and pending restores, all small) as one.
func transactUnits(items []types.TransactWriteItem) float64 {
	n := 0
	for _, it := range items {
		kb := 1
		if it.Put != nil {
			kb = (itemSize(it.Put.Item) + 1023) / 1024
		}
		n += 2 * kb
	}
	return float64(n)
}

// measuredStore is a fresh store whose writes ask for and add up their
// consumed capacity.
func measuredStore(t *testing.T) (*Store, *writeUnits) {
	base := newStore(t)
	u := &writeUnits{}
	c := dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("consumedCapacity", u.measure), middleware.After)
		})
	})
	return New(c, base.table), u
}

func (u *writeUnits) measure(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	total := types.ReturnConsumedCapacityTotal
	switch p := in.Parameters.(type) {
	case *dynamodb.PutItemInput:
		p.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		p.ReturnConsumedCapacity = total
	}
	out, md, err := next.HandleInitialize(ctx, in)
	u.mu.Lock()
	defer u.mu.Unlock()
	switch o := out.Result.(type) {
	case *dynamodb.PutItemOutput:
		u.single += capacity(o.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		u.single += capacity(o.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		u.transact += transactUnits(in.Parameters.(*dynamodb.TransactWriteItemsInput).TransactItems)
	case *dynamodb.BatchExecuteStatementOutput:
		u.inserts += insertUnits(in.Parameters.(*dynamodb.BatchExecuteStatementInput).Statements, o.Responses)
	}
	return out, md, err
}

func capacity(c *types.ConsumedCapacity) float64 {
	if c == nil {
		return 0
	}
	return aws.ToFloat64(c.CapacityUnits)
}

// oneTransactionCommit is the commit of copied files as workers made it
// before commit records: every file's catalog entry through its gate, and
// a counter shard's additions, in one transaction.
func oneTransactionCommit(t *testing.T, s *Store, r run.Run, results []run.FileResult) []types.TransactWriteItem {
	gate, _, err := gateOf(r)
	if err != nil {
		t.Fatal(err)
	}
	put := build(expression.NewBuilder().WithCondition(gateOpen(gate)))
	var items []types.TransactWriteItem
	for _, res := range results {
		f, err := attributevalue.MarshalMap(res.File)
		if err != nil {
			t.Fatal(err)
		}
		k := key(filesPrefix+r.DatasetId, filePrefix+fileNameKey(res.Name))
		f[attrPK], f[attrSK], f[attrGate] = k[attrPK], k[attrSK], gate
		items = append(items, types.TransactWriteItem{Put: s.putWith(f, put)})
	}
	return append(items, s.countOnShard(r.RunId, results))
}

// itemSize is an item's size as DynamoDB bills it, for the strings,
// numbers and booleans catalog entries hold: each attribute's name and
// value, a number ~1 byte per two digits and one more.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += (len(v.Value)+1)/2 + 1
		case *types.AttributeValueMemberBOOL:
			n++
		}
	}
	return n
}
