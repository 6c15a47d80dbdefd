package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/google/uuid"
)

// Hostile input, end to end: a corpus of bad requests to every route that
// httpapi.Routes lists (so a new route is covered without touching this
// file), through the local gateway, the api function in the local Lambda
// runtime and DynamoDB Local. Path parameters name resources the caller
// owns, so a body reaches the validation behind the lookup. Every bad input
// must get a 4xx whose JSON body has a message (and names the field where
// one is at fault), never a 5xx, and the function must never panic.

// hostileExpect is what a probe must get back.
type hostileExpect int

const (
	// A 4xx with a JSON message.
	wantRejected hostileExpect = iota
	// The route reads no body, so the body is ignored: any answer but a
	// 5xx, with a JSON body when it has one.
	wantIgnored
	// Input a route may accept or refuse, but never with a 5xx: a page
	// token of the right shape that no page gave out.
	wantTolerated
	// API Gateway's 10 MB request quota: 413 from the gateway itself.
	wantTooLarge
	// Under API Gateway's quota but over Lambda's 6 MB one for a
	// synchronous invocation's event: the function never runs, and the
	// gateway answers 413 {"message":"Request Too Long"}, as API Gateway
	// does when Lambda refuses.
	wantOverLambdaQuota
)

type hostileProbe struct {
	route  httpapi.Route
	what   string // the hostile part, for messages
	method string
	path   string // with path parameters and query, escaped
	body   []byte
	ctype  string // content-type; "" = application/json, "-" = none
	chunk  bool   // send without Content-Length
	want   hostileExpect
	field  string // wantRejected and a 400: the Field the answer must name ("" = no check)
}

// hostileKV is one member of a JSON object, its value raw JSON.
type hostileKV struct{ key, raw string }

func jsonObject(kvs ...hostileKV) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range kvs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.key)
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(kv.raw)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// withMember returns base with key set to raw (replaced in place, or appended).
func withMember(base []hostileKV, key, raw string) []hostileKV {
	out := slices.Clone(base)
	for i := range out {
		if out[i].key == key {
			out[i].raw = raw
			return out
		}
	}
	return append(out, hostileKV{key, raw})
}

// openAPIDoc is what the test reads of shared/httpapi/openapi.json: each
// operation's request body schema and query parameters.
type openAPIDoc struct {
	Paths      map[string]map[string]json.RawMessage
	Components struct {
		Schemas    map[string]*apiSchema
		Parameters map[string]apiParam
	}
}

type apiSchema struct {
	Ref        string `json:"$ref"`
	Type       string
	Properties map[string]*apiSchema
	Items      *apiSchema
}

type apiParam struct {
	Ref  string `json:"$ref"`
	Name string
	In   string
}

type apiOperation struct {
	RequestBody *struct {
		Required bool
		Content  map[string]struct{ Schema *apiSchema }
	}
	Parameters []apiParam
}

