package iamlocal

import (
	"fmt"
	"strings"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// Principal is who signed a request: an IAM user or role, or a role
// session that STS issued.
type Principal struct {
	Account string
	// ARN is the user's or role's ARN, or for a session
	// arn:aws:sts::<account>:assumed-role/<role>/<session>.
	ARN string
	// RoleARN is a session's role (aws:PrincipalArn); "" otherwise.
	RoleARN string
	// RoleID is a session's role's unique id (Role.ID); "" reads as
	// RoleID(RoleARN).
	RoleID string
	// Tags are a session's tags (aws:PrincipalTag/<key>).
	Tags map[string]string
	// Transitive are the keys of Tags that sessions this session starts
	// (role chaining) inherit.
	Transitive []string
	// Policies are the identity policies: the user's, or the role's.
	Policies []policy.Document
}

// PrincipalArn is the aws:PrincipalArn of p: for sessions, the role.
func (p Principal) PrincipalArn() string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

// UserID is p's aws:userid, as GetCallerIdentity returns it: the
// account for its root, <role id>:<session name> for a session, and a
// stable AIDA... id for a user.
func (p Principal) UserID() string {
	switch {
	case p.RoleID != "":
		return p.RoleID + ":" + RoleName(p.ARN)
	case p.RoleARN != "":
		return RoleID(p.RoleARN) + ":" + RoleName(p.ARN)
	case isRoot(p.ARN, p.Account):
		return p.Account
	}
	return "AIDA" + strings.ToUpper(fmt.Sprintf("%016x", hash(p.ARN)))
}

// Admin is an identity policy that allows everything, as an account's
// administrator has.
func Admin() policy.Document {
	return policy.Document{Version: policy.Version, Statement: policy.Statements{{
		Sid: "Administrator", Effect: policy.Allow, Action: policy.Strings{"*"}, Resource: policy.Strings{"*"},
	}}}
}

// Root is the ARN of an account as a principal.
func Root(account string) string { return "arn:aws:iam::" + account + ":root" }

// match is how a resource policy's Principal names a principal.
type match int

const (
	noMatch   match = iota
	byAccount       // its account id or root ARN: delegates to the account
	byName          // "*", its own ARN, or (for a session) its role's ARN
)

// matchesPrincipal says whether and how one Principal value of a resource
// policy names p.
func matchesPrincipal(value string, p Principal) match {
	switch {
	case value == "*":
		return byName
	case p.ARN != "" && value == p.ARN, p.RoleARN != "" && value == p.RoleARN:
		return byName
	case p.Account != "" && (value == p.Account || isRoot(value, p.Account)):
		return byAccount
	}
	return noMatch
}

// isRoot says whether arn is account's root ARN, in any partition.
func isRoot(arn, account string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == account && parts[5] == "root"
}

// tag returns p's tag key, compared case-insensitively as IAM does.
func (p Principal) tag(key string) (string, bool) {
	for k, v := range p.Tags {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}
