package eventbridgelocal

import (
	"encoding/json"
	"net/netip"
	"strings"
)

// compileMatcher compiles one element of a leaf array.
func compileMatcher(raw json.RawMessage, at string) (matcher, error) {
	var v any
	if err := decodeStrict(raw, &v); err != nil {
		return nil, invalidAt(at, "not JSON")
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return literal(v, at)
	}
	if len(obj) != 1 {
		return nil, invalidAt(at, "a matcher object must have exactly one key")
	}
	for op, arg := range obj {
		if build, ok := operatorMatchers[op]; ok {
			return build(arg, at)
		}
		return nil, invalidAt(at, "unknown matcher "+op)
	}
	return nil, nil // unreachable: obj has one key
}

// literal matches an exact value: a string, a number (numerically), a
// boolean, or null (a field present with the value null).
func literal(want any, at string) (matcher, error) {
	switch w := want.(type) {
	case string:
		return func(v any, _ bool) bool { s, ok := v.(string); return ok && s == w }, nil
	case json.Number:
		n, ok := numberOf(w)
		if !ok {
			return nil, invalidAt(at, "a number out of range")
		}
		return func(v any, _ bool) bool { m, ok := numberOf(v); return ok && m == n }, nil
	case bool:
		return func(v any, _ bool) bool { b, ok := v.(bool); return ok && b == w }, nil
	case nil:
		return func(v any, present bool) bool { return present && v == nil }, nil
	}
	return nil, invalidAt(at, "a leaf holds strings, numbers, booleans, null or matcher objects")
}

// operatorMatchers build the matcher of each operator from its argument.
var operatorMatchers map[string]func(arg any, at string) (matcher, error)

func init() {
	operatorMatchers = map[string]func(any, string) (matcher, error){
		"prefix":             func(a any, at string) (matcher, error) { return affix(a, at, strings.HasPrefix) },
		"suffix":             func(a any, at string) (matcher, error) { return affix(a, at, strings.HasSuffix) },
		"equals-ignore-case": equalsIgnoreCase,
		"wildcard":           wildcard,
		"anything-but":       anythingBut,
		"numeric":            numeric,
		"exists":             exists,
		"cidr":               cidr,
	}
}

// stringMatcher wraps a test of a string value.
func stringMatcher(test func(string) bool) matcher {
	return func(v any, _ bool) bool { s, ok := v.(string); return ok && test(s) }
}

// affix is prefix or suffix: of a string, or {"equals-ignore-case": s}.
func affix(arg any, at string, has func(s, affix string) bool) (matcher, error) {
	switch a := arg.(type) {
	case string:
		return stringMatcher(func(s string) bool { return has(s, a) }), nil
	case map[string]any:
		if w, ok := a["equals-ignore-case"].(string); ok && len(a) == 1 {
			lw := strings.ToLower(w)
			return stringMatcher(func(s string) bool { return has(strings.ToLower(s), lw) }), nil
		}
	}
	return nil, invalidAt(at, "prefix and suffix take a string or {\"equals-ignore-case\": string}")
}

func equalsIgnoreCase(arg any, at string) (matcher, error) {
	w, ok := arg.(string)
	if !ok {
		return nil, invalidAt(at, "equals-ignore-case takes a string")
	}
	return stringMatcher(func(s string) bool { return strings.EqualFold(s, w) }), nil
}

// wildcard matches * as any run of characters (\* is a literal star).
func wildcard(arg any, at string) (matcher, error) {
	w, ok := arg.(string)
	if !ok || strings.Contains(w, "**") {
		return nil, invalidAt(at, "wildcard takes a string without consecutive stars")
	}
	var parts []string // the literal runs between unescaped stars
	var cur strings.Builder
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] == '\\' && i+1 < len(w) && w[i+1] == '*':
			cur.WriteByte('*')
			i++
		case w[i] == '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(w[i])
		}
	}
	parts = append(parts, cur.String())
	return stringMatcher(func(s string) bool { return globMatch(parts, s) }), nil
}

// globMatch says whether s is parts joined by any runs of characters.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// anythingBut matches a present value that none of the arguments match.
func anythingBut(arg any, at string) (matcher, error) {
	var inner matcher
	var err error
	switch a := arg.(type) {
	case map[string]any:
		if len(a) != 1 {
			return nil, invalidAt(at, "anything-but takes one operator")
		}
		for op, v := range a {
			switch op {
			case "prefix", "suffix", "equals-ignore-case", "wildcard":
				inner, err = operatorMatchers[op](v, at)
			default:
				return nil, invalidAt(at, "anything-but does not take "+op)
			}
		}
	case []any:
		inner, err = anyOf(a, at)
	default:
		inner, err = literal(a, at)
	}
	if err != nil {
		return nil, err
	}
	return func(v any, present bool) bool { return present && v != nil && !inner(v, present) }, nil
}

func anyOf(values []any, at string) (matcher, error) {
	ms := make([]matcher, len(values))
	for i, v := range values {
		m, err := literal(v, at)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	return func(v any, present bool) bool {
		for _, m := range ms {
			if m(v, present) {
				return true
			}
		}
		return false
	}, nil
}

// numeric matches a number within one or two bounds: [op, n] or [op, n, op, n].
func numeric(arg any, at string) (matcher, error) {
	terms, ok := arg.([]any)
	if !ok || (len(terms) != 2 && len(terms) != 4) {
		return nil, invalidAt(at, "numeric takes [op, number] or [op, number, op, number]")
	}
	var tests []func(float64) bool
	for i := 0; i < len(terms); i += 2 {
		op, _ := terms[i].(string)
		n, isNum := numberOf(terms[i+1])
		cmp, known := comparisons[op]
		if !known || !isNum {
			return nil, invalidAt(at, "numeric takes =, <, <=, > or >= with a number")
		}
		tests = append(tests, func(v float64) bool { return cmp(v, n) })
	}
	return func(v any, _ bool) bool {
		f, ok := numberOf(v)
		for _, t := range tests {
			ok = ok && t(f)
		}
		return ok
	}, nil
}

var comparisons = map[string]func(v, n float64) bool{
	"=":  func(v, n float64) bool { return v == n },
	"<":  func(v, n float64) bool { return v < n },
	"<=": func(v, n float64) bool { return v <= n },
	">":  func(v, n float64) bool { return v > n },
	">=": func(v, n float64) bool { return v >= n },
}

func exists(arg any, at string) (matcher, error) {
	want, ok := arg.(bool)
	if !ok {
		return nil, invalidAt(at, "exists takes true or false")
	}
	return func(_ any, present bool) bool { return present == want }, nil
}

func cidr(arg any, at string) (matcher, error) {
	s, _ := arg.(string)
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return nil, invalidAt(at, "cidr takes an IP prefix such as 10.0.0.0/24")
	}
	return func(v any, _ bool) bool { a, ok := ipOf(v); return ok && prefix.Contains(a) }, nil
}