func (d *openAPIDoc) schema(s *apiSchema) *apiSchema {
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func (d *openAPIDoc) operation(t *testing.T, r httpapi.Route) apiOperation {
	t.Helper()
	var op apiOperation
	raw, ok := d.Paths[r.Path][strings.ToLower(r.Method)]
	if !ok {
		t.Fatalf("openapi.json does not document %s", r.Key())
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatalf("%s: %v", r.Key(), err)
	}
	for i, p := range op.Parameters {
		if p.Ref != "" {
			op.Parameters[i] = d.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
		}
	}
	return op
}

// bodyProperties returns the request body's properties and their types, or
// nil when the operation takes no body.
func (d *openAPIDoc) bodyProperties(op apiOperation) (props map[string]*apiSchema, required, ok bool) {
	if op.RequestBody == nil {
		return nil, false, false
	}
	s := d.schema(op.RequestBody.Content["application/json"].Schema)
	props = map[string]*apiSchema{}
	if s != nil {
		for name, p := range s.Properties {
			p = d.schema(p)
			if p.Items != nil {
				p.Items = d.schema(p.Items)
			}
			props[name] = p
		}
	}
	return props, op.RequestBody.Required, true
}

// wrongValues are JSON values of every type but t.
func wrongValues(p *apiSchema) []string {
	switch p.Type {
	case "string":
		return []string{`-1.5e300`, `true`, `["x"]`, `{}`}
	case "boolean":
		return []string{`"true"`, `1`, `[]`, `{}`}
	case "integer", "number":
		return []string{`"1"`, `true`, `1.5`, `[]`, `{}`}
	case "array":
		vals := []string{`"x"`, `1`, `{}`}
		if p.Items != nil && p.Items.Type == "string" {
			vals = append(vals, `[1]`, `[[]]`, `[{}]`)
		}
		return vals
	case "object":
		return []string{`"x"`, `1`, `[]`}
	}
	return []string{`{}`}
}

const (
	hostileUser  = "hostile"
	hostileOther = "hostile-other"
	mib          = 1 << 20
	// hostileEmptyDir is the prefix the hostile datasets list: it holds no
	// files, so their runs end at once.
	hostileEmptyDir = "hostile-nothing-here/"
)

// TestHostileInputsOnEveryRoute sends every hostile input below to every
// route, each request a subtest named after its route and what it sends,
// then checks that nothing a bad request said was applied and that nothing
// panicked. The suite's secret scan (TestMain) reads these requests and
// answers too.
func TestHostileInputsOnEveryRoute(t *testing.T) {
	started := time.Now()
	logStart := len(logs.String())
	h := newHostileSetup(t)
	probes, deletes := h.allProbes(t)
	setupTook := time.Since(started)
	tally := &hostileTally{byStatus: map[int]int{}}
	t.Run("requests", func(t *testing.T) { tally.run(t, probes, 4) })
	probesTook := time.Since(started) - setupTook
	// DELETE routes last, each on a resource of its own: the bad ids first,
	// then the ignored bodies (the first of which deletes it).
	deletes = h.onFreshResources(t, deletes)
	t.Run("deletes", func(t *testing.T) { tally.run(t, deletes, 1) })
	t.Run("nothing a bad request said was applied", h.checkUnchanged)
	t.Run("no panic, and a runtime refusal for each 413 over Lambda's quota", func(t *testing.T) {
		checkHostileLogs(t, logs.String()[logStart:], tally.overQuota)
	})
	tally.log(t, h.bodiless)
	t.Logf("took %s: resources %s, probes %s, deletes and checks %s", time.Since(started).Round(time.Millisecond),
		setupTook.Round(time.Millisecond), probesTook.Round(time.Millisecond), (time.Since(started) - setupTook - probesTook).Round(time.Millisecond))
}

// --- what the probes need ----------------------------------------------------

// hostileOwned are the resources one user owns: a connection, a dataset of
// it listing hostileEmptyDir, a schedule of the dataset and an ended run.
type hostileOwned struct{ connection, dataset, schedule, run, domain string }

func createHostileOwned(t *testing.T, user string) hostileOwned {
	t.Helper()
	var o hostileOwned
	o.connection = connect(t, user, policyConn(platformlocal.DemoBucket))
	o.dataset = hostileDataset(t, user, o.connection, hostileEmptyDir)
	_, ds := call(t, user, "GET", "/datasets/"+o.dataset, nil)
	o.domain, _ = ds["Domain"].(string) // the dataset made user its owner
	o.schedule = hostileSchedule(t, user, o.dataset)
	status, out := call(t, user, "POST", "/schedules/"+o.schedule+"/run", nil)
	if status != http.StatusAccepted {
		t.Fatalf("run: %d %v", status, out)
	}
	o.run = out["RunId"].(string)
	waitRun(t, user, o.run)
	return o
}

// ids gives the id a path parameter takes, by the path's first segment.
func (o hostileOwned) ids() map[string]string {
	return map[string]string{"connections": o.connection, "datasets": o.dataset, "schedules": o.schedule, "runs": o.run, "domains": o.domain}
}

// hostileSetup is what the probes are made of.
type hostileSetup struct {
	doc openAPIDoc
	// Resources the caller owns, and some of someone else's.
	mine, theirs hostileOwned
	// otherKind is, by path segment, an id of the caller's of another kind.
	otherKind map[string]string
	// before are the caller's resources before the probes, by kind.
	before map[string]map[string]any
	// bases are valid bodies by route key, so that one bad member is the
	// only fault.
	bases map[string][]hostileKV
	// createProps are the create routes' body members by path segment: the
	// fields a PUT may not change.
	createProps map[string]map[string]*apiSchema
	blobs       hostileBlobs
	bodiless    int // routes that read no body
}

func newHostileSetup(t *testing.T) *hostileSetup {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "httpapi", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileSetup{blobs: newHostileBlobs()}
	if err := json.Unmarshal(raw, &h.doc); err != nil {
		t.Fatal(err)
	}
	h.mine, h.theirs = createHostileOwned(t, hostileUser), createHostileOwned(t, hostileOther)
	m := h.mine
	h.otherKind = map[string]string{"connections": m.dataset, "datasets": m.schedule, "schedules": m.run, "runs": m.connection, "domains": m.dataset}
	h.before = map[string]map[string]any{}
	for kind, id := range map[string]string{"connections": m.connection, "datasets": m.dataset, "schedules": m.schedule, "domains": m.domain} {
		_, h.before[kind] = call(t, hostileUser, "GET", "/"+kind+"/"+id, nil)
	}
	h.bases = map[string][]hostileKV{
		"POST /connections": {{"ConnectionName", jsonString(uniqueName("hostile"))}, {"S3Bucket", jsonString(platformlocal.DemoBucket)},
			{"ConnectionAccessType", `"bucket_policy"`}},
		"PUT /connections/{id}":          {{"Description", `"hostile"`}},
		"POST /connections/{id}/upgrade": {{"Version", `"1.8"`}},
		"POST /datasets": {{"DatasetName", jsonString(uniqueName("hostile"))}, {"Domain", jsonString(uniqueName("hostile"))},
			{"ConnectionId", jsonString(m.connection)}, {"FileType", `"csv"`}, {"DirectoryPath", jsonString(hostileEmptyDir)}},
		"PUT /datasets/{id}":  {{"Description", `"hostile"`}},
		"PUT /domains/{name}": {{"AuthorizedUsers", `["hostile-friend"]`}},
		"POST /schedules":     {{"ScheduleName", `"hostile"`}, {"DatasetId", jsonString(m.dataset)}},
		"PUT /schedules/{id}": {{"Description", `"hostile"`}},
	}
	h.createProps = map[string]map[string]*apiSchema{}
	for _, r := range httpapi.Routes() {
		if r.Method == "POST" && strings.Count(r.Path, "/") == 1 {
			if props, _, ok := h.doc.bodyProperties(h.doc.operation(t, r)); ok {
				h.createProps[hostileSeg(r)] = props
			}
		}
	}
	return h
}

// hostileBlobs are the big hostile values (about 1 MB each), made once.
type hostileBlobs struct{ oneMiB, deepArrays, deepObjects, manyKeys string }

func newHostileBlobs() hostileBlobs {
	var keys strings.Builder
	keys.WriteByte('{')
	for i := range 100_000 {
		if i > 0 {
			keys.WriteByte(',')
		}
		fmt.Fprintf(&keys, `"k%d":0`, i)
	}
	keys.WriteByte('}')
	return hostileBlobs{
		oneMiB:      strings.Repeat("a", mib),
		deepArrays:  strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000),
		deepObjects: strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000),
		manyKeys:    keys.String(),
	}
}

