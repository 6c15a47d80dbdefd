package metadata

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

// in returns d in domain as a dataset of user, with a fresh id.
func in(d dataset.Dataset, domain, name, user string) dataset.Dataset {
	d.DatasetId, d.Domain, d.DatasetName, d.CreatedBy, d.AuthorizedUsers = newID(), domain, name, user, []string{user}
	return d
}

func newID() string { return datasetOn(conn("x", "x"), "x", false).DatasetId }

// A deleted dataset's name stays claimed in its domain (its files stay under
// <Domain>/<DatasetName>/): nobody else may claim it, in any case, even with
// access to the domain; its former owner may.
func TestDeletedDatasetNameStaysClaimed(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "alice", "bob", "mallory")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	base := datasetOn(c, "x", false)
	ledger := in(base, "fin", "ledger", "alice")
	if err := s.CreateDataset(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	d, _ := s.GetDomain(ctx, "FIN")
	d2 := d
	d2.AuthorizedUsers, d2.Revision = []string{"alice", "bob"}, d.Revision+1
	if err := s.UpdateDomain(ctx, d, d2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, ledger); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    dataset.Dataset
		want error
	}{
		{in(base, "fin", "ledger", "bob"), dataset.ErrNameRetired},           // authorized in the domain
		{in(base, "FIN", "LEDGER", "bob"), dataset.ErrNameRetired},           // in another case
		{in(base, "fin", "ledger", "mallory"), dataset.ErrNameRetired},       // a stranger to the domain: the name first
		{in(base, "fin", "other", "mallory"), dataset.ErrDomainNotShared},    // and any other name of the domain
		{in(base, "fin", "other", "bob"), nil},                               // shared with bob
		{in(base, "Fin", "Ledger", "alice"), nil},                            // its former owner
		{in(base, "fin", "ledger", "alice"), dataset.ErrNameTaken},           // claimed again
		{in(base, "mallorys", "ledger", "mallory"), nil},                     // the name in another domain
		{in(base, "mallorys", "other", "alice"), dataset.ErrDomainNotShared}, // mallory's domain now
	} {
		if err := s.CreateDataset(ctx, tc.d); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s creates %s/%s: %v, want %v", tc.d.CreatedBy, tc.d.Domain, tc.d.DatasetName, err, tc.want)
		}
	}
	var claim struct {
		Kind, FormerOwner, DatasetId string
		Retired                      bool
	}
	other := in(base, "fin", "gone", "bob")
	if err := s.CreateDataset(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, other); err != nil {
		t.Fatal(err)
	}
	rawItem(t, s, datasetNameKey("fin", "gone"), &claim)
	if claim.Kind != "DatasetName" || !claim.Retired || claim.FormerOwner != "bob" || claim.DatasetId != other.DatasetId {
		t.Errorf("the claim after the delete: %+v", claim)
	}
}

// The first create in a domain makes its creator the owner; the owner
// shares it (UpdateDomain, on the revision read); removing a user refuses
// their next create.
func TestDomainOwnership(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "alice", "bob")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	base := datasetOn(c, "x", false)
	if _, err := s.GetDomain(ctx, "sales"); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("an absent domain: %v", err)
	}
	if err := s.CreateDataset(ctx, in(base, "Sales", "orders", "alice")); err != nil {
		t.Fatal(err)
	}
	d, err := s.GetDomain(ctx, "sales")
	if err != nil || d.Domain != "Sales" || d.CreatedBy != "alice" || len(d.AuthorizedUsers) != 1 || d.Revision != 1 {
		t.Fatalf("the domain: %+v (%v)", d, err)
	}
	if err := s.CreateDataset(ctx, in(base, "sales", "b1", "bob")); !errors.Is(err, dataset.ErrDomainNotShared) {
		t.Errorf("bob before sharing: %v", err)
	}
	shared := d
	shared.AuthorizedUsers, shared.Revision = []string{"alice", "bob"}, 2
	if err := s.UpdateDomain(ctx, d, shared); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateDomain(ctx, d, shared); !errors.Is(err, dataset.ErrConcurrentChange) {
		t.Errorf("an update of a stale revision: %v", err)
	}
	if err := s.CreateDataset(ctx, in(base, "sales", "b2", "bob")); err != nil {
		t.Errorf("bob once shared: %v", err)
	}
	if got, _ := s.GetDomain(ctx, "SALES"); got.CreatedBy != "alice" || got.Revision != 2 {
		t.Errorf("a create by an authorized user changed the domain: %+v", got)
	}
	revoked := shared
	revoked.AuthorizedUsers, revoked.Revision = []string{"alice"}, 3
	if err := s.UpdateDomain(ctx, shared, revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDataset(ctx, in(base, "sales", "b3", "bob")); !errors.Is(err, dataset.ErrDomainNotShared) {
		t.Errorf("bob once removed: %v", err)
	}
}

