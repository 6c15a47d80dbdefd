package iamlocal

import (
	"crypto/rand"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// Key is an access key and what it stands for.
type Key struct {
	Secret string
	// Token is a session's token, which requests must carry
	// (X-Amz-Security-Token); "" for long-term keys.
	Token     string
	Principal Principal
	// Expires ends a session's key; zero for long-term keys.
	Expires time.Time
}

// Role is an IAM role that STS can issue sessions of. Its account (the
// owner) is the one in its ARN. Its sessions have the permissions of its
// Policies and Inline policies as they are when the session acts, not
// when it was issued, as in AWS.
type Role struct {
	ARN   string // arn:aws:iam::<account>:role/<path><name>
	Trust policy.Document
	// Policies are the role's unnamed policies, which the platform
	// attaches in code (as managed policies are attached: ListRolePolicies
	// does not list them, and DeleteRole refuses a role that has them).
	Policies []policy.Document
	// MaxSession caps sessions; zero means one hour, IAM's default.
	MaxSession time.Duration
	// ID is the role's unique id (AROA...); AddRole sets RoleID(ARN) when
	// it is empty. A role deleted and created again has another ID, so
	// sessions of the old one get no permissions from the new one.
	ID string
	// Path is the role's path ("/" when empty), Description its
	// description, Created its creation time and Tags its tags, as
	// CreateRole set them and GetRole returns them.
	Path, Description string
	Created           time.Time
	Tags              []Tag
	// TrustText is Trust as its author sent it, which GetRole returns;
	// "" for a Trust built in code.
	TrustText string
	// Inline are the role's inline policies (PutRolePolicy) by name.
	Inline map[string]InlinePolicy
}

// InlinePolicy is one named inline policy of a role: the text as sent,
// which GetRolePolicy returns, and the document it parses to.
type InlinePolicy struct {
	Text     string
	Document policy.Document
}

// RoleName is the name in a role's ARN: its last path segment.
func RoleName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// permissions are the identity policies of role's sessions: its unnamed
// policies, then its inline ones in name order.
func (role Role) permissions() []policy.Document {
	out := slices.Clone(role.Policies)
	for _, name := range slices.Sorted(maps.Keys(role.Inline)) {
		out = append(out, role.Inline[name].Document)
	}
	return out
}

// clone copies role deeply enough that changing the copy's Inline and
// Tags leaves role as it was.
func (role Role) clone() Role {
	role.Inline = maps.Clone(role.Inline)
	role.Tags = slices.Clone(role.Tags)
	return role
}

// Account is the account id in an IAM ARN.
func Account(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// Registry holds the local accounts' keys, roles and sessions. Safe for
// concurrent use.
type Registry struct {
	mu    sync.RWMutex
	keys  map[string]Key
	roles map[string]Role
	// created are the ARNs of the roles created through CreateRole (or
	// loaded by Persist): the ones Persist saves.
	created map[string]bool
	// file is where Persist saves roles; "" keeps them in memory only.
	file string
	// expired are the sessions that expired in the last hour, with when:
	// a request signed with one gets AWS's ExpiredToken, not an unknown key.
	expired map[string]time.Time
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{keys: map[string]Key{}, roles: map[string]Role{}, created: map[string]bool{}, expired: map[string]time.Time{}}
}

// AddKey adds (or replaces) a long-term access key of p.
func (r *Registry) AddKey(akid, secret string, p Principal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[akid] = Key{Secret: secret, Principal: p}
}

// AddRole adds (or replaces) a role that the platform defines in code. It
// replaces a saved role of the same ARN and is not saved itself (Persist):
// the platform adds its roles again at every start, so its code decides
// them, not a file an earlier version wrote.
func (r *Registry) AddRole(role Role) {
	if role.ID == "" {
		role.ID = RoleID(role.ARN)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roles[role.ARN] = role
	delete(r.created, role.ARN)
}

// Expired says whether akid is a session that expired (in the last hour),
// which AWS answers with ExpiredToken rather than as an unknown key.
func (r *Registry) Expired(akid string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.expired[akid]
	return ok
}

// Lookup returns the key akid as of now: expired sessions are gone, and a
// session's principal has its role's current policies (none once the
// role is deleted).
func (r *Registry) Lookup(akid string, now time.Time) (Key, bool) {
	k, ok := r.lookup(akid, now)
	if ok && k.Token != "" && k.Principal.RoleARN != "" {
		r.mu.RLock()
		role, found := r.roles[k.Principal.RoleARN]
		r.mu.RUnlock()
		k.Principal.Policies = nil
		if found && role.ID == k.Principal.RoleID {
			k.Principal.Policies = role.permissions()
		}
	}
	return k, ok
}

func (r *Registry) lookup(akid string, now time.Time) (Key, bool) {
	r.mu.RLock()
	k, ok := r.keys[akid]
	r.mu.RUnlock()
	if ok && !k.Expires.IsZero() && !now.Before(k.Expires) {
		r.mu.Lock()
		if cur, still := r.keys[akid]; still && cur.Token == k.Token {
			delete(r.keys, akid)
			for id, at := range r.expired {
				if now.Sub(at) > time.Hour {
					delete(r.expired, id)
				}
			}
			r.expired[akid] = k.Expires
		}
		r.mu.Unlock()
		return Key{}, false
	}
	return k, ok
}

func (r *Registry) role(arn string) (Role, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	role, ok := r.roles[arn]
	return role, ok
}

func (r *Registry) addSession(akid string, k Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[akid] = k
}

// random returns n characters of alphabet, from crypto/rand.
func random(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func token() string {
	b := make([]byte, 96)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
