package iamlocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// savedRole is a role as Persist writes it: its policies as their text,
// which loading parses again.
type savedRole struct {
	Arn, RoleId, Path, Description string
	CreateDate                     time.Time
	MaxSessionDuration             int64 `json:",omitempty"` // seconds
	Tags                           []Tag `json:",omitempty"`
	AssumeRolePolicyDocument       string
	RolePolicies                   map[string]string `json:",omitempty"`
}

// savedRoles is the file Persist writes.
type savedRoles struct {
	Roles []savedRole
}

// Persist keeps the roles created through CreateRole in file, so that the
// roles a user made survive a restart of the local platform: it loads the
// file if there is one, then saves it (atomically: a temporary file
// renamed over it) after every change to a created role. Keys, sessions
// and the roles AddRole adds are not saved: keys and roles come from the
// platform's code at every start, and sessions end with the process. A
// loaded role does not replace a role AddRole already added.
func (r *Registry) Persist(file string) error {
	var saved savedRoles
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &saved); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	roles := make([]Role, 0, len(saved.Roles))
	for _, s := range saved.Roles {
		role, err := s.role()
		if err != nil {
			return fmt.Errorf("%s: role %s: %w", file, s.Arn, err)
		}
		roles = append(roles, role)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, role := range roles {
		if _, ok := r.roles[role.ARN]; ok && !r.created[role.ARN] {
			continue // the platform's own role
		}
		r.roles[role.ARN], r.created[role.ARN] = role, true
	}
	r.file = file
	return r.saveLocked()
}

// role parses a saved role's documents.
func (s savedRole) role() (Role, error) {
	trust, err := policy.Parse([]byte(s.AssumeRolePolicyDocument))
	if err != nil {
		return Role{}, err
	}
	role := Role{ARN: s.Arn, ID: s.RoleId, Path: s.Path, Description: s.Description, Created: s.CreateDate, Tags: s.Tags,
		MaxSession: time.Duration(s.MaxSessionDuration) * time.Second, Trust: trust, TrustText: s.AssumeRolePolicyDocument,
		Inline: map[string]InlinePolicy{}}
	if role.ID == "" {
		role.ID = RoleID(role.ARN)
	}
	for name, text := range s.RolePolicies {
		d, err := policy.Parse([]byte(text))
		if err != nil {
			return Role{}, fmt.Errorf("policy %s: %w", name, err)
		}
		role.Inline[name] = InlinePolicy{Text: text, Document: d}
	}
	return role, nil
}

// saveLocked writes the created roles to r.file, if set; r.mu must be
// held, which also keeps saves in the order of the changes.
func (r *Registry) saveLocked() error {
	if r.file == "" {
		return nil
	}
	var out savedRoles
	for _, arn := range slices.Sorted(maps.Keys(r.created)) {
		role := r.roles[arn]
		s := savedRole{Arn: arn, RoleId: role.ID, Path: role.Path, Description: role.Description, CreateDate: role.Created,
			MaxSessionDuration: int64(role.MaxSession / time.Second), Tags: role.Tags, AssumeRolePolicyDocument: role.TrustText}
		if s.AssumeRolePolicyDocument == "" {
			b, _ := json.Marshal(role.Trust)
			s.AssumeRolePolicyDocument = string(b)
		}
		for name, p := range role.Inline {
			if s.RolePolicies == nil {
				s.RolePolicies = map[string]string{}
			}
			s.RolePolicies[name] = p.Text
		}
		out.Roles = append(out.Roles, s)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomically(r.file, append(b, '\n'))
}

// writeAtomically replaces file with data through a temporary file in the
// same directory, so that a crash leaves the old file or the new one,
// never half of one.
func writeAtomically(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
