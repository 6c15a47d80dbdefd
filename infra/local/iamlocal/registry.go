package iamlocal

import (
	"crypto/rand"
	"encoding/base64"
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

// Role is an IAM role that STS can issue sessions of.
type Role struct {
	ARN      string // arn:aws:iam::<account>:role/<name>
	Trust    policy.Document
	Policies []policy.Document
	// MaxSession caps sessions; zero means one hour, IAM's default.
	MaxSession time.Duration
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
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{keys: map[string]Key{}, roles: map[string]Role{}}
}

// AddKey adds (or replaces) a long-term access key of p.
func (r *Registry) AddKey(akid, secret string, p Principal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[akid] = Key{Secret: secret, Principal: p}
}

// AddRole adds (or replaces) a role.
func (r *Registry) AddRole(role Role) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roles[role.ARN] = role
}

// Lookup returns the key akid as of now: expired sessions are gone.
func (r *Registry) Lookup(akid string, now time.Time) (Key, bool) {
	r.mu.RLock()
	k, ok := r.keys[akid]
	r.mu.RUnlock()
	if ok && !k.Expires.IsZero() && !now.Before(k.Expires) {
		r.mu.Lock()
		if cur, still := r.keys[akid]; still && cur.Token == k.Token {
			delete(r.keys, akid)
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
