package metadata

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// wantOwned checks user's counter of kind k.
func wantOwned(t *testing.T, s *Store, user string, k quota.Kind, want int64) {
	t.Helper()
	var got struct{ Connections, Datasets, Schedules int64 }
	item := rawItem(t, s, ownedKey(user), &got)
	n := map[quota.Kind]int64{quota.Connections: got.Connections, quota.Datasets: got.Datasets, quota.Schedules: got.Schedules}[k]
	if _, ok := item[k.Counter]; !ok || n != want {
		t.Fatalf("%s owns %d %s by the counter (present: %v), want %d", user, n, k.Name, ok, want)
	}
}

// wantQuotaConflict checks err is the 409 of kind k's quota.
func wantQuotaConflict(t *testing.T, err error, k quota.Kind) {
	t.Helper()
	if apperr.KindOf(err) != apperr.KindConflict || !strings.Contains(err.Error(), k.Setting) {
		t.Fatalf("got %v, want a conflict naming %s", err, k.Setting)
	}
}

func TestQuotaOfConnections(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	s.WithLimits(quota.Limits{Connections: 2})
	a, b := conn("q-a", "alice"), conn("q-b", "alice")
	for _, c := range []connection.Connection{a, b, conn("q-bob", "bob", "alice")} {
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	wantQuotaConflict(t, s.CreateConnection(ctx, conn("q-c", "alice")), quota.Connections)
	wantOwned(t, s, "alice", quota.Connections, 2) // bob's, shared with her, is not hers
	if err := s.DeleteConnection(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantOwned(t, s, "alice", quota.Connections, 1)
	if err := s.CreateConnection(ctx, conn("q-c", "alice")); err != nil {
		t.Fatalf("a delete frees a slot: %v", err)
	}
}

func TestQuotaOfDatasetsAndSchedules(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	s.WithLimits(quota.Limits{Datasets: 1, Schedules: 1})
	c := conn("q-ds", "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := datasetOn(c, "q1", false)
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	wantQuotaConflict(t, s.CreateDataset(ctx, datasetOn(c, "q2", false)), quota.Datasets)
	sch := scheduleOf(d)
	if err := s.CreateSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	wantQuotaConflict(t, s.CreateSchedule(ctx, scheduleOf(d)), quota.Schedules)
	if err := s.DeleteSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	wantOwned(t, s, "owner", quota.Datasets, 0)
	wantOwned(t, s, "owner", quota.Schedules, 0)
}

// Concurrent creates of one user never overshoot the limit, and the
// counter ends at what was created.
func TestQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	const limit, n = 3, 12
	s.WithLimits(quota.Limits{Connections: limit})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateConnection(ctx, conn(fmt.Sprintf("race-%d", i), "alice"))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantQuotaConflict(t, err, quota.Connections)
		}
	}
	if ok != limit {
		t.Fatalf("%d creates succeeded, want %d", ok, limit)
	}
	page, _, err := s.ListConnections(ctx, "alice", 50, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != ok {
		t.Fatalf("alice sees %d connections, %d creates succeeded", len(page), ok)
	}
	wantOwned(t, s, "alice", quota.Connections, int64(ok))
}

// A user who owned resources before the counters existed starts with
// what they own, counted at their first create.
func TestQuotaCountsWhatAUserOwnedBefore(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	for _, c := range []connection.Connection{conn("old-1", "carol"), conn("old-2", "carol"), conn("dave-1", "dave", "carol")} {
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// As before the counters: no OWNED item.
	for _, u := range []string{"carol", "dave"} {
		if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: ownedKey(u)}); err != nil {
			t.Fatal(err)
		}
	}
	s.WithLimits(quota.Limits{Connections: 3})
	if err := s.CreateConnection(ctx, conn("new-1", "carol")); err != nil {
		t.Fatal(err)
	}
	wantOwned(t, s, "carol", quota.Connections, 3)
	wantQuotaConflict(t, s.CreateConnection(ctx, conn("new-2", "carol")), quota.Connections)
}
