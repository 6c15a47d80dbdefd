package iamlocal

import (
	"fmt"
	"strings"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// Request is one action on one resource, as a policy evaluation sees it.
type Request struct {
	Principal Principal
	Action    string // e.g. "s3:GetObject"
	Resource  string // e.g. "arn:aws:s3:::bucket/key"
	// ResourceAccount owns the resource (a bucket's owner, a role's account).
	ResourceAccount string
	// Context holds the service's condition keys, such as
	// s3:ResourceAccount or sts:ExternalId; the aws:Principal* keys are
	// added from Principal.
	Context map[string]string
}

// Allowed decides req as AWS does, with resource the resource's policy
// (nil when it has none): an explicit deny in either policy refuses; in
// the principal's own account an allow in either suffices; across
// accounts both the identity and the resource policy must allow.
func Allowed(req Request, resource *policy.Document) bool {
	idAllow, idDeny := false, false
	for _, d := range req.Principal.Policies {
		a, dn := evaluate(d, req, false)
		idAllow, idDeny = idAllow || a, idDeny || dn
	}
	resAllow, resDeny := false, false
	if resource != nil {
		resAllow, resDeny = evaluate(*resource, req, true)
	}
	if idDeny || resDeny {
		return false
	}
	if req.Principal.Account == req.ResourceAccount {
		return idAllow || resAllow
	}
	return idAllow && resAllow
}

// evaluate says whether some statement of d allows req, and whether one
// denies it. Resource policies must name the principal.
func evaluate(d policy.Document, req Request, resourcePolicy bool) (allow, deny bool) {
	for _, s := range d.Statement {
		if !statementApplies(s, req, resourcePolicy) {
			continue
		}
		switch s.Effect {
		case policy.Allow:
			allow = true
		case policy.Deny:
			deny = true
		}
	}
	return allow, deny
}

func statementApplies(s policy.Statement, req Request, resourcePolicy bool) bool {
	if resourcePolicy && !principalMatches(s.Principal, req.Principal) {
		return false
	}
	if !anyMatch(s.Action, req.Action, true) {
		return false
	}
	if len(s.Resource) > 0 && !anyMatch(s.Resource, req.Resource, false) {
		return false
	}
	return conditionsHold(s.Condition, req)
}

func principalMatches(p policy.Principal, who Principal) bool {
	for _, v := range p["AWS"] {
		if matchesPrincipal(v, who) {
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, value string, foldCase bool) bool {
	for _, p := range patterns {
		if glob(p, value, foldCase) {
			return true
		}
	}
	return false
}

// glob matches IAM's wildcards: * any run of characters (slashes too),
// ? any one character; nothing else is special.
func glob(pattern, value string, foldCase bool) bool {
	if foldCase {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case star >= 0:
			mark++
			p, v = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// contextValue looks key up, case-insensitively as IAM does.
func contextValue(req Request, key string) (string, bool) {
	lk := strings.ToLower(key)
	switch {
	case lk == "aws:principalarn":
		return req.Principal.PrincipalArn(), true
	case lk == "aws:principalaccount":
		return req.Principal.Account, true
	case strings.HasPrefix(lk, "aws:principaltag/"):
		return req.Principal.tag(key[len("aws:principaltag/"):])
	case lk == "aws:securetransport":
		return "true", true // the local endpoints stand for TLS ones
	}
	for k, v := range req.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// operators are the condition operators evaluated here; each says whether
// the context value v matches one condition value want.
var operators = map[string]func(v, want string) bool{
	"StringEquals":           func(v, w string) bool { return v == w },
	"StringEqualsIgnoreCase": strings.EqualFold,
	"StringLike":             func(v, w string) bool { return glob(w, v, false) },
	"ArnEquals":              func(v, w string) bool { return v == w },
	"ArnLike":                func(v, w string) bool { return glob(w, v, false) },
	"Bool":                   strings.EqualFold,
}

// negated are the operators that hold when no value matches.
var negated = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotLike":             "StringLike",
	"ArnNotEquals":              "ArnEquals",
	"ArnNotLike":                "ArnLike",
}

func conditionsHold(c policy.Conditions, req Request) bool {
	for op, keys := range c {
		for key, values := range keys {
			if !conditionHolds(op, key, values, req) {
				return false
			}
		}
	}
	return true
}

func conditionHolds(op, key string, values []string, req Request) bool {
	v, present := contextValue(req, key)
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	if op == "Null" { // "true": the key must be absent
		return len(values) > 0 && strings.EqualFold(values[0], "true") != present
	}
	if !present {
		_, isNegated := negated[op]
		return ifExists || isNegated
	}
	positive, isNegated := negated[op]
	if !isNegated {
		positive = op
	}
	match := operators[positive]
	if match == nil {
		return false // Check refuses such policies; never allow on one
	}
	for _, w := range values {
		if match(v, w) {
			return !isNegated
		}
	}
	return isNegated
}

// Check refuses a policy that this package cannot evaluate faithfully.
func Check(d policy.Document) error {
	for i, s := range d.Statement {
		for op := range s.Condition {
			base := strings.TrimSuffix(op, "IfExists")
			if _, ok := operators[base]; ok {
				continue
			}
			if _, ok := negated[base]; ok || base == "Null" {
				continue
			}
			return fmt.Errorf("statement %d: condition operator %s is not evaluated by the local platform", i, op)
		}
		for k := range s.Principal {
			if k != "AWS" && k != "Service" && k != "Federated" {
				return fmt.Errorf("statement %d: invalid principal type %s", i, k)
			}
		}
	}
	return nil
}