// Domains made before domains had owners get the creator of their earliest
// dataset, once; a second run changes nothing.
func TestMigrateDomains(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "alice", "bob")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	base := datasetOn(c, "x", false)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range []dataset.Dataset{in(base, "legacy", "later", "bob"), in(base, "Legacy", "earlier", "alice")} {
		d.CreatedAt = t0.Add(time.Duration(1-i) * time.Hour)
		if err := s.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
		// as before this change: no domain record
		if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: domainKey("legacy")}); err != nil {
			t.Fatal(err)
		}
	}
	for run := range 2 {
		n, err := s.MigrateDomains(ctx)
		if err != nil || n != 1 {
			t.Fatalf("run %d: %d domains (%v), want 1", run, n, err)
		}
		d, err := s.GetDomain(ctx, "legacy")
		if err != nil || d.CreatedBy != "alice" || d.Domain != "Legacy" || !d.CreatedAt.Equal(t0) {
			t.Fatalf("run %d: the domain %+v (%v), want alice's", run, d, err)
		}
	}
	if err := s.CreateDataset(ctx, in(base, "legacy", "more", "bob")); !errors.Is(err, dataset.ErrDomainNotShared) {
		t.Errorf("bob after the migration: %v", err)
	}
}

// Names of datasets deleted before deletes kept names, whose files are in
// the lake (their catalogs say where), get a retired claim for nobody; a
// name such a dataset left that a later dataset took is reported.
func TestRetireDeletedNames(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "alice", "bob")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	base := datasetOn(c, "x", false)
	gone, reused, live := in(base, "old", "ledger", "alice"), in(base, "old", "taken", "alice"), in(base, "old", "live", "alice")
	for _, d := range []dataset.Dataset{gone, reused, live} {
		if err := s.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
		landed := key(filesPrefix+d.DatasetId, filePrefix+"a.csv")
		landed["Key"] = &types.AttributeValueMemberS{Value: d.TargetKey(time.Now(), "a.csv")}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: landed}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []dataset.Dataset{gone, reused} { // deleted as before this change: the dataset and its claim
		for _, k := range []map[string]types.AttributeValue{datasetKey(d.DatasetId), datasetNameKey(d.Domain, d.DatasetName)} {
			if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.CreateDataset(ctx, in(base, "old", "taken", "alice")); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		r, err := s.RetireDeletedNames(ctx)
		want := NamesRetired{Retired: 1 - run, Claimed: 1 + run, Reused: []string{"old/taken"}}
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Fatalf("run %d: %+v %v, want %+v", run, r, err, want)
		}
	}
	for _, user := range []string{"alice", "bob"} {
		if err := s.CreateDataset(ctx, in(base, "old", "ledger", user)); !errors.Is(err, dataset.ErrNameRetired) {
			t.Errorf("%s creates the deleted dataset's name: %v, want it retired", user, err)
		}
	}
}
