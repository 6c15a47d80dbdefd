package metadata

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/quota"
	"github.com/datalake-platform/s3connections/shared/run"
)

// A user name is bound to the first sub seen with it; another sub of the
// same name is refused until an operator releases the name.
func TestBindUser(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	steps := []struct {
		user, sub string
		release   bool
		want      bool
	}{
		{user: "alice", sub: "sub-1", want: true},
		{user: "alice", sub: "sub-1", want: true},
		{user: "alice", sub: "sub-2", want: false},
		{user: "bob", sub: "sub-2", want: true},
		{user: "alice", release: true, want: true},
		{user: "alice", release: true, want: false},
		{user: "alice", sub: "sub-2", want: true},
		{user: "alice", sub: "sub-1", want: false},
	}
	for i, st := range steps {
		var got bool
		var err error
		if st.release {
			got, err = s.ReleaseUser(ctx, st.user)
		} else {
			got, err = s.BindUser(ctx, st.user, st.sub)
		}
		if err != nil || got != st.want {
			t.Fatalf("step %d %+v: %v %v, want %v", i, st, got, err, st.want)
		}
	}
}

// Records of the time user ids were subs move onto names: owners, access
// lists, run starters, retired name claims, access entries and owned
// counters (added to the counter the name already has), and the names are
// bound. Subs nobody listed stay; a second run changes nothing.
func TestMigrateUsers(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	old := conn("m-old", "sub-a", "sub-b", "sub-gone")
	d := datasetOn(old, "m-data", false)
	d.CreatedBy, d.AuthorizedUsers = "sub-b", []string{"sub-b", "sub-a"}
	for _, err := range []error{s.CreateConnection(ctx, old), s.CreateConnection(ctx, conn("m-new", "alice")), s.CreateDataset(ctx, d)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := run.New(scheduleOf(d), run.OnDemand, "sub-b", old.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, r, old.CreatedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"sub-a": "alice", "sub-b": "bob"}
	for range 2 {
		m, err := s.MigrateUsers(ctx, names)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", m)
	}
	got, err := s.GetConnection(ctx, old.ConnectionId)
	if err != nil || got.CreatedBy != "alice" || !slices.Equal(got.AuthorizedUsers, []string{"alice", "bob", "sub-gone"}) || got.Revision != old.Revision+1 {
		t.Fatalf("connection %+v %v: want alice's, shared with bob and the unlisted sub, one revision on", got, err)
	}
	gotD, err := s.GetDataset(ctx, d.DatasetId)
	if err != nil || gotD.CreatedBy != "bob" || !slices.Equal(gotD.AuthorizedUsers, []string{"bob", "alice"}) {
		t.Fatalf("dataset %+v %v: want bob's, shared with alice", gotD, err)
	}
	gotR, err := s.GetRunRecord(ctx, r.RunId)
	if err != nil || gotR.TriggeredBy != "bob" {
		t.Fatalf("run %+v %v: want started by bob", gotR, err)
	}
	visible, _, err := s.ListConnections(ctx, "alice", 10, "")
	if err != nil || len(visible) != 2 {
		t.Fatalf("alice sees %d connections (%v), want her new one and her migrated one", len(visible), err)
	}
	if left, _, _ := s.ListConnections(ctx, "sub-a", 10, ""); len(left) != 0 {
		t.Fatalf("the sub still has %d access entries", len(left))
	}
	wantOwned(t, s, "alice", quota.Connections, 2)
	for sub, name := range names {
		if ok, err := s.BindUser(ctx, name, sub); err != nil || !ok {
			t.Fatalf("%s is not bound to %s: %v", name, sub, err)
		}
	}
}
