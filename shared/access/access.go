// Package access holds the one sharing rule of the platform's resources
// (connections, datasets, schedules): the creator owns a resource, its
// AuthorizedUsers may see and use it, and nobody else learns it exists.
//
// A user id is the user's name in the user pool (the token's
// cognito:username), not the token's sub, an opaque UUID nobody can look
// up: people share with names they know. A name outlives its user (an
// administrator may delete a user and create another of the same name), so
// the platform binds each name to the first sub it saw with it: a later
// user of the same name is not the one resources were shared with, and is
// refused until an operator releases the name (`make release-user`).
package access

import (
	"regexp"
	"slices"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

// MaxAuthorizedUsers keeps an update of a resource's access list within one
// DynamoDB transaction (100 items).
const MaxAuthorizedUsers = 50

// UserRule is the rule of a user id, as messages state it.
const UserRule = "1 to 128 letters, digits or _.@+-"

var userPattern = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{1,128}$`)

// ValidUser says whether id is a user id (UserRule). It is the one rule of
// both the entries of AuthorizedUsers and the caller's id (the token's
// user name),
// so that a caller is always someone an owner could share with, and no two
// spellings of one id (a trailing space, a NUL) are distinct users.
func ValidUser(id string) bool { return userPattern.MatchString(id) }

// CanSee says whether user is the owner or one of users.
func CanSee(owner string, users []string, user string) bool {
	return user == owner || slices.Contains(users, user)
}

// NormalizeUsers validates user ids (field AuthorizedUsers) and drops duplicates.
func NormalizeUsers(users []string) ([]string, error) {
	if len(users) > MaxAuthorizedUsers {
		return nil, apperr.Invalid("AuthorizedUsers", "at most %d users", MaxAuthorizedUsers)
	}
	out := make([]string, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !ValidUser(u) {
			return nil, apperr.Invalid("AuthorizedUsers", "%q is not a user id ("+UserRule+")", u)
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// WithOwner returns users with owner first, unless it is already there: the
// owner is always authorized.
func WithOwner(owner string, users []string) []string {
	if slices.Contains(users, owner) {
		return users
	}
	return append([]string{owner}, users...)
}

// Added returns the users of after that are not in before: the ones a
// change of AuthorizedUsers shares with.
func Added(before, after []string) []string {
	var out []string
	for _, u := range after {
		if !slices.Contains(before, u) {
			out = append(out, u)
		}
	}
	return out
}

// Resource is what the sharing rule needs of a connection, dataset or schedule.
type Resource interface {
	CanSee(user string) bool
	Owner() string
	// Describe names the resource in messages, e.g. "connection acme-sales".
	Describe() string
}

// Visible returns r, read with err, if caller may see it; anyone else gets
// notFound, so that nobody learns of resources they have no access to.
func Visible[R Resource](r R, err error, caller string, notFound error) (R, error) {
	var zero R
	if err != nil {
		return zero, err
	}
	if !r.CanSee(caller) {
		return zero, notFound
	}
	return r, nil
}

// Owned is Visible for a change, which only the owner may make: authorized
// users get a 403 (they know the resource exists).
func Owned[R Resource](r R, err error, caller string, notFound error) (R, error) {
	r, err = Visible(r, err, caller, notFound)
	if err != nil {
		return r, err
	}
	if r.Owner() != caller {
		var zero R
		return zero, apperr.Forbidden("only the owner of %s can change or delete it", r.Describe())
	}
	return r, nil
}
