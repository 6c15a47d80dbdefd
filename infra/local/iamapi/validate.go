package iamapi

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

var (
	// namePattern is IAM's pattern of role and policy names.
	namePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// pathPattern is IAM's pattern of paths: "/" or /.../ of printable ASCII.
	pathPattern = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
)

// Limits IAM enforces by default on a role's documents.
const (
	maxTrustSize  = 2048  // the ACLSizePerRole quota
	maxInlineSize = 10240 // all of a role's inline policies together
)

func validation(msg string) error {
	return &iamlocal.Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
}

// constraint is IAM's message for one violated model constraint.
func constraint(value any, field, rule string) error {
	return validation(fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must %s", value, field, rule))
}

func malformed(msg string) error {
	return &iamlocal.Error{Status: http.StatusBadRequest, Code: "MalformedPolicyDocument", Message: msg}
}

func limitExceeded(msg string) error {
	return &iamlocal.Error{Status: http.StatusConflict, Code: "LimitExceeded", Message: msg}
}

// required returns the parameter param, refusing it when it was not sent.
func required(params url.Values, param string) (string, error) {
	if !params.Has(param) {
		field := strings.ToLower(param[:1]) + param[1:]
		return "", validation("1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null")
	}
	return params.Get(param), nil
}

// name reads a role or policy name, of at most max characters.
func name(params url.Values, param string, max int) (string, error) {
	v, err := required(params, param)
	if err != nil {
		return "", err
	}
	field := strings.ToLower(param[:1]) + param[1:]
	switch {
	case len(v) < 1:
		return "", constraint(v, field, "have length greater than or equal to 1")
	case len(v) > max:
		return "", constraint(v, field, fmt.Sprintf("have length less than or equal to %d", max))
	case !namePattern.MatchString(v):
		return "", constraint(v, field, `satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return v, nil
}

func roleName(params url.Values) (string, error)   { return name(params, "RoleName", 64) }
func policyName(params url.Values) (string, error) { return name(params, "PolicyName", 128) }

// rolePath reads CreateRole's Path, "/" when not sent.
func rolePath(params url.Values) (string, error) {
	if !params.Has("Path") {
		return "/", nil
	}
	p := params.Get("Path")
	switch {
	case len(p) < 1 || len(p) > 512:
		return "", constraint(p, "path", "have length between 1 and 512")
	case !pathPattern.MatchString(p):
		return "", constraint(p, "path", `satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return p, nil
}

// maxSession reads CreateRole's MaxSessionDuration, one hour when not sent.
func maxSession(params url.Values) (time.Duration, error) {
	if !params.Has("MaxSessionDuration") {
		return time.Hour, nil
	}
	v := params.Get("MaxSessionDuration")
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case err != nil:
		return 0, constraint(v, "maxSessionDuration", "be a number")
	case n < 3600:
		return 0, constraint(n, "maxSessionDuration", "have value greater than or equal to 3600")
	case n > 43200:
		return 0, constraint(n, "maxSessionDuration", "have value less than or equal to 43200")
	}
	return time.Duration(n) * time.Second, nil
}

// tags reads CreateRole's Tags.member.N.Key/Value.
func tags(params url.Values) ([]iamlocal.Tag, error) {
	var out []iamlocal.Tag
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Tags.member.%d.", i)
		if !params.Has(prefix+"Key") && !params.Has(prefix+"Value") {
			return out, nil
		}
		key, value := params.Get(prefix+"Key"), params.Get(prefix+"Value")
		switch {
		case len(key) < 1 || len(key) > 128:
			return nil, constraint(key, fmt.Sprintf("tags.%d.member.key", i), "have length between 1 and 128")
		case len(value) > 256:
			return nil, constraint(value, fmt.Sprintf("tags.%d.member.value", i), "have length less than or equal to 256")
		case i > 50:
			return nil, limitExceeded("The number of tags has reached the maximum limit.")
		}
		out = append(out, iamlocal.Tag{Key: key, Value: value})
	}
}

// document parses a policy document as IAM reads one, refusing
// (MalformedPolicyDocument) what it would and what iamlocal cannot
// evaluate.
func document(text string) (policy.Document, error) {
	d, err := policy.Parse([]byte(text))
	if err != nil {
		return d, malformed("Syntax errors in policy: " + err.Error())
	}
	if err := iamlocal.Check(d); err != nil {
		return d, malformed(err.Error())
	}
	return d, nil
}

// trustPolicy reads a role's trust policy from param: every statement
// names a Principal and only sts: actions, and none a Resource.
func trustPolicy(params url.Values, param string) (policy.Document, string, error) {
	text, err := required(params, param)
	if err != nil {
		return policy.Document{}, "", err
	}
	if len(text) > maxTrustSize {
		return policy.Document{}, "", limitExceeded(fmt.Sprintf("Cannot exceed quota for ACLSizePerRole: %d", maxTrustSize))
	}
	d, err := document(text)
	if err != nil {
		return d, "", err
	}
	for _, s := range d.Statement {
		switch {
		case len(s.Principal) == 0:
			return d, "", malformed("Missing required field Principal")
		case len(s.Resource) > 0:
			return d, "", malformed("Has prohibited field Resource")
		}
		for _, a := range s.Action {
			if !strings.HasPrefix(strings.ToLower(a), "sts:") {
				return d, "", malformed("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
	}
	return d, text, nil
}

// identityPolicy reads an inline policy from PolicyDocument: no statement
// names a Principal, and each a Resource.
func identityPolicy(params url.Values) (policy.Document, string, error) {
	text, err := required(params, "PolicyDocument")
	if err != nil {
		return policy.Document{}, "", err
	}
	d, err := document(text)
	if err != nil {
		return d, "", err
	}
	for _, s := range d.Statement {
		switch {
		case len(s.Principal) > 0:
			return d, "", malformed("Policy document should not specify a principal.")
		case len(s.Resource) == 0:
			return d, "", malformed("Policy statement must contain resources.")
		}
	}
	return d, text, nil
}
