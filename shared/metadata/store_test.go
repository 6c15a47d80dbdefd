package metadata

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/google/uuid"
)

// The store is tested against DynamoDB Local over HTTP, as DynamoDB pages,
// conditions and transactions are what it relies on.
var client *dynamodb.Client

func TestMain(m *testing.M) {
	ctx := context.Background()
	port, err := emulators.FreePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ddb, err := emulators.DynamoDB{Port: port, Log: os.Stderr}.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "DynamoDB Local:", err)
		os.Exit(1)
	}
	client = dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ddb.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	code := m.Run()
	_ = ddb.Stop()
	os.Exit(code)
}

// newStore creates a fresh table for one test.
func newStore(t *testing.T) *Store {
	t.Helper()
	table := "test-" + uuid.NewString()
	if err := EnsureTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	return New(client, table)
}

func conn(name, owner string, users ...string) connection.Connection {
	now := time.Now().UTC().Truncate(time.Millisecond)
	id, _ := uuid.NewV7()
	return connection.Connection{
		ConnectionId: id.String(), ConnectionName: name, ConnectionType: "s3", CreatedBy: owner,
		AuthorizedUsers: append([]string{owner}, users...), S3Bucket: "acme-" + name,
		ConnectionAccessType: connection.AccessKeys, AccessKeyId: "AKIAIOSFODNN7EXAMPLE",
		SecretCiphertext: []byte{1, 2, 3}, Version: rules.V1_8, CreatedAt: now, UpdatedAt: now, Revision: 1,
	}
}

func TestCreateGetRoundTrip(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("orders", "alice", "bob")
	c.PreviousVersions = []rules.Version{rules.V1_6}
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConnection(ctx, c.ConnectionId)
	if err != nil {
		t.Fatal(err)
	}
	if got.ConnectionName != c.ConnectionName || !slices.Equal(got.SecretCiphertext, c.SecretCiphertext) ||
		!got.CreatedAt.Equal(c.CreatedAt) || !slices.Equal(got.AuthorizedUsers, c.AuthorizedUsers) ||
		!slices.Equal(got.PreviousVersions, c.PreviousVersions) || got.Revision != 1 {
		t.Fatalf("round trip: got %+v, want %+v", got, c)
	}
	if _, err := s.GetConnection(ctx, "nope"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("absent: %v", err)
	}
}

func TestNameIsUniqueUnderConcurrentCreates(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "Shared-Name"
			if i%2 == 1 {
				name = "shared-name" // names are unique ignoring case
			}
			errs[i] = s.CreateConnection(ctx, conn(name, fmt.Sprintf("user%d", i)))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, connection.ErrNameTaken):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", ok)
	}
	// The losers wrote nothing: each user sees at most one connection.
	total := 0
	for i := range n {
		page, _, err := s.ListConnections(ctx, fmt.Sprintf("user%d", i), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		total += len(page)
	}
	if total != 1 {
		t.Fatalf("users see %d connections in all, want 1", total)
	}
}

func TestListPagesThroughWhatTheUserMaySee(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	var want []string
	for i := range 7 {
		c := conn(fmt.Sprintf("conn-%d", i), "alice")
		if i%3 == 0 {
			c = conn(fmt.Sprintf("conn-%d", i), "carol", "alice")
		}
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ConnectionId)
	}
	if err := s.CreateConnection(ctx, conn("not-alices", "mallory")); err != nil {
		t.Fatal(err)
	}
	var got []string
	next, pages := "", 0
	for {
		page, tok, err := s.ListConnections(ctx, "alice", 3, next)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			got = append(got, c.ConnectionId)
		}
		pages++
		if next = tok; next == "" || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v in order", got, want)
	}
	if pages < 3 {
		t.Fatalf("%d pages of 3 for 7 items", pages)
	}
	if _, _, err := s.ListConnections(ctx, "alice", 3, "garbage!"); apperr.KindOf(err) != apperr.KindInvalid {
		t.Fatalf("bad token: %v", err)
	}
}

