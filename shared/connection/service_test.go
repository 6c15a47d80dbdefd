package connection

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// memStore is an in-memory Store for the use-case rules; the DynamoDB store
// is tested against DynamoDB Local.
type memStore struct {
	conns    map[string]Connection
	datasets []DatasetRef
}

func (m *memStore) CreateConnection(_ context.Context, c Connection) error {
	m.conns[c.ConnectionId] = c
	return nil
}
func (m *memStore) GetConnection(_ context.Context, id string) (Connection, error) {
	c, ok := m.conns[id]
	if !ok {
		return Connection{}, NotFound(id)
	}
	return c, nil
}
func (m *memStore) ListConnections(context.Context, string, int, string) ([]Connection, string, error) {
	return nil, "", nil
}
func (m *memStore) UpdateConnection(_ context.Context, old, c Connection) error {
	if m.conns[old.ConnectionId].Revision != old.Revision {
		return ErrConcurrentChange
	}
	m.conns[c.ConnectionId] = c
	return nil
}
func (m *memStore) DeleteConnection(_ context.Context, c Connection) error {
	if len(m.datasets) > 0 {
		return ErrInUse
	}
	delete(m.conns, c.ConnectionId)
	return nil
}
func (m *memStore) DatasetsOfConnection(context.Context, string) ([]DatasetRef, error) {
	return m.datasets, nil
}

type fakeSealer struct{}

func (fakeSealer) Seal(_ context.Context, id, plain string) ([]byte, error) {
	return []byte("sealed:" + id), nil
}

func newService(datasets ...DatasetRef) (*Service, *memStore) {
	st := &memStore{conns: map[string]Connection{}, datasets: datasets}
	return &Service{Store: st, Sealer: fakeSealer{}}, st
}

func TestVersionTransitions(t *testing.T) {
	skipLZ := DatasetRef{DatasetId: "d1", DatasetName: "raw", Domain: "sales", SkipLZ: true}
	type step struct {
		op      string // "up", "up:1.7", "down"
		want    rules.Version
		errKind apperr.Kind
	}
	testCases := []struct {
		name     string
		start    rules.Version
		datasets []DatasetRef
		steps    []step
	}{
		{"never upgraded cannot downgrade", rules.V1_6, nil, []step{{"down", rules.V1_6, apperr.KindConflict}}},
		{"upgrade to latest and back", rules.V1_6, nil, []step{{"up", rules.V1_8, 0}, {"down", rules.V1_6, 0}, {"down", rules.V1_6, apperr.KindConflict}}},
		{"step by step and back", rules.V1_6, nil, []step{{"up:1.7", rules.V1_7, 0}, {"up:1.8", rules.V1_8, 0}, {"down", rules.V1_7, 0}, {"down", rules.V1_6, 0}}},
		{"already latest", rules.V1_8, nil, []step{{"up", rules.V1_8, apperr.KindConflict}}},
		{"not newer", rules.V1_7, nil, []step{{"up:1.6", rules.V1_7, apperr.KindInvalid}, {"up:1.7", rules.V1_7, apperr.KindInvalid}}},
		{"unknown", rules.V1_6, nil, []step{{"up:2.0", rules.V1_6, apperr.KindInvalid}}},
		{"skip-LZ dataset blocks going below 1.8", rules.V1_7, []DatasetRef{skipLZ}, []step{{"up", rules.V1_8, 0}, {"down", rules.V1_8, apperr.KindConflict}}},
		{"skip-LZ dataset allows 1.8 to stay", rules.V1_6, []DatasetRef{{DatasetName: "x", SkipLZ: false}}, []step{{"up", rules.V1_8, 0}, {"down", rules.V1_6, 0}}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(tc.datasets...)
			ctx := context.Background()
			in := validCreate()
			in.Version = tc.start
			v, err := svc.Create(ctx, "alice", in)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				switch s.op {
				case "down":
					_, err = svc.Downgrade(ctx, "alice", v.ConnectionId)
				case "up":
					_, err = svc.Upgrade(ctx, "alice", v.ConnectionId, "")
				default:
					_, err = svc.Upgrade(ctx, "alice", v.ConnectionId, rules.Version(s.op[3:]))
				}
				if s.errKind == 0 && err != nil || s.errKind != 0 && apperr.KindOf(err) != s.errKind {
					t.Fatalf("step %d %s: err %v, want kind %v", i, s.op, err, s.errKind)
				}
				if got := st.conns[v.ConnectionId].Version; got != s.want {
					t.Fatalf("step %d %s: version %s, want %s", i, s.op, got, s.want)
				}
			}
		})
	}
}