// hostileSeg is the first segment of the route's path: the kind of
// resource a path parameter names.
func hostileSeg(r httpapi.Route) string {
	return strings.SplitN(strings.TrimPrefix(r.Path, "/"), "/", 2)[0]
}

// hostileFill puts id in the route's path parameters.
func hostileFill(t *testing.T, r httpapi.Route, id string) string {
	t.Helper()
	p := r.Path
	for _, name := range []string{"{id}", "{runId}", "{name}"} {
		p = strings.ReplaceAll(p, name, id)
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s: a path parameter this test does not know; teach it which resource to put there", r.Key())
	}
	return p
}

// hostileRoute is one route as the probes see it.
type hostileRoute struct {
	route     httpapi.Route
	op        apiOperation
	props     map[string]*apiSchema // the body's members
	names     []string              // of props, sorted
	required  bool                  // the body is required
	takesBody bool
	path      string      // with the caller's ids in it
	base      []hostileKV // a valid body
	baseJSON  string
	strField  string // a string member to spoil
}

func (h *hostileSetup) route(t *testing.T, r httpapi.Route) hostileRoute {
	t.Helper()
	hr := hostileRoute{route: r, op: h.doc.operation(t, r), path: r.Path, base: h.bases[r.Key()]}
	hr.props, hr.required, hr.takesBody = h.doc.bodyProperties(hr.op)
	if strings.Contains(r.Path, "{") {
		id, ok := h.mine.ids()[hostileSeg(r)]
		if !ok {
			t.Fatalf("%s: no resource of the caller to put in its path; add one", r.Key())
		}
		hr.path = hostileFill(t, r, id)
	}
	hr.baseJSON = string(jsonObject(hr.base...))
	for name := range hr.props {
		hr.names = append(hr.names, name)
	}
	slices.Sort(hr.names)
	hr.strField = "Description"
	if hr.props["Description"] == nil {
		for _, name := range hr.names {
			if hr.props[name].Type == "string" {
				hr.strField = name
				break
			}
		}
	}
	return hr
}