// A page that ends the list has no token: DynamoDB's LastEvaluatedKey on a
// query that stops at its Limit right at the end would lead to an empty page.
func TestLastPageHasNoToken(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	for _, n := range []int{0, 1, 3, 6, 7} {
		t.Run(fmt.Sprint(n, " items"), func(t *testing.T) {
			user := fmt.Sprintf("pager-%d", n)
			for i := range n {
				if err := s.CreateConnection(ctx, conn(fmt.Sprintf("%s-%d", user, i), user)); err != nil {
					t.Fatal(err)
				}
			}
			var sizes []int
			for next := ""; ; {
				page, tok, err := s.ListConnections(ctx, user, 3, next)
				if err != nil || len(sizes) > n {
					t.Fatalf("page %d: %v (pages so far %v)", len(sizes)+1, err, sizes)
				}
				if sizes = append(sizes, len(page)); tok == "" {
					break
				}
				next = tok
			}
			want := []int{}
			for left := n; left > 0; left -= 3 {
				want = append(want, min(left, 3))
			}
			if n == 0 {
				want = []int{0}
			}
			if !slices.Equal(sizes, want) {
				t.Fatalf("pages of %v, want %v", sizes, want)
			}
		})
	}
}

func TestUpdateKeepsAccessEntriesInStep(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	old := conn("shared", "alice", "bob")
	if err := s.CreateConnection(ctx, old); err != nil {
		t.Fatal(err)
	}
	updated := old
	updated.AuthorizedUsers = []string{"alice", "carol"}
	updated.Revision = 2
	if err := s.UpdateConnection(ctx, old, updated); err != nil {
		t.Fatal(err)
	}
	for user, n := range map[string]int{"alice": 1, "bob": 0, "carol": 1} {
		page, _, err := s.ListConnections(ctx, user, 10, "")
		if err != nil || len(page) != n {
			t.Errorf("%s sees %d (%v), want %d", user, len(page), err, n)
		}
	}
	// A second update from the stale revision loses.
	if err := s.UpdateConnection(ctx, old, updated); !errors.Is(err, connection.ErrConcurrentChange) {
		t.Fatalf("stale update: %v", err)
	}
}

func TestDeleteGuardsAndCleansUp(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("to-delete", "alice", "bob")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	setUsage(t, s, c.ConnectionId, "Datasets", 1)
	if err := s.DeleteConnection(ctx, c); !errors.Is(err, connection.ErrInUse) {
		t.Fatalf("delete in use: %v", err)
	}
	setUsage(t, s, c.ConnectionId, "Datasets", 0)
	stale := c
	stale.Revision = 0
	if err := s.DeleteConnection(ctx, stale); !errors.Is(err, connection.ErrConcurrentChange) {
		t.Fatalf("stale delete: %v", err)
	}
	if err := s.DeleteConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if page, _, _ := s.ListConnections(ctx, "bob", 10, ""); len(page) != 0 {
		t.Fatalf("access entry left behind")
	}
	if err := s.CreateConnection(ctx, conn("TO-DELETE", "dave")); err != nil {
		t.Fatalf("name claim left behind: %v", err)
	}
}

func TestDowngradeGuardOnSkipLZDatasets(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("skiplz", "alice")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	setUsage(t, s, c.ConnectionId, "SkipLZDatasets", 1)
	down := c
	down.Version, down.Revision = rules.V1_7, 2
	if err := s.UpdateConnection(ctx, c, down); !errors.Is(err, connection.ErrInUse) {
		t.Fatalf("downgrade with skip-LZ dataset: %v", err)
	}
	setUsage(t, s, c.ConnectionId, "SkipLZDatasets", 0)
	if err := s.UpdateConnection(ctx, c, down); err != nil {
		t.Fatal(err)
	}
}

// setUsage writes the usage counters that dataset writes maintain.
func setUsage(t *testing.T, s *Store, id, attr string, n int64) {
	t.Helper()
	item := usageKey(id)
	item[attr] = number(n)
	if _, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

// rawItem reads the item at k as stored, and decodes it into out.
func rawItem(t *testing.T, s *Store, k map[string]types.AttributeValue, out any) map[string]types.AttributeValue {
	t.Helper()
	got, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if err := attributevalue.UnmarshalMap(got.Item, out); err != nil {
		t.Fatal(err)
	}
	return got.Item
}

// A connection's id is written once, and a connection that no dataset ever
// used (it has no usage item) deletes.
func TestConnectionIdOnceAndUnusedDelete(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("first", "alice")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	again := c
	again.ConnectionName = "second"
	if err := s.CreateConnection(ctx, again); err == nil || errors.Is(err, connection.ErrNameTaken) {
		t.Errorf("the same id again: %v, want an error of its own", err)
	}
	if err := s.CreateConnection(ctx, conn("second", "bob")); err != nil {
		t.Errorf("a name a failed create would have claimed: %v", err)
	}
	if err := s.DeleteConnection(ctx, c); err != nil {
		t.Errorf("delete a connection with no usage item: %v", err)
	}
}
