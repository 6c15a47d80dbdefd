package httpapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every property of every schema in the document, in components and
// inline in requests and responses, at any depth, says what it means: a
// field added without a description fails here. A property that is only a
// $ref takes the description of the schema it names.
func TestOpenAPIDescribesEveryProperty(t *testing.T) {
	var doc any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range undescribedProperties(doc, "#") {
		t.Errorf("%s has no description", p)
	}
}

// The walk finds undescribed properties however deep they are (items of
// arrays, allOf members, nested objects, inline response schemas), and
// accepts $ref properties and described allOf wrappers.
func TestUndescribedPropertiesFindsNestedOnes(t *testing.T) {
	const doc = `{
	  "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
	    "type": "object",
	    "properties": {
	      "List": {"type": "array", "description": "d", "items": {"type": "object", "properties": {"Deep": {"type": "string"}}}},
	      "Ref": {"$ref": "#/components/schemas/A"}
	    }}}}}}}}},
	  "components": {"schemas": {
	    "A": {"type": "object", "properties": {
	      "Described": {"type": "string", "description": "d"},
	      "Bare": {"type": "integer"},
	      "Wrapped": {"allOf": [{"$ref": "#/components/schemas/B"}], "description": "d"},
	      "properties": {"type": "object", "properties": {"Inner": {"type": "string"}}}
	    }},
	    "B": {"allOf": [{"$ref": "#/components/schemas/A"}, {"type": "object", "properties": {"Extra": {"type": "boolean"}}}],
	      "example": {"properties": {"NotASchema": {}}}}
	  }}
	}`
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	got := undescribedProperties(v, "#")
	want := []string{
		"#/components/schemas/A/properties/Bare",
		"#/components/schemas/A/properties/properties",
		"#/components/schemas/A/properties/properties/properties/Inner",
		"#/components/schemas/B/allOf/1/properties/Extra",
		"#/paths/~1x/get/responses/200/content/application~1json/schema/properties/List/items/properties/Deep",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found %q\nwant  %q", got, want)
	}
}

// undescribedProperties returns the JSON pointers, sorted, of the
// properties under node (at pointer at) that have neither a description
// nor a $ref. The members of a properties map are schemas, whatever their
// names; examples, defaults and enums hold data, not schemas.
func undescribedProperties(node any, at string) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for _, k := range sortedKeys(n) {
			switch k {
			case "example", "examples", "default", "enum":
				continue
			case "properties":
				if props, ok := n[k].(map[string]any); ok {
					out = append(out, propertiesWithout(props, at+"/properties")...)
					continue
				}
			}
			out = append(out, undescribedProperties(n[k], at+"/"+pointerToken(k))...)
		}
	case []any:
		for i, v := range n {
			out = append(out, undescribedProperties(v, at+"/"+strconv.Itoa(i))...)
		}
	}
	slices.Sort(out)
	return out
}

// propertiesWithout checks the members of a properties map at pointer at,
// and walks into each of them.
func propertiesWithout(props map[string]any, at string) []string {
	var out []string
	for _, name := range sortedKeys(props) {
		where := at + "/" + pointerToken(name)
		p, ok := props[name].(map[string]any)
		if !ok {
			out = append(out, where)
			continue
		}
		_, ref := p["$ref"]
		if d, _ := p["description"].(string); !ref && strings.TrimSpace(d) == "" {
			out = append(out, where)
		}
		out = append(out, undescribedProperties(p, where)...)
	}
	return out
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// pointerToken escapes a member name for a JSON pointer (RFC 6901).
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