// --- the probes ----------------------------------------------------------------

// allProbes are the requests to send: hostile bodies, path parameters and
// query parameters on every route, and API Gateway's size quota. The
// DELETE routes' are apart, to be sent last.
func (h *hostileSetup) allProbes(t *testing.T) (probes, deletes []hostileProbe) {
	t.Helper()
	var badIDDeletes []hostileProbe
	for _, r := range httpapi.Routes() {
		hr := h.route(t, r)
		if !hr.takesBody {
			h.bodiless++
		}
		for _, b := range hr.bodies(h.blobs, h.createProps[hostileSeg(r)]) {
			p := hostileProbe{route: r, what: b.what, method: r.Method, path: hr.path, body: b.body, ctype: b.ctype, want: wantRejected, field: b.field}
			if !hr.takesBody {
				p.want, p.field = wantIgnored, ""
			}
			if r.Method == "DELETE" {
				deletes = append(deletes, p)
			} else {
				probes = append(probes, p)
			}
		}
		for _, p := range h.badIDProbes(t, hr) {
			if r.Method == "DELETE" {
				badIDDeletes = append(badIDDeletes, p) // before the real deletes
			} else {
				probes = append(probes, p)
			}
		}
		probes = append(probes, hr.queryProbes()...)
	}
	probes = append(probes, h.quotaProbes()...)
	return probes, append(badIDDeletes, deletes...)
}

// hostileBody is one hostile body: a route that reads a body must reject
// it (naming field, when set, in a 400); one that reads none must ignore it.
type hostileBody struct {
	what  string
	ctype string // as hostileProbe.ctype
	body  []byte
	field string
}

func (hr hostileRoute) bodies(b hostileBlobs, createProps map[string]*apiSchema) []hostileBody {
	out := hr.syntaxBodies(b)
	if hr.takesBody {
		out = append(out, hr.bigBodies(b)...)
	}
	out = append(out, hr.encodingBodies()...)
	out = append(out, hr.memberBodies(b)...)
	if hr.takesBody {
		out = append(out, hr.fieldBodies(createProps)...)
	}
	return out
}

// syntaxBodies are not JSON, or not one JSON object.
func (hr hostileRoute) syntaxBodies(b hostileBlobs) []hostileBody {
	var out []hostileBody
	if hr.required || !hr.takesBody {
		out = append(out, hostileBody{what: "empty body", body: []byte{}})
	}
	f, base := hr.strField, hr.baseJSON
	for _, c := range []struct{ what, body string }{
		{"whitespace only", " \n\t\r "},
		{"not JSON", "hello"},
		{"truncated", `{"` + f + `":`},
		{"unclosed object", "{"},
		{"stray close", "}"},
		{"single quotes", `{'` + f + `':'x'}`},
		{"bare key", `{` + f + `:"x"}`},
		{"trailing comma", `{"` + f + `":"x",}`},
		{"trailing garbage", base + "x"},
		{"two objects", base + base},
		{"object and ]", base + "]"},
		{"object and }", base + "}"},
		{"top-level null", "null"},
		{"top-level true", "true"},
		{"top-level number", "42"},
		{"top-level huge number", "1e999999"},
		{"top-level string", `"x"`},
		{"top-level array", "[]"},
		{"the object in an array", "[" + base + "]"},
		{"invalid UTF-8 alone", "\xff\xfe\xfd"},
		{"invalid UTF-8 in a string", `{"` + f + `":"a` + "\xff" + `b"}`},
		{"overlong UTF-8", `{"` + f + `":"` + "\xc0\xaf" + `"}`},
		{"UTF-8 encoded surrogate", `{"` + f + `":"` + "\xed\xa0\x80" + `"}`},
		{"invalid UTF-8 in a key", "{\"\xff\":1}"},
		{"byte order mark", "\xef\xbb\xbf" + base},
		{"NUL byte", "{\x00}"},
		{"raw control character in a string", `{"` + f + `":"a` + "\x01" + `b"}`},
		{"100k nested arrays", b.deepArrays},
		{"base64 of the object", base64.StdEncoding.EncodeToString([]byte(base))},
	} {
		out = append(out, hostileBody{what: c.what, body: []byte(c.body)})
	}
	return out
}

