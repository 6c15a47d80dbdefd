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
// accounts both the identity and the resource policy must allow. A
// resource policy that names only the principal's account (its id or root
// ARN) delegates to the account: it adds nothing to the identity policy.
func Allowed(req Request, resource *policy.Document) bool {
	v := decide(req, resource)
	if v.deny {
		return false
	}
	if req.Principal.Account != "" && req.Principal.Account == req.ResourceAccount {
		return v.idAllow || v.resNamed
	}
	return v.idAllow && (v.resNamed || v.resAccount)
}

// verdict is what each policy says about one request.
type verdict struct {
	idAllow bool
	// resNamed: the resource policy allows the principal by name (its
	// ARN, its role, or "*"); resAccount: only by its account.
	resNamed, resAccount bool
	deny                 bool // an explicit deny in either policy
}

func decide(req Request, resource *policy.Document) verdict {
	var v verdict
	for _, d := range req.Principal.Policies {
		for _, s := range d.Statement {
			if statementApplies(s, req) {
				v.idAllow = v.idAllow || s.Effect == policy.Allow
				v.deny = v.deny || s.Effect == policy.Deny
			}
		}
	}
	if resource == nil {
		return v
	}
	for _, s := range resource.Statement {
		by := principalMatches(s.Principal, req.Principal)
		if by == noMatch || !statementApplies(s, req) {
			continue
		}
		switch {
		case s.Effect == policy.Deny:
			v.deny = true
		case s.Effect == policy.Allow && by == byName:
			v.resNamed = true
		case s.Effect == policy.Allow:
			v.resAccount = true
		}
	}
	return v
}

func statementApplies(s policy.Statement, req Request) bool {
	if !anyMatch(s.Action, req.Action, true) {
		return false
	}
	if len(s.Resource) > 0 && !anyMatch(s.Resource, req.Resource, false) {
		return false
	}
	return conditionsHold(s.Condition, req)
}

// principalMatches says how a statement's Principal names who: the best
// match among its AWS values.
func principalMatches(p policy.Principal, who Principal) match {
	best := noMatch
	for _, v := range p["AWS"] {
		if m := matchesPrincipal(v, who); m > best {
			best = m
		}
	}
	return best
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
	pat, val := []rune(pattern), []rune(value)
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(val) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, mark = p, v
			p++
		case p < len(pat) && (pat[p] == '?' || pat[p] == val[v]):
			p++
			v++
		case star >= 0:
			mark++
			p, v = star+1, mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

// arnLike matches ARNs as ArnEquals and ArnLike do: each of the six
// colon-separated parts on its own, case-sensitively, with wildcards.
func arnLike(value, pattern string) bool {
	vs, ps := strings.SplitN(value, ":", 6), strings.SplitN(pattern, ":", 6)
	if len(vs) != 6 || len(ps) != 6 {
		return false
	}
	for i := range ps {
		if !glob(ps[i], vs[i], false) {
			return false
		}
	}
	return true
}

// contextValue looks key up, case-insensitively as IAM does. The
// resource account keys default to req.ResourceAccount, so a policy
// conditioned on them never sees them missing where AWS has them.
func contextValue(req Request, key string) (string, bool) {
	lk := strings.ToLower(key)
	switch {
	case lk == "aws:principalarn":
		return req.Principal.PrincipalArn(), req.Principal.ARN != ""
	case lk == "aws:principalaccount":
		return req.Principal.Account, req.Principal.Account != ""
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
	s3 := lk == "s3:resourceaccount" && strings.HasPrefix(strings.ToLower(req.Action), "s3:")
	if (s3 || lk == "aws:resourceaccount") && req.ResourceAccount != "" {
		return req.ResourceAccount, true
	}
	return "", false
}

// operators are the condition operators evaluated here; each says whether
// the context value v matches one condition value want.
var operators = map[string]func(v, want string) bool{
	"StringEquals":           func(v, w string) bool { return v == w },
	"StringEqualsIgnoreCase": strings.EqualFold,
	"StringLike":             func(v, w string) bool { return glob(w, v, false) },
	"ArnEquals":              arnLike,
	"ArnLike":                arnLike,
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
