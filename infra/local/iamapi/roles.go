package iamapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// roleXML is IAM's Role element.
type roleXML struct {
	Path, RoleName, RoleId, Arn, CreateDate string
	AssumeRolePolicyDocument                string
	Description                             string `xml:",omitempty"`
	MaxSessionDuration                      int64
	Tags                                    *tagsXML `xml:",omitempty"`
}

// tagsXML is a list of tags, as IAM's Query protocol lists them.
type tagsXML struct {
	Member []iamlocal.Tag `xml:"member"`
}

// roleResult is CreateRole's and GetRole's result.
type roleResult struct {
	Role roleXML
}

// encodePolicy URL-encodes a policy document as IAM returns them (spaces
// as %20, so that any URL decoder reads it back).
func encodePolicy(text string) string {
	return strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
}

func toXML(role iamlocal.Role) roleResult {
	trust := role.TrustText
	if trust == "" {
		trust = marshal(role.Trust)
	}
	path := role.Path
	if path == "" {
		path = "/"
	}
	maxSession := role.MaxSession
	if maxSession == 0 {
		maxSession = time.Hour
	}
	out := roleXML{Path: path, RoleName: iamlocal.RoleName(role.ARN), RoleId: role.ID, Arn: role.ARN,
		CreateDate: role.Created.UTC().Format("2006-01-02T15:04:05Z"), AssumeRolePolicyDocument: encodePolicy(trust),
		Description: role.Description, MaxSessionDuration: int64(maxSession / time.Second)}
	if len(role.Tags) > 0 {
		out.Tags = &tagsXML{Member: role.Tags}
	}
	return roleResult{Role: out}
}

func (s *Server) createRole(caller iamlocal.Principal, params url.Values) (any, error) {
	name, err := roleName(params)
	if err != nil {
		return nil, err
	}
	role := iamlocal.Role{Description: params.Get("Description"), Created: s.now().UTC().Truncate(time.Second)}
	if len(role.Description) > 1000 {
		return nil, constraint(role.Description, "description", "have length less than or equal to 1000")
	}
	if role.Path, err = rolePath(params); err != nil {
		return nil, err
	}
	if role.MaxSession, err = maxSession(params); err != nil {
		return nil, err
	}
	if role.Tags, err = tags(params); err != nil {
		return nil, err
	}
	role.ARN = roleARN(caller.Account, role.Path, name)
	if err := authorize(caller, "iam:CreateRole", role.ARN); err != nil {
		return nil, err
	}
	if role.Trust, role.TrustText, err = trustPolicy(params, "AssumeRolePolicyDocument"); err != nil {
		return nil, err
	}
	if err := s.registry.CreateRole(role); err != nil {
		return nil, err
	}
	created, err := s.registry.RoleNamed(caller.Account, name)
	if err != nil {
		return nil, err
	}
	return toXML(created), nil
}

func (s *Server) getRole(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "GetRole", params)
	if err != nil {
		return nil, err
	}
	return toXML(role), nil
}

func (s *Server) updateAssumeRolePolicy(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "UpdateAssumeRolePolicy", params)
	if err != nil {
		return nil, err
	}
	trust, text, err := trustPolicy(params, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	return nil, s.registry.UpdateRole(caller.Account, iamlocal.RoleName(role.ARN), func(r *iamlocal.Role) error {
		r.Trust, r.TrustText = trust, text
		return nil
	})
}

func (s *Server) deleteRole(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "DeleteRole", params)
	if err != nil {
		return nil, err
	}
	return nil, s.registry.DeleteRole(caller.Account, iamlocal.RoleName(role.ARN))
}

func (s *Server) putRolePolicy(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "PutRolePolicy", params)
	if err != nil {
		return nil, err
	}
	policyName, err := policyName(params)
	if err != nil {
		return nil, err
	}
	doc, text, err := identityPolicy(params)
	if err != nil {
		return nil, err
	}
	name := iamlocal.RoleName(role.ARN)
	return nil, s.registry.UpdateRole(caller.Account, name, func(r *iamlocal.Role) error {
		if r.Inline == nil {
			r.Inline = map[string]iamlocal.InlinePolicy{}
		}
		r.Inline[policyName] = iamlocal.InlinePolicy{Text: text, Document: doc}
		size := 0
		for _, p := range r.Inline {
			size += len(p.Text)
		}
		if size > maxInlineSize {
			return limitExceeded(fmt.Sprintf("Maximum policy size of %d bytes exceeded for role %s", maxInlineSize, name))
		}
		return nil
	})
}

// noSuchPolicy is IAM's NoSuchEntity for an inline policy a role lacks.
func noSuchPolicy(name string) error {
	return &iamlocal.Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The role policy with name " + name + " cannot be found."}
}

// rolePolicyResult is GetRolePolicy's result.
type rolePolicyResult struct {
	RoleName, PolicyName, PolicyDocument string
}

func (s *Server) getRolePolicy(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "GetRolePolicy", params)
	if err != nil {
		return nil, err
	}
	policyName, err := policyName(params)
	if err != nil {
		return nil, err
	}
	p, ok := role.Inline[policyName]
	if !ok {
		return nil, noSuchPolicy(policyName)
	}
	return rolePolicyResult{RoleName: iamlocal.RoleName(role.ARN), PolicyName: policyName, PolicyDocument: encodePolicy(p.Text)}, nil
}

func (s *Server) deleteRolePolicy(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "DeleteRolePolicy", params)
	if err != nil {
		return nil, err
	}
	policyName, err := policyName(params)
	if err != nil {
		return nil, err
	}
	return nil, s.registry.UpdateRole(caller.Account, iamlocal.RoleName(role.ARN), func(r *iamlocal.Role) error {
		if _, ok := r.Inline[policyName]; !ok {
			return noSuchPolicy(policyName)
		}
		delete(r.Inline, policyName)
		return nil
	})
}

// listResult is ListRolePolicies' result.
type listResult struct {
	PolicyNames struct {
		Member []string `xml:"member"`
	}
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listRolePolicies lists a role's inline policy names in order, MaxItems
// (100 by default) at a time; Marker is the last name of the page before.
func (s *Server) listRolePolicies(caller iamlocal.Principal, params url.Values) (any, error) {
	role, err := s.target(caller, "ListRolePolicies", params)
	if err != nil {
		return nil, err
	}
	maxItems := 100
	if v := params.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, constraint(v, "maxItems", "have value between 1 and 1000")
		}
		maxItems = n
	}
	names := slices.Sorted(maps.Keys(role.Inline))
	marker := params.Get("Marker")
	names = slices.DeleteFunc(names, func(n string) bool { return marker != "" && n <= marker })
	var out listResult
	if len(names) > maxItems {
		names = names[:maxItems]
		out.IsTruncated, out.Marker = true, names[maxItems-1]
	}
	out.PolicyNames.Member = names
	return out, nil
}

// marshal is a document's JSON text, for roles whose trust policy was
// built in code.
func marshal(d policy.Document) string {
	b, _ := json.Marshal(d)
	return string(b)
}
