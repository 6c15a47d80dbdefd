// Package access holds the one sharing rule of the platform's resources
// (connections, datasets, schedules): the creator owns a resource, its
// AuthorizedUsers may see and use it, and nobody else learns it exists.
package access

import (
	"regexp"
	"slices"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

// MaxAuthorizedUsers keeps an update of a resource's access list within one
// DynamoDB transaction (100 items).
const MaxAuthorizedUsers = 50

var userPattern = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{1,128}$`)

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
		if !userPattern.MatchString(u) {
			return nil, apperr.Invalid("AuthorizedUsers", "%q is not a user id (1 to 128 letters, digits or _.@+-)", u)
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
