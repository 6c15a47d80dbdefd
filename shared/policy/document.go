package policy

import (
	"encoding/json"
	"fmt"
)

// Version is the IAM policy language version every document uses.
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string
	Id        string `json:",omitempty"`
	Statement Statements
}

// Statements is a document's statements; AWS also accepts a single one.
type Statements []Statement

// UnmarshalJSON reads a single statement object as a list of one.
func (s *Statements) UnmarshalJSON(b []byte) error {
	var one Statement
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = Statements{one}
		return nil
	}
	var many []Statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Statement is one IAM policy statement. Principal is set in resource
// policies (bucket, key and trust policies) and absent in identity policies.
type Statement struct {
	Sid       string `json:",omitempty"`
	Effect    string
	Principal Principal  `json:",omitempty"`
	Action    Strings    `json:",omitempty"`
	Resource  Strings    `json:",omitempty"`
	Condition Conditions `json:",omitempty"`
}

// Effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Strings is a list that AWS also writes as a single string.
type Strings []string

// UnmarshalJSON reads "x" as ["x"].
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %s", b)
	}
	*s = many
	return nil
}

// Principal maps a principal type ("AWS", "Service", "Federated") to its
// values. The anonymous "*" reads as {"AWS": ["*"]}.
type Principal map[string]Strings

// UnmarshalJSON reads "*" as every principal.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal must be \"*\" or an object, not %q", star)
		}
		*p = Principal{"AWS": {"*"}}
		return nil
	}
	var m map[string]Strings
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal must be \"*\" or an object: %s", b)
	}
	*p = m
	return nil
}

// Conditions maps an operator (StringEquals, ...) to its keys and values.
type Conditions map[string]map[string]Strings

// UnmarshalJSON reads condition values that are strings, lists, booleans
// or numbers, as IAM does, into strings.
func (c *Conditions) UnmarshalJSON(b []byte) error {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("condition must map operators to objects: %s", b)
	}
	out := Conditions{}
	for op, keys := range raw {
		out[op] = map[string]Strings{}
		for k, v := range keys {
			vals, err := conditionValues(v)
			if err != nil {
				return fmt.Errorf("condition %s %s: %w", op, k, err)
			}
			out[op][k] = vals
		}
	}
	*c = out
	return nil
}

func conditionValues(b json.RawMessage) (Strings, error) {
	var list []any
	if err := json.Unmarshal(b, &list); err != nil {
		var one any
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	out := make(Strings, 0, len(list))
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool, float64:
			out = append(out, fmt.Sprint(v))
		default:
			return nil, fmt.Errorf("values must be strings, booleans or numbers: %s", b)
		}
	}
	return out, nil
}

// Parse reads a policy document as IAM does, refusing what is not one,
// and the elements Document cannot hold (NotAction, NotResource,
// NotPrincipal) rather than dropping them.
func Parse(b []byte) (Document, error) {
	var d Document
	if len(b) == 0 || b[0] != '{' {
		return d, fmt.Errorf("policies must be valid JSON and the first byte must be '{'")
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, err
	}
	if len(d.Statement) == 0 {
		return d, fmt.Errorf("missing required field Statement")
	}
	if err := refuseUnheld(b); err != nil {
		return d, err
	}
	for i, s := range d.Statement {
		if s.Effect != Allow && s.Effect != Deny {
			return d, fmt.Errorf("statement %d: invalid effect %q", i, s.Effect)
		}
		if len(s.Action) == 0 {
			return d, fmt.Errorf("statement %d: missing Action", i)
		}
	}
	return d, nil
}

// refuseUnheld refuses statement elements a Statement has no field for.
func refuseUnheld(b []byte) error {
	var raw struct{ Statement json.RawMessage }
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw.Statement, &list); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return err
		}
		list = append(list, one)
	}
	for i, st := range list {
		for k := range st {
			switch k {
			case "Sid", "Effect", "Principal", "Action", "Resource", "Condition":
			default:
				return fmt.Errorf("statement %d: %s is not supported here", i, k)
			}
		}
	}
	return nil
}
