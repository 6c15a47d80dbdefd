package eventbridgelocal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// Pattern is a compiled EventBridge event pattern: the content filtering
// rules of the EventBridge User Guide ("Event patterns", "Content
// filtering"): a JSON object whose leaves are arrays of matchers, any of
// which may match (an event's array field matches when any element does),
// and whose "$or" members are alternatives. Matchers: literal strings,
// numbers (compared as numbers), booleans and null; {"prefix": s} (or
// {"prefix": {"equals-ignore-case": s}}), {"suffix": …} likewise,
// {"equals-ignore-case": s}, {"wildcard": "a*b"}, {"anything-but": v | [v…]
// | {"prefix": s} | {"suffix": s} | {"equals-ignore-case": s | [s…]}},
// {"numeric": [op, n, op, n]}, {"exists": bool} and {"cidr": "10.0.0.0/8"}.
type Pattern struct{ root node }

// node is one level of a pattern: fields to match and alternatives.
type node struct {
	fields map[string]field
	or     []node
}

// field is what one key of the pattern holds: a nested object, or the
// matchers of a leaf.
type field struct {
	nested   *node
	matchers []matcher
}

type matcher func(v any, present bool) bool

// ParsePattern compiles src, or says what is wrong with it (the message of
// an InvalidEventPatternException).
func ParsePattern(src string) (*Pattern, error) {
	if len(src) > 4096 {
		return nil, errors.New("Event pattern is too long: 4096 characters at most")
	}
	var raw map[string]json.RawMessage
	if err := decodeStrict([]byte(src), &raw); err != nil || raw == nil {
		return nil, errors.New("Event pattern is not valid: it must be a JSON object")
	}
	n, err := compileNode(raw, "")
	if err != nil {
		return nil, err
	}
	if len(n.fields) == 0 && len(n.or) == 0 {
		return nil, errors.New("Event pattern is not valid: it is empty")
	}
	return &Pattern{root: n}, nil
}

// Matches says whether the event (a JSON object) matches the pattern.
func (p *Pattern) Matches(event map[string]any) bool { return p.root.matches(event) }

func compileNode(raw map[string]json.RawMessage, path string) (node, error) {
	n := node{fields: map[string]field{}}
	for k, v := range raw {
		if k == "$or" {
			alts, err := compileOr(v, path)
			if err != nil {
				return n, err
			}
			n.or = alts
			continue
		}
		f, err := compileField(v, path+"."+k)
		if err != nil {
			return n, err
		}
		n.fields[k] = f
	}
	return n, nil
}

func compileOr(v json.RawMessage, path string) ([]node, error) {
	var alts []map[string]json.RawMessage
	if err := decodeStrict(v, &alts); err != nil || len(alts) < 2 {
		return nil, fmt.Errorf("Event pattern is not valid: $or at %q must be an array of at least two objects", strings.TrimPrefix(path, "."))
	}
	out := make([]node, len(alts))
	for i, a := range alts {
		n, err := compileNode(a, path)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func compileField(v json.RawMessage, path string) (field, error) {
	switch firstByte(v) {
	case '{':
		var obj map[string]json.RawMessage
		if err := decodeStrict(v, &obj); err != nil {
			return field{}, invalidAt(path, "not a JSON object")
		}
		n, err := compileNode(obj, path)
		return field{nested: &n}, err
	case '[':
		var items []json.RawMessage
		if err := decodeStrict(v, &items); err != nil || len(items) == 0 {
			return field{}, invalidAt(path, "a leaf must be a non-empty array")
		}
		ms := make([]matcher, len(items))
		for i, it := range items {
			m, err := compileMatcher(it, path)
			if err != nil {
				return field{}, err
			}
			ms[i] = m
		}
		return field{matchers: ms}, nil
	}
	return field{}, invalidAt(path, "a value must be an object or an array")
}

func invalidAt(path, what string) error {
	return fmt.Errorf("Event pattern is not valid at %q: %s", strings.TrimPrefix(path, "."), what)
}

func firstByte(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// decodeStrict decodes JSON keeping numbers exact.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func (n node) matches(obj map[string]any) bool {
	for k, f := range n.fields {
		v, present := obj[k]
		if !f.matches(v, present) {
			return false
		}
	}
	if len(n.or) == 0 {
		return true
	}
	for _, alt := range n.or {
		if alt.matches(obj) {
			return true
		}
	}
	return false
}

func (f field) matches(v any, present bool) bool {
	if f.nested != nil {
		obj, ok := v.(map[string]any)
		if !ok {
			obj = nil // absent or not an object: only exists:false leaves can match
		}
		return f.nested.matches(obj)
	}
	if list, ok := v.([]any); ok && present {
		for _, el := range list {
			if f.matchesOne(el, true) {
				return true
			}
		}
		return len(list) == 0 && f.matchesOne(nil, false)
	}
	return f.matchesOne(v, present)
}

func (f field) matchesOne(v any, present bool) bool {
	for _, m := range f.matchers {
		if m(v, present) {
			return true
		}
	}
	return false
}

// numberOf is v as a float64, if it is a number.
func numberOf(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	case float64:
		return n, true
	}
	return 0, false
}

// ipOf is v as an IP address, if it is a string that is one.
func ipOf(v any) (netip.Addr, bool) {
	s, ok := v.(string)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}
