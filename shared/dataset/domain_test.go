package dataset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

// The store's claim errors become the API's answers: a taken name and a
// retired one are 409s naming DatasetName, the retired one saying that the
// files remain in the lake; a domain not shared is a 403 naming Domain.
func TestClaimErrors(t *testing.T) {
	d := Dataset{Domain: "fin", DatasetName: "ledger"}
	for _, tc := range []struct {
		err   error
		kind  apperr.Kind
		field string
		words []string
	}{
		{ErrNameTaken, apperr.KindConflict, "DatasetName", []string{"fin", "ledger", "unique"}},
		{fmt.Errorf("wrapped: %w", ErrNameRetired), apperr.KindConflict, "DatasetName", []string{"deleted dataset", "remain in the lake", "ledger"}},
		{ErrDomainNotShared, apperr.KindForbidden, "Domain", []string{"fin", "belongs to another user", "AuthorizedUsers"}},
	} {
		var e *apperr.Error
		if !errors.As(claimError(tc.err, d), &e) || e.Kind != tc.kind || e.Field != tc.field {
			t.Errorf("%v: %v, want kind %v naming %s", tc.err, claimError(tc.err, d), tc.kind, tc.field)
			continue
		}
		for _, w := range tc.words {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%v: %q does not say %q", tc.err, e.Message, w)
			}
		}
	}
	for _, err := range []error{nil, ErrConnectionChanged, errors.New("other")} {
		if got := claimError(err, d); got != nil {
			t.Errorf("%v: %v, want nil (not a claim error)", err, got)
		}
	}
}

type fakeDomains struct {
	d       Domain
	updated []Domain
}

func (f *fakeDomains) GetDomain(_ context.Context, name string) (Domain, error) {
	if !strings.EqualFold(name, f.d.Domain) {
		return Domain{}, DomainNotFound(name)
	}
	return f.d, nil
}

func (f *fakeDomains) UpdateDomain(_ context.Context, old, updated Domain) error {
	if old.Revision != f.d.Revision {
		return ErrConcurrentChange
	}
	f.d, f.updated = updated, append(f.updated, updated)
	return nil
}

// A domain is shown to its owner and authorized users, and shared by its
// owner only: authorized users get 403, anyone else and any name that is no
// domain's get 404, without echoing an invalid name.
func TestDomainsShareLikeResources(t *testing.T) {
	store := &fakeDomains{d: Domain{Domain: "Fin", CreatedBy: "alice", AuthorizedUsers: []string{"alice", "bob"}, Revision: 1}}
	s, ctx := &Domains{Store: store}, context.Background()
	for _, tc := range []struct {
		caller, name string
		want         apperr.Kind
	}{
		{"alice", "fin", 0}, {"bob", "FIN", 0}, {"mallory", "fin", apperr.KindNotFound},
		{"alice", "other", apperr.KindNotFound}, {"alice", "a/../b\n", apperr.KindNotFound},
	} {
		v, err := s.Get(ctx, tc.caller, tc.name)
		if apperr.KindOf(err) != tc.want || err == nil && v.CreatedBy != "alice" || err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s reads %q: %+v %v, want kind %v", tc.caller, tc.name, v, err, tc.want)
		}
	}
	users := []string{"carol", "carol"}
	for caller, want := range map[string]apperr.Kind{"bob": apperr.KindForbidden, "mallory": apperr.KindNotFound} {
		if _, err := s.Update(ctx, caller, "fin", DomainUpdateInput{AuthorizedUsers: &users}); apperr.KindOf(err) != want {
			t.Errorf("%s shares: %v, want kind %v", caller, err, want)
		}
	}
	v, err := s.Update(ctx, "alice", "fin", DomainUpdateInput{AuthorizedUsers: &users})
	if err != nil || !slices.Equal(v.AuthorizedUsers, []string{"alice", "carol"}) || store.d.Revision != 2 || len(store.updated) != 1 {
		t.Errorf("alice shares with carol: %+v %v (stored %+v)", v, err, store.d)
	}
	bad := []string{"bad user"}
	if _, err := s.Update(ctx, "alice", "fin", DomainUpdateInput{AuthorizedUsers: &bad}); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("an invalid user: %v, want invalid", err)
	}
}