// bigBodies are about 1 MB each: only for the routes that read a body (to
// the others they are no different from the small ones, and slow).
func (hr hostileRoute) bigBodies(b hostileBlobs) []hostileBody {
	f := hr.strField
	var out []hostileBody
	for _, c := range []struct{ what, body string }{
		{"100k nested objects", b.deepObjects},
		{"100k nested arrays in a member", `{"` + f + `":` + b.deepArrays + `}`},
		{"100k unclosed arrays", b.deepArrays[:100_000]},
		{"1 MB key", `{"` + b.oneMiB + `":1}`},
		{"1 MB number", `{"` + f + `":` + strings.Repeat("9", mib) + `}`},
		{"100k unknown keys", b.manyKeys},
	} {
		out = append(out, hostileBody{what: c.what, body: []byte(c.body)})
	}
	return out
}

// encodingBodies are the valid body in UTF-16, and bodies of other
// content types.
func (hr hostileRoute) encodingBodies() []hostileBody {
	var utf16Body []byte
	for _, u := range utf16.Encode([]rune(hr.baseJSON)) {
		utf16Body = append(utf16Body, byte(u), byte(u>>8))
	}
	out := []hostileBody{{what: "UTF-16 body", body: utf16Body}}
	f := hr.strField
	for _, c := range []struct{ what, ctype, body string }{
		{"form encoded", "application/x-www-form-urlencoded", f + "=x"},
		{"XML", "application/xml", "<" + f + ">x</" + f + ">"},
		{"binary", "application/octet-stream", "\x00\x01\x02\xff\xfe"},
		{"no content type, not JSON", "-", "\x89PNG\r\n\x1a\n"},
	} {
		out = append(out, hostileBody{what: c.what, ctype: c.ctype, body: []byte(c.body)})
	}
	return out
}

// memberBodies spoil one member of the valid body each: wrong types, huge
// values, the member twice.
func (hr hostileRoute) memberBodies(b hostileBlobs) []hostileBody {
	var out []hostileBody
	add := func(what string, kvs []hostileKV, field string) {
		out = append(out, hostileBody{what: what, body: jsonObject(kvs...), field: field})
	}
	base := hr.base
	for _, name := range hr.names {
		p := hr.props[name]
		for _, v := range wrongValues(p) {
			add(fmt.Sprintf("%s as %s", name, v), withMember(base, name, v), name)
		}
		switch {
		case p.Type == "string": // each its own, for the suite's secret scan
			add(name+" of 1 MB", withMember(base, name, jsonString(name+":"+b.oneMiB)), name)
		case p.Type == "array" && p.Items != nil && p.Items.Type == "string":
			add(name+" with a 1 MB item", withMember(base, name, `[`+jsonString(b.oneMiB)+`]`), name)
			add(name+" with 100k items", withMember(base, name, `[`+strings.Repeat(`"u",`, 100_000)+`"u"]`), name)
		}
		// Given twice, each time well typed (the base's value where it
		// has one): decoders disagree on which one counts, so neither may.
		dup := map[string]string{"string": `"x"`, "boolean": `false`, "array": `[]`, "integer": `1`, "number": `1`}[p.Type]
		for _, kv := range base {
			if kv.key == name {
				dup = kv.raw
			}
		}
		if dup != "" {
			add(name+" twice", append(withMember(base, name, dup), hostileKV{name, dup}), name)
			add(name+" twice, case apart", append(withMember(base, name, dup), hostileKV{strings.ToLower(name), dup}), "")
		}
	}
	return out
}

