package metadata

import (
	"context"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// A commit of 99 files the planner found absent writes their entries in 4
// batches of inserts and no put, and the entries are the very items a put
// per file writes (but for the dataset's key and the commit's id). Where
// the hint is stale, the entries exist: each insert is refused and the
// file is put, as without the hint.
func TestInsertsOfNewEntries(t *testing.T) {
	s, ops := countingStore(t)
	ctx := context.Background()
	r := gateRun()
	hinted, plain := r, r
	plain.DatasetId = uuid.NewString()
	results := benchResults(r.RunId, 99)
	commit := func(r run.Run, hint bool, want map[string]int) {
		t.Helper()
		ops.reset()
		for i := range results {
			results[i].NoEntry = hint
		}
		if n, err := s.CommitFiles(ctx, r, results); err != nil || n != len(results) {
			t.Fatalf("committed %d (%v), want %d", n, err, len(results))
		}
		if got := ops.get("BatchExecuteStatement", "PutItem"); !maps.Equal(got, want) {
			t.Errorf("requests %v, want %v", got, want)
		}
	}
	commit(hinted, true, map[string]int{"BatchExecuteStatement": 4, "PutItem": 0})
	commit(plain, false, map[string]int{"BatchExecuteStatement": 0, "PutItem": 99})
	wantTotals(t, s, r, 198, 198, 0)
	for _, res := range results {
		a, b := entryItem(t, s, hinted, res.Name), entryItem(t, s, plain, res.Name)
		for _, k := range []string{attrPK, attrCommit} {
			delete(a, k)
			delete(b, k)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: inserted %v, put %v", res.Name, a, b)
		}
	}
	// Stale hints: a later run copies the same names, which have entries.
	later := gateRun()
	later.DatasetId = hinted.DatasetId
	results = benchResults(later.RunId, 30)
	commit(later, true, map[string]int{"BatchExecuteStatement": 2, "PutItem": 30})
	wantTotals(t, s, later, 30, 30, 0)
	for _, res := range results {
		if got := entryItem(t, s, later, res.Name)["RunId"]; !reflect.DeepEqual(got, str(later.RunId)) {
			t.Fatalf("%s: entry of run %v, want the later run's", res.Name, got)
		}
	}
}

// The statement names every attribute, quoted, and carries every value as
// a parameter, in the same order.
func TestInsertStatement(t *testing.T) {
	item := map[string]types.AttributeValue{"SK": str("FILE#a'b"), "PK": str("FILES#d"), "Size": &types.AttributeValueMemberN{Value: "3"}}
	st := insertStatement(`t"x`, item)
	want := `INSERT INTO "t""x" VALUE {'PK': ?, 'SK': ?, 'Size': ?}`
	if aws.ToString(st.Statement) != want {
		t.Errorf("statement %q, want %q", aws.ToString(st.Statement), want)
	}
	if !reflect.DeepEqual(st.Parameters, []types.AttributeValue{item["PK"], item["SK"], item["Size"]}) {
		t.Errorf("parameters %v", st.Parameters)
	}
}

func entryItem(t *testing.T, s *Store, r run.Run, name string) map[string]types.AttributeValue {
	t.Helper()
	g, _ := s.catalogGates(r)
	out, err := s.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &s.table, Key: g.entryKey(name), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("entry of %s: %v (%v)", name, out, err)
	}
	return out.Item
}

// countingStore is a store on a fresh table whose requests ops counts.
func countingStore(t *testing.T) (*Store, *opCounts) {
	base := newStore(t)
	ops := &opCounts{n: map[string]int{}}
	c := dynamodb.New(client.Options(), func(o *dynamodb.Options) { o.HTTPClient = opCountingClient{o.HTTPClient, ops} })
	return New(c, base.table), ops
}

// opCounts counts a client's requests by operation.
type opCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *opCounts) reset() { c.mu.Lock(); clear(c.n); c.mu.Unlock() }

func (c *opCounts) get(ops ...string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, op := range ops {
		out[op] = c.n[op]
	}
	return out
}

type opCountingClient struct {
	next dynamodb.HTTPClient
	ops  *opCounts
}

func (c opCountingClient) Do(r *http.Request) (*http.Response, error) {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	c.ops.mu.Lock()
	c.ops.n[op]++
	c.ops.mu.Unlock()
	return c.next.Do(r)
}

// A file name is a source owner's choice, hostile until proven otherwise:
// one shaped as PartiQL that would close the tuple and set the gate is
// stored as the name it is, under the run's gate, because every value is a
// parameter (and each is inserted: no put follows).
func TestInsertedNamesAreData(t *testing.T) {
	s, ops := countingStore(t)
	ctx := context.Background()
	r := gateRun()
	names := []string{`x', 'Gate': 0} --.csv`, `?".csv`, `a''b ? {'PK': 'RUN#x'}.csv`}
	var results []run.FileResult
	for _, n := range names {
		res := gateCopied(r, n, "e1")
		res.NoEntry = true
		results = append(results, res)
	}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != len(names) {
		t.Fatalf("committed %d (%v), want %d", n, err, len(names))
	}
	if got := ops.get("BatchExecuteStatement", "PutItem"); got["BatchExecuteStatement"] != 1 || got["PutItem"] != 0 {
		t.Errorf("requests %v, want one batch and no put", got)
	}
	g, _ := s.catalogGates(r)
	for _, n := range names {
		item := entryItem(t, s, r, n)
		if !reflect.DeepEqual(item["Name"], str(n)) || !reflect.DeepEqual(item[attrGate], g.gate) {
			t.Errorf("%q: stored as %v under gate %v", n, item["Name"], item[attrGate])
		}
	}
}
