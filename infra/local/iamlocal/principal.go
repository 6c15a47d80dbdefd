package iamlocal

import (
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
	// Tags are a session's tags (aws:PrincipalTag/<key>).
	Tags map[string]string
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

// Admin is an identity policy that allows everything, as an account's
// administrator has.
func Admin() policy.Document {
	return policy.Document{Version: policy.Version, Statement: policy.Statements{{
		Sid: "Administrator", Effect: policy.Allow, Action: policy.Strings{"*"}, Resource: policy.Strings{"*"},
	}}}
}

// Root is the ARN of an account as a principal.
func Root(account string) string { return "arn:aws:iam::" + account + ":root" }

// matchesPrincipal says whether one Principal value of a resource policy
// names p: "*", the account (id or root ARN), p's own ARN, or p's role.
func matchesPrincipal(value string, p Principal) bool {
	switch value {
	case "*":
		return true
	case p.Account, Root(p.Account):
		return true
	case p.ARN:
		return true
	}
	return p.RoleARN != "" && value == p.RoleARN
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
