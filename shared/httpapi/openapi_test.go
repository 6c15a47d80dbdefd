package httpapi

import (
	_ "embed"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

//go:embed openapi.json
var openAPI []byte

// The document and the router must list the same routes: a route added to
// one and not the other fails here.
func TestOpenAPIListsExactlyTheServedRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var served []string
	for _, r := range Routes() {
		served = append(served, r.Key())
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("OpenAPI documents %v\nrouter serves %v", documented, served)
	}
}

// The response schemas list exactly the fields the API's types encode, and
// mark required exactly those always present (no omitempty or omitzero): a
// field added to a type and not to the document, or made optional in one
// and not the other, fails here.
func TestOpenAPIResponseSchemasMatchTheTypes(t *testing.T) {
	var doc any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	const files = "#/paths/~1datasets~1{id}~1files/get/responses/200/content/application~1json/schema"
	testCases := []struct {
		pointer string
		typ     reflect.Type
	}{
		{"#/components/schemas/Error", reflect.TypeFor[errorBody]()},
		{"#/components/schemas/Connection", reflect.TypeFor[connection.View]()},
		{"#/components/schemas/Policies", reflect.TypeFor[connection.Policies]()},
		{"#/components/schemas/TestResult", reflect.TypeFor[connection.TestResult]()},
		{"#/components/schemas/Dataset", reflect.TypeFor[dataset.View]()},
		{"#/components/schemas/File", reflect.TypeFor[dataset.File]()},
		{"#/components/schemas/Domain", reflect.TypeFor[dataset.DomainView]()},
		{"#/components/schemas/Schedule", reflect.TypeFor[schedule.View]()},
		{"#/components/schemas/Run", reflect.TypeFor[run.Run]()},
		{"#/components/schemas/RunDetail", reflect.TypeFor[run.View]()},
		{"#/paths/~1connections~1{id}~1datasets/get/responses/200/content/application~1json/schema/properties/Datasets/items", reflect.TypeFor[dataset.Built]()},
		{files, reflect.TypeFor[struct {
			Files []dataset.File
			Next  string `json:",omitempty"`
		}]()},
		{"#/paths/~1schedules~1{id}~1run/post/responses/202/content/application~1json/schema", reflect.TypeFor[struct{ RunId string }]()},
	}
	for _, tc := range testCases {
		t.Run(tc.pointer, func(t *testing.T) {
			checkSchema(t, doc, tc.pointer, resolve(t, doc, tc.pointer), tc.typ)
		})
	}
}

// checkSchema compares the object schema s (at where) with the struct typ,
// and the schemas of its struct-typed fields with their types.
func checkSchema(t *testing.T, doc any, where string, s map[string]any, typ reflect.Type) {
	t.Helper()
	props, required := objectSchema(t, doc, s)
	fields := jsonFields(typ)
	for name, f := range fields {
		p, ok := props[name]
		if !ok {
			t.Errorf("%s: %s encodes %s, the document does not list it", where, typ, name)
			continue
		}
		if inDoc := slices.Contains(required, name); inDoc == f.optional {
			t.Errorf("%s: %s is required in the document: %v, but always encoded by %s: %v", where, name, inDoc, typ, !f.optional)
		}
		ft := f.typ
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			if items, ok := deref(t, doc, p)["items"].(map[string]any); ok {
				p = items
			}
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			if inner := deref(t, doc, p); inner["properties"] != nil || inner["allOf"] != nil {
				checkSchema(t, doc, where+"/"+name, inner, ft)
			}
		}
	}
	for name := range props {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: the document lists %s, which %s does not encode", where, name, typ)
		}
	}
}

type jsonField struct {
	typ      reflect.Type
	optional bool
}

// jsonFields are the members encoding/json writes for typ: exported fields
// by name or tag, embedded structs flattened, "-" left out.
func jsonFields(typ reflect.Type) map[string]jsonField {
	out := map[string]jsonField{}
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		out[name] = jsonField{typ: f.Type, optional: optional}
	}
	return out
}

// objectSchema returns the properties and required names of s, merging allOf.
func objectSchema(t *testing.T, doc any, s map[string]any) (map[string]map[string]any, []string) {
	t.Helper()
	s = deref(t, doc, s)
	props := map[string]map[string]any{}
	var required []string
	for _, part := range asList(s["allOf"]) {
		p, r := objectSchema(t, doc, part.(map[string]any))
		maps.Copy(props, p)
		required = append(required, r...)
	}
	if ps, ok := s["properties"].(map[string]any); ok {
		for name, p := range ps {
			props[name] = p.(map[string]any)
		}
	}
	for _, r := range asList(s["required"]) {
		required = append(required, r.(string))
	}
	return props, required
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// deref follows s's $ref, if it has one.
func deref(t *testing.T, doc any, s map[string]any) map[string]any {
	t.Helper()
	for s["$ref"] != nil {
		s = resolve(t, doc, s["$ref"].(string))
	}
	return s
}

// resolve finds the JSON pointer p (in a #/... reference) in doc.
func resolve(t *testing.T, doc any, p string) map[string]any {
	t.Helper()
	v := doc
	for _, part := range strings.Split(strings.TrimPrefix(p, "#/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := v.(map[string]any)
		if !ok || m[part] == nil {
			t.Fatalf("%s: nothing at %s", p, part)
		}
		v = m[part]
	}
	return v.(map[string]any)
}
