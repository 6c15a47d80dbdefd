package iamlocal

import (
	"net/http"
	"time"
)

// NoSuchRole is IAM's NoSuchEntity for a role name its account does not
// have.
func NoSuchRole(name string) error {
	return &Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The role with name " + name + " cannot be found."}
}

// CreateRole adds a role created through the IAM API, owned by the
// account of its ARN, which Persist saves: it refuses (EntityAlreadyExists)
// a name the account already has, whatever its path, as IAM does. An
// empty ID gets a fresh AROA... id and a zero Created the current time.
func (r *Registry) CreateRole(role Role) error {
	if role.ID == "" {
		role.ID = "AROA" + random(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	}
	if role.Created.IsZero() {
		role.Created = time.Now().UTC().Truncate(time.Second)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.named(Account(role.ARN), RoleName(role.ARN)); ok {
		return &Error{Status: http.StatusConflict, Code: "EntityAlreadyExists", Message: "Role with name " + RoleName(role.ARN) + " already exists."}
	}
	r.roles[role.ARN] = role.clone()
	r.created[role.ARN] = true
	return r.saveLocked()
}

// RoleNamed returns account's role called name (NoSuchEntity when it has
// none), for the IAM API, which names roles without their path.
func (r *Registry) RoleNamed(account, name string) (Role, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	role, ok := r.named(account, name)
	if !ok {
		return Role{}, NoSuchRole(name)
	}
	return role.clone(), nil
}

// UpdateRole lets change edit a copy of account's role called name and
// keeps the copy unless change fails, in one step, so that concurrent
// changes do not lose each other's; the role's sessions act with the
// changed policies from then on.
func (r *Registry) UpdateRole(account, name string, change func(*Role) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	role, ok := r.named(account, name)
	if !ok {
		return NoSuchRole(name)
	}
	role = role.clone()
	if err := change(&role); err != nil {
		return err
	}
	r.roles[role.ARN] = role
	return r.saveLocked()
}

// DeleteRole deletes account's role called name, which ends its sessions'
// permissions; like IAM it refuses (DeleteConflict) while the role still
// has policies.
func (r *Registry) DeleteRole(account, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	role, ok := r.named(account, name)
	switch {
	case !ok:
		return NoSuchRole(name)
	case len(role.Inline) > 0:
		return &Error{Status: http.StatusConflict, Code: "DeleteConflict", Message: "Cannot delete entity, must delete policies first."}
	case len(role.Policies) > 0:
		return &Error{Status: http.StatusConflict, Code: "DeleteConflict", Message: "Cannot delete entity, must detach all policies first."}
	}
	delete(r.roles, role.ARN)
	delete(r.created, role.ARN)
	return r.saveLocked()
}

// named finds account's role called name; r.mu must be held.
func (r *Registry) named(account, name string) (Role, bool) {
	for arn, role := range r.roles {
		if Account(arn) == account && RoleName(arn) == name {
			return role, true
		}
	}
	return Role{}, false
}