// fieldBodies add an unknown member to the valid body, or (to a PUT) set a
// member only the create route takes.
func (hr hostileRoute) fieldBodies(createProps map[string]*apiSchema) []hostileBody {
	var out []hostileBody
	for _, key := range []string{"NoSuchField", `Quoted"Key\`, "Ünïcödé\u2028", "__proto__"} {
		out = append(out, hostileBody{what: "unknown field " + strconv.Quote(key),
			body: jsonObject(append(slices.Clone(hr.base), hostileKV{key, "1"})...), field: key})
	}
	if hr.route.Method != "PUT" {
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(createProps)) {
		if hr.props[name] == nil {
			out = append(out, hostileBody{what: "fixed field " + name, body: jsonObject(hostileKV{name, `"x"`}), field: name})
		}
	}
	return out
}

// badIDProbes replace the real id in the route's path with bad ones, the
// valid body (if the route reads one) unchanged.
func (h *hostileSetup) badIDProbes(t *testing.T, hr hostileRoute) []hostileProbe {
	t.Helper()
	r := hr.route
	if !strings.Contains(r.Path, "{") {
		return nil
	}
	var body []byte
	if hr.takesBody {
		body = jsonObject(hr.base...)
	}
	myID := h.mine.ids()[hostileSeg(r)]
	var out []hostileProbe
	for _, c := range []struct{ what, id string }{
		{"space id", "%20"},
		{"non-UUID id", "not-a-uuid"},
		{"numeric id", "12345"},
		{"null id", "null"},
		{"upper-case id", strings.ToUpper(myID)},
		{"id with a suffix", myID + "x"},
		{"id in braces", "%7B" + myID + "%7D"},
		{"unknown UUID", uuid.NewString()},
		{"someone else's id", h.theirs.ids()[hostileSeg(r)]},
		{"another kind's id", h.otherKind[hostileSeg(r)]},
		{"4 KB id", strings.Repeat("a", 4<<10)},
		{"64 KB id", strings.Repeat("7", 64<<10)},
		{"unicode id", url.PathEscape("数据集-😀-ü")},
		{"invalid UTF-8 id", "%FF%FE"},
		{"NUL id", "%00"},
		{"newline id", "%0A"},
		{"dot-dot id", ".."},
		{"encoded dot-dot id", "%2E%2E"},
		{"path traversal id", "..%2F..%2Fetc%2Fpasswd"},
		{"backslash traversal id", "..%5C..%5Cwindows"},
		{"SQL id", url.PathEscape("' OR '1'='1")},
		{"key-shaped id", url.PathEscape(myID + "#CONNECTION")},
		{"percent id", "%25"},
	} {
		if hostileSeg(r) == "domains" && c.what == "upper-case id" {
			continue // domain names ignore case: the same domain
		}
		out = append(out, hostileProbe{route: r, what: c.what, method: r.Method, path: hostileFill(t, r, c.id), body: body, want: wantRejected})
	}
	return out
}

// queryProbes send bad values of the route's query parameters, and page
// tokens of the right shape that no page gave out (the store may start
// wherever they say, within the caller's own list: tolerated).
func (hr hostileRoute) queryProbes() []hostileProbe {
	r := hr.route
	var out []hostileProbe
	for _, qp := range hr.op.Parameters {
		if qp.In != "query" {
			continue
		}
		var values []string
		switch qp.Name {
		case "limit":
			values = []string{"0", "-1", "101", "1e2", "abc", "99999999999999999999", "", "%00", "1%20"}
		case "next":
			values = []string{"garbage!", "%FF", "AAAA", strings.Repeat("A", 8<<10), "%2F%2B%3D"}
			for _, prefix := range []string{"CONNECTION#", "DATASET#", "SCHEDULE#", "RUN#", "FILE#"} {
				for _, rest := range []string{strings.Repeat("z", 3000), "\xff\xfe"} {
					out = append(out, hostileProbe{route: r, what: fmt.Sprintf("forged next %.20q", prefix+rest), method: r.Method,
						path: hr.path + "?next=" + base64.RawURLEncoding.EncodeToString([]byte(prefix+rest)), want: wantTolerated})
				}
			}
		default:
			values = []string{strings.Repeat("x", 8<<10), "%FF"}
		}
		for _, v := range values {
			out = append(out, hostileProbe{route: r, what: fmt.Sprintf("?%s=%.40s", qp.Name, v), method: r.Method,
				path: hr.path + "?" + qp.Name + "=" + v, want: wantRejected, field: ""})
		}
	}
	return out
}

// quotaProbes test API Gateway's quota, a few times: at 10 MB the gateway
// passes the body on; above it answers 413 itself, with or without a
// Content-Length.
func (h *hostileSetup) quotaProbes() []hostileProbe {
	tenMB := func(n int) []byte { // n bytes
		return []byte(`{"Description":"` + strings.Repeat("d", n-len(`{"Description":""}`)) + `"}`)
	}
	dsPath := "/datasets/" + h.mine.dataset
	putDataset := httpapi.Route{Method: "PUT", Path: "/datasets/{id}"}
	return []hostileProbe{
		{route: putDataset, what: "5 MB body", method: "PUT", path: dsPath, body: tenMB(5 * mib), want: wantRejected, field: "Description"},
		{route: putDataset, what: "10 MB body", method: "PUT", path: dsPath, body: tenMB(10 * mib), want: wantOverLambdaQuota},
		{route: putDataset, what: "10 MB + 1 body", method: "PUT", path: dsPath, body: tenMB(10*mib + 1), want: wantTooLarge},
		{route: putDataset, what: "10 MB + 1 body, chunked", method: "PUT", path: dsPath, body: tenMB(10*mib + 1), chunk: true, want: wantTooLarge},
	}
}

// onFreshResources points the DELETE probes that send an ignored body at a
// throwaway resource of their kind: the first of them deletes it.
func (h *hostileSetup) onFreshResources(t *testing.T, deletes []hostileProbe) []hostileProbe {
	t.Helper()
	fresh := map[string]func() string{
		"connections": func() string { return mustCreate(t, hostileUser, policyConn(platformlocal.DemoBucket)) },
		"datasets":    func() string { return hostileDataset(t, hostileUser, h.mine.connection, hostileEmptyDir) },
		"schedules":   func() string { return hostileSchedule(t, hostileUser, h.mine.dataset) },
	}
	freshIDs := map[string]string{}
	for i, p := range deletes {
		if p.want != wantIgnored || !strings.Contains(p.route.Path, "{") {
			continue
		}
		kind := hostileSeg(p.route)
		if freshIDs[kind] == "" {
			newID, ok := fresh[kind]
			if !ok {
				t.Fatalf("%s: teach this test to make a throwaway resource for it", p.route.Key())
			}
			freshIDs[kind] = newID()
		}
		deletes[i].path = hostileFill(t, p.route, freshIDs[kind])
	}
	return deletes
}

// --- sending and checking --------------------------------------------------------

// hostileTally counts the answers, for the summary and the log check.
type hostileTally struct {
	mu                                           sync.Mutex
	tried, ignored, tolerated, fiveXX, overQuota int
	byStatus                                     map[int]int
}

// run sends ps over workers concurrent requests, each probe a subtest named
// after its route and what it sends.
func (c *hostileTally) run(t *testing.T, ps []hostileProbe, workers int) {
	ch := make(chan hostileProbe)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				t.Run(p.route.Key()+": "+p.what, func(t *testing.T) { c.check(t, p) })
			}
		}()
	}
	for _, p := range ps {
		ch <- p
	}
	close(ch)
	wg.Wait()
}

// count notes one answer.
func (c *hostileTally) count(p hostileProbe, status int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch p.want {
	case wantIgnored:
		c.ignored++
	case wantTolerated:
		c.tolerated++
	default:
		c.tried++
	}
	c.byStatus[status]++
	if err != nil {
		return
	}
	if status >= 500 {
		c.fiveXX++
	}
	if p.want == wantOverLambdaQuota && status == http.StatusRequestEntityTooLarge {
		c.overQuota++
	}
}

func (c *hostileTally) log(t *testing.T, bodiless int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("bad inputs tried: %d, 5xx seen: %d; %d bodies over Lambda's 6 MB event quota answered 413 by the gateway",
		c.tried, c.fiveXX, c.overQuota)
	t.Logf("also sent, none answered with a 5xx: %d hostile bodies to the %d routes that read no body (ignored), %d forged page tokens; statuses %v",
		c.ignored, bodiless, c.tolerated, c.byStatus)
}

// hostileAnswer is what a probe got back.
type hostileAnswer struct {
	status int
	body   []byte
	ctype  string
	short  []byte // body, cut for messages
}

// check sends p and checks the answer against what p wants.
func (c *hostileTally) check(t *testing.T, p hostileProbe) {
	status, body, ctype, err := hostileSend(p)
	c.count(p, status, err)
	where := fmt.Sprintf("%s %s (%s)", p.method, p.route.Path, p.what)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	a := hostileAnswer{status: status, body: body, ctype: ctype, short: body}
	if len(a.short) > 300 {
		a.short = append(a.short[:300:300], "…"...)
	}
	switch p.want {
	case wantTooLarge:
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d %s, want 413", where, status, a.short)
		}
	case wantOverLambdaQuota:
		if status != http.StatusRequestEntityTooLarge || string(body) != `{"message":"Request Too Long"}` {
			t.Errorf("%s: %d %s, want the gateway's 413", where, status, a.short)
		}
	case wantIgnored, wantTolerated:
		if status >= 500 {
			t.Errorf("%s: %d %s, want no 5xx", where, status, a.short)
		}
		if len(body) > 0 && !json.Valid(body) {
			t.Errorf("%s: %d, body not JSON: %s", where, status, a.short)
		}
	default:
		checkRejected(t, where, p.field, a)
	}
}

// checkRejected wants a 4xx whose JSON body has a message, and names field
// in a 400 when field is set.
func checkRejected(t *testing.T, where, wantField string, a hostileAnswer) {
	t.Helper()
	if a.status < 400 || a.status > 499 {
		t.Errorf("%s: %d %s, want a 4xx", where, a.status, a.short)
		return
	}
	// A map, not a struct: encoding/json matches keys ignoring case,
	// and the gateway's own answers spell it "message".
	var members map[string]any
	if err := json.Unmarshal(a.body, &members); err != nil || !strings.HasPrefix(a.ctype, "application/json") {
		t.Errorf("%s: %d, body not a JSON object (%s): %s", where, a.status, a.ctype, a.short)
		return
	}
	message, _ := members["Message"].(string)
	gatewayMessage, _ := members["message"].(string)
	field, _ := members["Field"].(string)
	if message == "" && gatewayMessage == "" {
		t.Errorf("%s: %d without a message: %s", where, a.status, a.short)
	}
	if wantField != "" && (a.status != http.StatusBadRequest || field != wantField &&
		!strings.HasPrefix(field, wantField+".") && !strings.HasPrefix(field, wantField+"[")) {
		t.Errorf("%s: %d naming field %q, want 400 naming %q: %s", where, a.status, field, wantField, a.short)
	}
}

// checkUnchanged wants the caller's resources as they were before the probes.
func (h *hostileSetup) checkUnchanged(t *testing.T) {
	ids := h.mine.ids()
	for kind, want := range h.before {
		_, got := call(t, hostileUser, "GET", "/"+kind+"/"+ids[kind], nil)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s changed by bad requests:\n%v\nnow\n%v", kind, want, got)
		}
	}
}

// checkHostileLogs wants no panic in the platform's log lines, and as many
// invocations refused for their size as gateway 413s over Lambda's quota.
func checkHostileLogs(t *testing.T, lines string, overQuota int) {
	quotaRefusals := 0
	for _, line := range strings.Split(lines, "\n") {
		if strings.Contains(strings.ToLower(line), "panic") {
			t.Errorf("panic logged: %.500s", line)
		}
		if strings.Contains(line, "lambda invocation rejected") && strings.Contains(line, "Request must be smaller than") {
			quotaRefusals++
		}
	}
	if quotaRefusals != overQuota {
		t.Errorf("%d gateway 413s for bodies over Lambda's quota, but the runtime refused %d invocations for their size", overQuota, quotaRefusals)
	}
}

// hostileClient keeps the API's own answers: a report's 302 is not followed.
var hostileClient = &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// hostileSend sends one probe as hostileUser and returns the answer.
func hostileSend(p hostileProbe) (status int, body []byte, ctype string, err error) {
	var rd io.Reader
	if p.body != nil {
		rd = bytes.NewReader(p.body)
		if p.chunk {
			rd = io.MultiReader(rd) // no length known: chunked
		}
	}
	req, err := http.NewRequest(p.method, plat.APIURL+p.path, rd)
	if err != nil {
		return 0, nil, "", err
	}
	switch p.ctype {
	case "":
		req.Header.Set("content-type", "application/json")
	case "-":
	default:
		req.Header.Set("content-type", p.ctype)
	}
	tok, err := plat.Token(hostileUser)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("authorization", "Bearer "+tok)
	noteSecrets(p.body) // for the secret scan after the suite
	resp, err := hostileClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	responses.Write(body)
	return resp.StatusCode, body, resp.Header.Get("content-type"), err
}

func hostileDataset(t *testing.T, user, connectionID, dir string) string {
	t.Helper()
	status, out := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("hostile"), "Domain": uniqueName("hostile"), "ConnectionId": connectionID, "FileType": "csv", "DirectoryPath": dir,
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, out)
	}
	return out["DatasetId"].(string)
}

func hostileSchedule(t *testing.T, user, datasetID string) string {
	t.Helper()
	status, out := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": uniqueName("hostile"), "DatasetId": datasetID})
	if status != http.StatusCreated {
		t.Fatalf("schedule: %d %v", status, out)
	}
	return out["ScheduleId"].(string)
}