func TestOnlyTheOwnerChanges(t *testing.T) {
	svc, _ := newService()
	ctx := context.Background()
	in := validCreate()
	in.AuthorizedUsers = []string{"bob"}
	v, err := svc.Create(ctx, "alice", in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.AuthorizedUsers, []string{"alice", "bob"}) {
		t.Errorf("owner not authorized: %v", v.AuthorizedUsers)
	}
	if _, err := svc.Get(ctx, "bob", v.ConnectionId); err != nil {
		t.Errorf("authorized user cannot see: %v", err)
	}
	if _, err := svc.Get(ctx, "mallory", v.ConnectionId); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("stranger: %v", err)
	}
	desc := "mine now"
	if _, err := svc.Update(ctx, "bob", v.ConnectionId, UpdateInput{Description: &desc}); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("authorized user changed it: %v", err)
	}
	if err := svc.Delete(ctx, "mallory", v.ConnectionId); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("stranger delete: %v", err)
	}
	// The owner cannot be removed from the authorized users.
	got, err := svc.Update(ctx, "alice", v.ConnectionId, UpdateInput{AuthorizedUsers: &[]string{"carol"}})
	if err != nil || !slices.Equal(got.AuthorizedUsers, []string{"alice", "carol"}) {
		t.Errorf("update users: %v %v", got.AuthorizedUsers, err)
	}
}

func TestDeleteInUseNamesDatasets(t *testing.T) {
	svc, _ := newService(DatasetRef{DatasetId: "d1", DatasetName: "orders", Domain: "sales"})
	ctx := context.Background()
	v, err := svc.Create(ctx, "alice", validCreate())
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Delete(ctx, "alice", v.ConnectionId)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.KindConflict || !strings.Contains(e.Message, "sales/orders") {
		t.Fatalf("want 409 naming sales/orders, got %v", err)
	}
}

// An assume_role connection gets its own unguessable ExternalId, stores no
// key, refuses a role of the platform's account, and its policies are the
// role's trust (the reader role, with that ExternalId and the connection's
// tag) and permissions (reads of that bucket).
func TestAssumeRoleConnections(t *testing.T) {
	s, st := newService()
	s.SourceReaderRoleARN = "arn:aws:iam::000000000000:role/s3connections-source-reader"
	in := func(role string) CreateInput {
		return CreateInput{ConnectionName: "role-" + role[len(role)-1:], S3Bucket: "acme-sales", ConnectionAccessType: AssumeRole, RoleArn: role}
	}
	ctx := context.Background()
	a, err := s.Create(ctx, "alice", in("arn:aws:iam::111122223333:role/a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(ctx, "mallory", in("arn:aws:iam::111122223333:role/b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ExternalId) < 40 || a.ExternalId == b.ExternalId || st.conns[a.ConnectionId].SecretCiphertext != nil {
		t.Errorf("external ids %q and %q, stored secret %q", a.ExternalId, b.ExternalId, st.conns[a.ConnectionId].SecretCiphertext)
	}
	_, err = s.Create(ctx, "alice", in("arn:aws:iam::000000000000:role/x"))
	if ae := (*apperr.Error)(nil); !errors.As(err, &ae) || ae.Field != "RoleArn" {
		t.Errorf("a role of the platform's account: %v, want a 400 naming RoleArn", err)
	}
	p, err := s.Policies(ctx, "alice", a.ConnectionId)
	if err != nil {
		t.Fatal(err)
	}
	trust := p.TrustPolicy.Statement[0]
	if !slices.Equal(trust.Principal["AWS"], []string{s.SourceReaderRoleARN}) || !slices.Equal(trust.Action, []string{"sts:AssumeRole"}) ||
		!slices.Equal(trust.Condition["StringEquals"]["sts:ExternalId"], []string{a.ExternalId}) ||
		!slices.Equal(trust.Condition["StringEquals"]["aws:PrincipalTag/ConnectionId"], []string{a.ConnectionId}) {
		t.Errorf("trust %+v", trust)
	}
	var grants []string
	for _, st := range p.PermissionsPolicy.Statement {
		if st.Principal != nil {
			t.Errorf("permissions statement %s names a principal", st.Sid)
		}
		grants = append(grants, strings.Join(st.Action, ",")+" on "+strings.Join(st.Resource, ","))
	}
	want := []string{"s3:ListBucket,s3:GetBucketLocation on arn:aws:s3:::acme-sales", "s3:GetObject on arn:aws:s3:::acme-sales/*", "kms:Decrypt on arn:aws:kms:*:*:key/*"}
	if !slices.Equal(grants, want) || p.BucketPolicy.Statement != nil {
		t.Errorf("permissions %v, want %v (and no bucket policy)", grants, want)
	}
}
