package dataset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
)

// A Domain is the first part of every zone key of its datasets
// (<Domain>/<DatasetName>/…). Its first creator owns it: the store writes
// its record in the transaction of the first dataset created in it, and
// every later create in it requires the creator to be its owner or one of
// its AuthorizedUsers (ErrDomainNotShared), so that nobody writes into
// another user's prefixes of the lake.
//
// Domain names are not secret: they are the lake's top-level prefixes,
// which every reader of the lake sees, so a refused create says that the
// domain belongs to someone else (403 naming Domain). The record itself,
// with its owner and AuthorizedUsers, is shown only to those (404 else).
type Domain struct {
	Domain          string // as its first creator spelled it
	CreatedBy       string
	AuthorizedUsers []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Revision        int64
}

// CanSee says whether user may see the domain and create datasets in it.
func (d Domain) CanSee(user string) bool { return access.CanSee(d.CreatedBy, d.AuthorizedUsers, user) }

// Owner is who may share the domain.
func (d Domain) Owner() string { return d.CreatedBy }

// Describe names the domain in messages.
func (d Domain) Describe() string { return "domain " + d.Domain }

// DomainView is a domain as the API shows it.
type DomainView struct {
	Domain          string
	CreatedBy       string
	AuthorizedUsers []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// View returns what the API shows of d.
func (d Domain) View() DomainView {
	return DomainView{Domain: d.Domain, CreatedBy: d.CreatedBy, AuthorizedUsers: d.AuthorizedUsers, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// DomainUpdateInput is the body of PUT /domains/{name}: only these fields change.
type DomainUpdateInput struct {
	AuthorizedUsers *[]string
}

// DomainStore keeps the domains' records.
type DomainStore interface {
	// GetDomain reads a domain by name, ignoring case: a *apperr.Error of
	// KindNotFound when absent.
	GetDomain(ctx context.Context, name string) (Domain, error)
	// UpdateDomain replaces old with updated if unchanged since read (ErrConcurrentChange).
	UpdateDomain(ctx context.Context, old, updated Domain) error
}

// Errors of CreateDataset about names and domains.
var (
	// ErrNameRetired: the name belonged to a dataset, since deleted, of
	// another owner; its files remain under its prefix in the lake.
	ErrNameRetired = errors.New("dataset name belonged to a deleted dataset")
	// ErrDomainNotShared: the domain belongs to a user who has not shared it
	// with the creator.
	ErrDomainNotShared = errors.New("domain not shared with the creator")
)

// claimError explains the errors of CreateDataset about d's name and
// domain, or returns nil for any other.
func claimError(err error, d Dataset) error {
	switch {
	case errors.Is(err, ErrNameTaken):
		return apperr.Conflict("DatasetName", "domain %s already has a dataset named %s (names are unique in a domain, ignoring case)", d.Domain, d.DatasetName)
	case errors.Is(err, ErrNameRetired):
		return apperr.Conflict("DatasetName", "the name %s in domain %s belonged to a deleted dataset whose files remain in the lake under its prefix: "+
			"only that dataset's owner may use the name again; choose another name", d.DatasetName, d.Domain)
	case errors.Is(err, ErrDomainNotShared):
		return &apperr.Error{Kind: apperr.KindForbidden, Field: "Domain", Message: fmt.Sprintf(
			"domain %s belongs to another user: ask its owner to add you to its AuthorizedUsers (PUT /domains/%s), or use another domain", d.Domain, d.Domain)}
	}
	return nil
}

// Domains runs the domain use cases: read a domain, share it.
type Domains struct {
	Store DomainStore
	Now   func() time.Time
}

// DomainNotFound is the error for an absent domain, and for one the caller may not see.
func DomainNotFound(name string) error { return apperr.NotFound("domain %s not found", name) }

// errNoSuchDomainName answers a name no domain can have, without echoing it.
var errNoSuchDomainName = apperr.NotFound("domain not found: domain names are 2 to 64 characters of letters, digits, '_' or '-'")

// Get returns a domain the caller owns or is authorized in; others get not-found.
func (s *Domains) Get(ctx context.Context, caller, name string) (DomainView, error) {
	d, err := s.visible(ctx, caller, name)
	return d.View(), err
}

// CheckDomainName answers not-found for a name no domain can have, as for
// any path id that names nothing: before a request's body is read.
func CheckDomainName(name string) error {
	if !domainPattern.MatchString(name) {
		return errNoSuchDomainName
	}
	return nil
}

// Update changes the domain's AuthorizedUsers; only its owner may.
func (s *Domains) Update(ctx context.Context, caller, name string, in DomainUpdateInput) (DomainView, error) {
	if !domainPattern.MatchString(name) {
		return DomainView{}, errNoSuchDomainName
	}
	old, err := s.Store.GetDomain(ctx, name)
	if old, err = access.Owned(old, err, caller, DomainNotFound(name)); err != nil {
		return DomainView{}, err
	}
	d := old
	if in.AuthorizedUsers != nil {
		users, err := access.NormalizeUsers(*in.AuthorizedUsers)
		if err != nil {
			return DomainView{}, err
		}
		d.AuthorizedUsers = access.WithOwner(d.CreatedBy, users)
	}
	d.UpdatedAt, d.Revision = s.now(), old.Revision+1
	switch err := s.Store.UpdateDomain(ctx, old, d); {
	case errors.Is(err, ErrConcurrentChange):
		return DomainView{}, apperr.Conflict("", "domain %s was changed by another request: read it again and retry", d.Domain)
	case err != nil:
		return DomainView{}, err
	}
	return d.View(), nil
}

func (s *Domains) visible(ctx context.Context, caller, name string) (Domain, error) {
	if !domainPattern.MatchString(name) { // no domain has it: not worth a lookup
		return Domain{}, errNoSuchDomainName
	}
	d, err := s.Store.GetDomain(ctx, name)
	return access.Visible(d, err, caller, DomainNotFound(name))
}

func (s *Domains) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
