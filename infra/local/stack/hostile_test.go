package stack

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
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
)

func TestHostileInputsOnEveryRoute(t *testing.T) {
	started := time.Now()
	logStart := len(logs.String())

	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "httpapi", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	// Resources the caller owns, and some of someone else's. The dataset
	// lists a prefix with no files, so its runs end at once.
	const emptyDir = "hostile-nothing-here/"
	type owned struct{ connection, dataset, schedule, run string }
	create := func(user string) owned {
		var o owned
		o.connection = mustCreate(t, user, policyConn(DemoBucket))
		o.dataset = hostileDataset(t, user, o.connection, emptyDir)
		o.schedule = hostileSchedule(t, user, o.dataset)
		status, out := call(t, user, "POST", "/schedules/"+o.schedule+"/run", nil)
		if status != http.StatusAccepted {
			t.Fatalf("run: %d %v", status, out)
		}
		o.run = out["RunId"].(string)
		waitRun(t, user, o.run)
		return o
	}
	mine, theirs := create(hostileUser), create(hostileOther)
	// The id a path parameter takes, by the path's first segment.
	ids := func(o owned) map[string]string {
		return map[string]string{"connections": o.connection, "datasets": o.dataset, "schedules": o.schedule, "runs": o.run}
	}
	myIDs, theirIDs := ids(mine), ids(theirs)
	otherKind := map[string]string{"connections": mine.dataset, "datasets": mine.schedule, "schedules": mine.run, "runs": mine.connection}
	// DELETE routes get fresh resources, as the first ignored body deletes.
	fresh := map[string]func() string{
		"connections": func() string { return mustCreate(t, hostileUser, policyConn(DemoBucket)) },
		"datasets":    func() string { return hostileDataset(t, hostileUser, mine.connection, emptyDir) },
		"schedules":   func() string { return hostileSchedule(t, hostileUser, mine.dataset) },
	}
	before := map[string]map[string]any{}
	for kind, id := range map[string]string{"connections": mine.connection, "datasets": mine.dataset, "schedules": mine.schedule} {
		_, before[kind] = call(t, hostileUser, "GET", "/"+kind+"/"+id, nil)
	}

	// Valid bodies, so that one bad member is the only fault.
	bases := map[string][]hostileKV{
		"POST /connections": {{"ConnectionName", jsonString(uniqueName("hostile"))}, {"S3Bucket", jsonString(DemoBucket)},
			{"ConnectionAccessType", `"bucket_policy"`}},
		"PUT /connections/{id}":          {{"Description", `"hostile"`}},
		"POST /connections/{id}/upgrade": {{"Version", `"1.8"`}},
		"POST /datasets": {{"DatasetName", jsonString(uniqueName("hostile"))}, {"Domain", `"hostile"`},
			{"ConnectionId", jsonString(mine.connection)}, {"FileType", `"csv"`}, {"DirectoryPath", jsonString(emptyDir)}},
		"PUT /datasets/{id}":  {{"Description", `"hostile"`}},
		"POST /schedules":     {{"ScheduleName", `"hostile"`}, {"DatasetId", jsonString(mine.dataset)}},
		"PUT /schedules/{id}": {{"Description", `"hostile"`}},
	}
	createProps := map[string]map[string]*apiSchema{} // by first path segment, for the fields a PUT may not change
	for _, r := range httpapi.Routes() {
		if r.Method == "POST" && strings.Count(r.Path, "/") == 1 {
			if props, _, ok := doc.bodyProperties(doc.operation(t, r)); ok {
				createProps[strings.TrimPrefix(r.Path, "/")] = props
			}
		}
	}

	oneMiB := strings.Repeat("a", mib)
	deepArrays := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObjects := strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000)
	manyKeys := func() string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range 100_000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":0`, i)
		}
		b.WriteByte('}')
		return b.String()
	}()
	utf16Body := func(s string) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}

	var probes, deletes []hostileProbe
	bodiless := 0 // routes that read no body
	seg := func(r httpapi.Route) string { return strings.SplitN(strings.TrimPrefix(r.Path, "/"), "/", 2)[0] }
	fill := func(r httpapi.Route, id string) string {
		p := r.Path
		for _, name := range []string{"{id}", "{runId}"} {
			p = strings.ReplaceAll(p, name, id)
		}
		if strings.Contains(p, "{") {
			t.Fatalf("%s: a path parameter this test does not know; teach it which resource to put there", r.Key())
		}
		return p
	}
	for _, r := range httpapi.Routes() {
		op := doc.operation(t, r)
		props, required, takesBody := doc.bodyProperties(op)
		path := r.Path
		if strings.Contains(r.Path, "{") {
			id, ok := myIDs[seg(r)]
			if !ok {
				t.Fatalf("%s: no resource of the caller to put in its path; add one", r.Key())
			}
			path = fill(r, id)
		}
		addTyped := func(what, ctype string, body []byte, field string) {
			p := hostileProbe{route: r, what: what, method: r.Method, path: path, body: body, ctype: ctype, want: wantRejected, field: field}
			if !takesBody {
				p.want, p.field = wantIgnored, ""
			}
			if r.Method == "DELETE" {
				deletes = append(deletes, p)
			} else {
				probes = append(probes, p)
			}
		}
		add := func(what string, body []byte, field string) { addTyped(what, "", body, field) }
		if !takesBody {
			bodiless++
		}
		base := bases[r.Key()]
		baseJSON := string(jsonObject(base...))
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		slices.Sort(names)
		strField := "Description" // a string member to spoil
		if props["Description"] == nil {
			for _, name := range names {
				if props[name].Type == "string" {
					strField = name
					break
				}
			}
		}

		// Not JSON, or not one JSON object.
		if required || !takesBody {
			add("empty body", []byte{}, "")
		}
		for _, c := range []struct{ what, body string }{
			{"whitespace only", " \n\t\r "},
			{"not JSON", "hello"},
			{"truncated", `{"` + strField + `":`},
			{"unclosed object", "{"},
			{"stray close", "}"},
			{"single quotes", `{'` + strField + `':'x'}`},
			{"bare key", `{` + strField + `:"x"}`},
			{"trailing comma", `{"` + strField + `":"x",}`},
			{"trailing garbage", baseJSON + "x"},
			{"two objects", baseJSON + baseJSON},
			{"object and ]", baseJSON + "]"},
			{"object and }", baseJSON + "}"},
			{"top-level null", "null"},
			{"top-level true", "true"},
			{"top-level number", "42"},
			{"top-level huge number", "1e999999"},
			{"top-level string", `"x"`},
			{"top-level array", "[]"},
			{"the object in an array", "[" + baseJSON + "]"},
			{"invalid UTF-8 alone", "\xff\xfe\xfd"},
			{"invalid UTF-8 in a string", `{"` + strField + `":"a` + "\xff" + `b"}`},
			{"overlong UTF-8", `{"` + strField + `":"` + "\xc0\xaf" + `"}`},
			{"UTF-8 encoded surrogate", `{"` + strField + `":"` + "\xed\xa0\x80" + `"}`},
			{"invalid UTF-8 in a key", "{\"\xff\":1}"},
			{"byte order mark", "\xef\xbb\xbf" + baseJSON},
			{"NUL byte", "{\x00}"},
			{"raw control character in a string", `{"` + strField + `":"a` + "\x01" + `b"}`},
			{"100k nested arrays", deepArrays},
			{"base64 of the object", base64.StdEncoding.EncodeToString([]byte(baseJSON))},
		} {
			add(c.what, []byte(c.body), "")
		}
		// Big ones (about 1 MB), to the routes that read a body: to the
		// others they are no different from the small ones, and slow.
		for _, c := range []struct{ what, body string }{
			{"100k nested objects", deepObjects},
			{"100k nested arrays in a member", `{"` + strField + `":` + deepArrays + `}`},
			{"100k unclosed arrays", deepArrays[:100_000]},
			{"1 MB key", `{"` + oneMiB + `":1}`},
			{"1 MB number", `{"` + strField + `":` + strings.Repeat("9", mib) + `}`},
			{"100k unknown keys", manyKeys},
		} {
			if takesBody {
				add(c.what, []byte(c.body), "")
			}
		}
		add("UTF-16 body", utf16Body(baseJSON), "")
		for _, c := range []struct{ what, ctype, body string }{
			{"form encoded", "application/x-www-form-urlencoded", strField + "=x"},
			{"XML", "application/xml", "<" + strField + ">x</" + strField + ">"},
			{"binary", "application/octet-stream", "\x00\x01\x02\xff\xfe"},
			{"no content type, not JSON", "-", "\x89PNG\r\n\x1a\n"},
		} {
			addTyped(c.what, c.ctype, []byte(c.body), "")
		}

		// Members: wrong types, huge values, duplicates, unknown and fixed fields.
		for _, name := range names {
			p := props[name]
			for _, v := range wrongValues(p) {
				add(fmt.Sprintf("%s as %s", name, v), jsonObject(withMember(base, name, v)...), name)
			}
			switch {
			case p.Type == "string": // each its own, for the suite's secret scan
				add(name+" of 1 MB", jsonObject(withMember(base, name, jsonString(name+":"+oneMiB))...), name)
			case p.Type == "array" && p.Items != nil && p.Items.Type == "string":
				add(name+" with a 1 MB item", jsonObject(withMember(base, name, `[`+jsonString(oneMiB)+`]`)...), name)
				add(name+" with 100k items", jsonObject(withMember(base, name, `[`+strings.Repeat(`"u",`, 100_000)+`"u"]`)...), name)
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
				add(name+" twice", jsonObject(append(withMember(base, name, dup), hostileKV{name, dup})...), name)
				add(name+" twice, case apart", jsonObject(append(withMember(base, name, dup), hostileKV{strings.ToLower(name), dup})...), "")
			}
		}
		if takesBody {
			for _, key := range []string{"NoSuchField", `Quoted"Key\`, "Ünïcödé\u2028", "__proto__"} {
				add("unknown field "+strconv.Quote(key), jsonObject(append(slices.Clone(base), hostileKV{key, "1"})...), key)
			}
			if r.Method == "PUT" {
				for name := range createProps[seg(r)] {
					if props[name] == nil {
						add("fixed field "+name, jsonObject(hostileKV{name, `"x"`}), name)
					}
				}
			}
		}

		// Bad path parameters: each replaces the real id.
		if strings.Contains(r.Path, "{") {
			body := []byte(nil)
			if takesBody {
				body = jsonObject(base...)
			}
			myID := myIDs[seg(r)]
			for _, c := range []struct{ what, id string }{
				{"space id", "%20"},
				{"non-UUID id", "not-a-uuid"},
				{"numeric id", "12345"},
				{"null id", "null"},
				{"upper-case id", strings.ToUpper(myID)},
				{"id with a suffix", myID + "x"},
				{"id in braces", "%7B" + myID + "%7D"},
				{"unknown UUID", uuid.NewString()},
				{"someone else's id", theirIDs[seg(r)]},
				{"another kind's id", otherKind[seg(r)]},
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
				p := hostileProbe{route: r, what: c.what, method: r.Method, path: fill(r, c.id), body: body, want: wantRejected}
				if r.Method == "DELETE" {
					deletes = append([]hostileProbe{p}, deletes...) // before the real deletes
				} else {
					probes = append(probes, p)
				}
			}
		}

		// Bad query parameters.
		for _, qp := range op.Parameters {
			if qp.In != "query" {
				continue
			}
			var values []string
			switch qp.Name {
			case "limit":
				values = []string{"0", "-1", "101", "1e2", "abc", "99999999999999999999", "", "%00", "1%20"}
			case "next":
				values = []string{"garbage!", "%FF", "AAAA", strings.Repeat("A", 8<<10), "%2F%2B%3D"}
				// Well-formed tokens that no page gave out: the store may
				// start wherever they say, within the caller's own list.
				for _, prefix := range []string{"CONNECTION#", "DATASET#", "SCHEDULE#", "RUN#", "FILE#"} {
					for _, rest := range []string{strings.Repeat("z", 3000), "\xff\xfe"} {
						probes = append(probes, hostileProbe{route: r, what: fmt.Sprintf("forged next %.20q", prefix+rest), method: r.Method,
							path: path + "?next=" + base64.RawURLEncoding.EncodeToString([]byte(prefix+rest)), want: wantTolerated})
					}
				}
			default:
				values = []string{strings.Repeat("x", 8<<10), "%FF"}
			}
			for _, v := range values {
				probes = append(probes, hostileProbe{route: r, what: fmt.Sprintf("?%s=%.40s", qp.Name, v), method: r.Method,
					path: path + "?" + qp.Name + "=" + v, want: wantRejected, field: ""})
			}
		}
	}

	// API Gateway's quota, a few times: at 10 MB the gateway passes the body
	// on; above it answers 413 itself, with or without a Content-Length.
	tenMB := func(n int) []byte { // n bytes
		return []byte(`{"Description":"` + strings.Repeat("d", n-len(`{"Description":""}`)) + `"}`)
	}
	dsPath := "/datasets/" + mine.dataset
	putDataset := httpapi.Route{Method: "PUT", Path: "/datasets/{id}"}
	probes = append(probes,
		hostileProbe{route: putDataset, what: "5 MB body", method: "PUT", path: dsPath, body: tenMB(5 * mib), want: wantRejected, field: "Description"},
		hostileProbe{route: putDataset, what: "10 MB body", method: "PUT", path: dsPath, body: tenMB(10 * mib), want: wantOverLambdaQuota},
		hostileProbe{route: putDataset, what: "10 MB + 1 body", method: "PUT", path: dsPath, body: tenMB(10*mib + 1), want: wantTooLarge},
		hostileProbe{route: putDataset, what: "10 MB + 1 body, chunked", method: "PUT", path: dsPath, body: tenMB(10*mib + 1), chunk: true, want: wantTooLarge},
	)

	var mu sync.Mutex
	var tried, ignored, tolerated, fiveXX, overQuota int
	byStatus := map[int]int{}
	check := func(p hostileProbe) {
		status, body, ctype, err := hostileSend(p)
		mu.Lock()
		defer mu.Unlock()
		switch p.want {
		case wantIgnored:
			ignored++
		case wantTolerated:
			tolerated++
		default:
			tried++
		}
		byStatus[status]++
		if err != nil {
			t.Errorf("%s %s (%s): %v", p.method, p.route.Path, p.what, err)
			return
		}
		if status >= 500 {
			fiveXX++
		}
		if p.want == wantOverLambdaQuota && status == http.StatusRequestEntityTooLarge {
			overQuota++
		}
		short := body
		if len(short) > 300 {
			short = append(short[:300:300], "…"...)
		}
		switch p.want {
		case wantTooLarge:
			if status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s (%s): %d %s, want 413", p.method, p.route.Path, p.what, status, short)
			}
			return
		case wantOverLambdaQuota:
			if status != http.StatusRequestEntityTooLarge || string(body) != `{"message":"Request Too Long"}` {
				t.Errorf("%s %s (%s): %d %s, want the gateway's 413", p.method, p.route.Path, p.what, status, short)
			}
			return
		case wantIgnored, wantTolerated:
			if status >= 500 {
				t.Errorf("%s %s (%s): %d %s, want no 5xx", p.method, p.route.Path, p.what, status, short)
			}
			if len(body) > 0 && !json.Valid(body) {
				t.Errorf("%s %s (%s): %d, body not JSON: %s", p.method, p.route.Path, p.what, status, short)
			}
			return
		}
		if status < 400 || status > 499 {
			t.Errorf("%s %s (%s): %d %s, want a 4xx", p.method, p.route.Path, p.what, status, short)
			return
		}
		// A map, not a struct: encoding/json matches keys ignoring case,
		// and the gateway's own answers spell it "message".
		var members map[string]any
		if err := json.Unmarshal(body, &members); err != nil || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("%s %s (%s): %d, body not a JSON object (%s): %s", p.method, p.route.Path, p.what, status, ctype, short)
			return
		}
		message, _ := members["Message"].(string)
		gatewayMessage, _ := members["message"].(string)
		field, _ := members["Field"].(string)
		if message == "" && gatewayMessage == "" {
			t.Errorf("%s %s (%s): %d without a message: %s", p.method, p.route.Path, p.what, status, short)
		}
		if p.field != "" && (status != http.StatusBadRequest || field != p.field &&
			!strings.HasPrefix(field, p.field+".") && !strings.HasPrefix(field, p.field+"[")) {
			t.Errorf("%s %s (%s): %d naming field %q, want 400 naming %q: %s", p.method, p.route.Path, p.what, status, field, p.field, short)
		}
	}
	run := func(ps []hostileProbe, workers int) {
		ch := make(chan hostileProbe)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range ch {
					check(p)
				}
			}()
		}
		for _, p := range ps {
			ch <- p
		}
		close(ch)
		wg.Wait()
	}
	setupTook := time.Since(started)
	run(probes, 4)
	probesTook := time.Since(started) - setupTook
	// DELETE routes last, each on a resource of its own: the bad ids first,
	// then the ignored bodies (the first of which deletes it).
	freshIDs := map[string]string{}
	for i, p := range deletes {
		if p.want != wantIgnored || !strings.Contains(p.route.Path, "{") {
			continue
		}
		kind := seg(p.route)
		if freshIDs[kind] == "" {
			newID, ok := fresh[kind]
			if !ok {
				t.Fatalf("%s: teach this test to make a throwaway resource for it", p.route.Key())
			}
			freshIDs[kind] = newID()
		}
		deletes[i].path = fill(p.route, freshIDs[kind])
	}
	run(deletes, 1)

	// Nothing a bad request said was applied.
	for kind, want := range before {
		_, got := call(t, hostileUser, "GET", "/"+kind+"/"+myIDs[kind], nil)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s changed by bad requests:\n%v\nnow\n%v", kind, want, got)
		}
	}
	quotaRefusals := 0
	for _, line := range strings.Split(logs.String()[logStart:], "\n") {
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
	t.Logf("bad inputs tried: %d, 5xx seen: %d; %d bodies over Lambda's 6 MB event quota answered 413 by the gateway",
		tried, fiveXX, overQuota)
	t.Logf("also sent, none answered with a 5xx: %d hostile bodies to the %d routes that read no body (ignored), %d forged page tokens; statuses %v",
		ignored, bodiless, tolerated, byStatus)
	t.Logf("took %s: resources %s, probes %s, deletes and checks %s", time.Since(started).Round(time.Millisecond),
		setupTook.Round(time.Millisecond), probesTook.Round(time.Millisecond), (time.Since(started) - setupTook - probesTook).Round(time.Millisecond))
}

var hostileClient = &http.Client{Timeout: 60 * time.Second}

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
		"DatasetName": uniqueName("hostile"), "Domain": "hostile", "ConnectionId": connectionID, "FileType": "csv", "DirectoryPath": dir,
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
