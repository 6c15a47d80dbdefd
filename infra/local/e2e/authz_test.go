package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/httpapi"
)

// The authorization matrix: every route of httpapi.Routes() against every
// kind of caller, through the local gateway (its JWT authorizer) and the api
// function, each cell with the status it must answer.

// The columns of the matrix. The first four are signed-in users; the others
// are requests the gateway must turn away before the function runs, all of
// them made for the owner, so that only the token's defect can explain a 401.
const (
	colOwner      = iota // created the resource
	colShared            // in its AuthorizedUsers
	colRevoked           // was in its AuthorizedUsers, removed since
	colStranger          // never had access
	colNoToken           // no Authorization header
	colMalformed         // not a JWT
	colExpired           // exp in the past
	colFuture            // iat in the future
	colAudience          // for another app client
	colIssuer            // from another user pool
	colUnknownKey        // signed by a key the pool does not publish (unknown kid)
	colForged            // the pool's kid, signed by another key
	colAlgNone           // unsigned, alg "none"
	nCols
)

var colNames = [nCols]string{
	"owner", "shared", "revoked", "stranger", "no token", "malformed", "expired", "issued in the future",
	"other audience", "other issuer", "unknown key", "forged signature", "alg none",
}

// The users of the signed-in columns, used by this test only.
const (
	authzOwner    = "authz-owner"
	authzShared   = "authz-shared"
	authzRevoked  = "authz-revoked"
	authzStranger = "authz-stranger"
)

var colUsers = map[int]string{colOwner: authzOwner, colShared: authzShared, colRevoked: authzRevoked, colStranger: authzStranger}

// cellOrder runs the columns that must change nothing first and the owner
// last, so that an owner's DELETE cannot take a resource from another cell.
var cellOrder = []int{
	colNoToken, colMalformed, colExpired, colFuture, colAudience, colIssuer, colUnknownKey, colForged, colAlgNone,
	colStranger, colRevoked, colShared, colOwner,
}

// authzWorld holds the resources that read-only cells share. Each is shared
// with authzShared and was shared with authzRevoked, who was then removed.
type authzWorld struct {
	conn, dataset, schedule, run string
}

// authzRow is one route. request builds the request of one cell: the
// shared resources for reads, fresh ones for changes.
type authzRow struct {
	route   string
	request func(t *testing.T, w *authzWorld) (path string, body any)
	want    [nCols]int
}

func authzRows() []authzRow {
	conn := func(t *testing.T, w *authzWorld) (string, any) { return "/connections/" + w.conn, nil }
	dataset := func(t *testing.T, w *authzWorld) (string, any) { return "/datasets/" + w.dataset, nil }
	schedule := func(t *testing.T, w *authzWorld) (string, any) { return "/schedules/" + w.schedule, nil }
	freshConn := func(version string) func(t *testing.T, w *authzWorld) string {
		return func(t *testing.T, w *authzWorld) string { return "/connections/" + authzConn(t, version) }
	}
	freshDataset := func(t *testing.T, w *authzWorld) string { return "/datasets/" + authzDataset(t, w.conn) }
	freshSchedule := func(t *testing.T, w *authzWorld) string {
		return "/schedules/" + authzSchedule(t, w.dataset, true)
	}
	with := func(path func(t *testing.T, w *authzWorld) string, suffix string, body any) func(t *testing.T, w *authzWorld) (string, any) {
		return func(t *testing.T, w *authzWorld) (string, any) { return path(t, w) + suffix, body }
	}
	fixed := func(path string) func(t *testing.T, w *authzWorld) (string, any) {
		return func(*testing.T, *authzWorld) (string, any) { return path, nil }
	}
	return []authzRow{
		// want, by column: owner, shared, revoked, stranger | no token, malformed,
		// expired, issued in the future, other audience, other issuer,
		// unknown key, forged signature, alg none.
		{"GET /health", fixed("/health"), [nCols]int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},

		{"POST /connections", func(t *testing.T, w *authzWorld) (string, any) {
			return "/connections", policyConn(platformlocal.DemoBucket)
		},
			[nCols]int{201, 201, 201, 201, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /connections", fixed("/connections?limit=100"), [nCols]int{200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /connections/{id}", conn, [nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"PUT /connections/{id}", with(freshConn("1.8"), "", map[string]any{"Description": "changed"}),
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"DELETE /connections/{id}", with(freshConn("1.8"), "", nil),
			[nCols]int{204, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /connections/{id}/policies", func(t *testing.T, w *authzWorld) (string, any) { return "/connections/" + w.conn + "/policies", nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		// Only the connection's owner lists what was built on it.
		{"GET /connections/{id}/datasets", func(t *testing.T, w *authzWorld) (string, any) { return "/connections/" + w.conn + "/datasets", nil },
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"POST /connections/{id}/test", func(t *testing.T, w *authzWorld) (string, any) { return "/connections/" + w.conn + "/test", nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"POST /connections/{id}/upgrade", with(freshConn("1.6"), "/upgrade", map[string]any{"Version": "1.7"}),
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"POST /connections/{id}/downgrade", with(freshConn("upgraded"), "/downgrade", nil),
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},

		// A dataset on a connection the caller may not use is a bad
		// ConnectionId (400), exactly as for a connection that does not exist.
		{"POST /datasets", func(t *testing.T, w *authzWorld) (string, any) { return "/datasets", authzDatasetBody(w.conn) },
			[nCols]int{201, 201, 400, 400, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /datasets", fixed("/datasets?limit=100"), [nCols]int{200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /datasets/{id}", dataset, [nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"PUT /datasets/{id}", with(freshDataset, "", map[string]any{"Description": "changed"}),
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"DELETE /datasets/{id}", with(freshDataset, "", nil),
			[nCols]int{204, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /datasets/{id}/files", func(t *testing.T, w *authzWorld) (string, any) { return "/datasets/" + w.dataset + "/files", nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		// Pending restores name the source's keys: read as the files are.
		{"GET /datasets/{id}/restores", func(t *testing.T, w *authzWorld) (string, any) { return "/datasets/" + w.dataset + "/restores", nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},

		{"POST /schedules", func(t *testing.T, w *authzWorld) (string, any) {
			return "/schedules", map[string]any{"ScheduleName": uniqueName("authz"), "DatasetId": w.dataset}
		}, [nCols]int{201, 201, 400, 400, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /schedules", fixed("/schedules?limit=100"), [nCols]int{200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /schedules/{id}", schedule, [nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"PUT /schedules/{id}", with(freshSchedule, "", map[string]any{"Description": "changed"}),
			[nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"DELETE /schedules/{id}", with(freshSchedule, "", nil),
			[nCols]int{204, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		// Running is using, not changing: authorized users may. Each cell
		// gets its own dataset, as two runs of a dataset never overlap.
		{"POST /schedules/{id}/run", func(t *testing.T, w *authzWorld) (string, any) {
			return "/schedules/" + authzSchedule(t, authzDataset(t, w.conn), true) + "/run", nil
		}, [nCols]int{202, 202, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"GET /schedules/{id}/runs", func(t *testing.T, w *authzWorld) (string, any) { return "/schedules/" + w.schedule + "/runs", nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		// A run record keeps the AuthorizedUsers its schedule had when the
		// run started (run.New copies them): a user removed from the
		// schedule since still reads the runs made while they were on it
		// (200 below), though no longer the schedule or its list of runs.
		// SECURITY.md states this limit; change this cell if the rule changes.
		{"GET /runs/{runId}", func(t *testing.T, w *authzWorld) (string, any) { return "/runs/" + w.run, nil },
			[nCols]int{200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		// The report: exactly the run's rule (a redirect where the run is a 200).
		{"GET /runs/{runId}/report", func(t *testing.T, w *authzWorld) (string, any) { return "/runs/" + w.run + "/report", nil },
			[nCols]int{302, 302, 302, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
	}
}

// authzDomainRows are the domain routes. A domain is owned by the creator
// of its first dataset (authzSetup's) and shared like the other resources;
// the owner's PUT keeps the domain as the other rows need it.
func authzDomainRows() []authzRow {
	return []authzRow{
		{"GET /domains/{name}", func(*testing.T, *authzWorld) (string, any) { return "/domains/" + authzDomain, nil },
			[nCols]int{200, 200, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
		{"PUT /domains/{name}", func(*testing.T, *authzWorld) (string, any) {
			return "/domains/" + authzDomain, map[string]any{"AuthorizedUsers": []string{authzShared}}
		}, [nCols]int{200, 403, 404, 404, 401, 401, 401, 401, 401, 401, 401, 401, 401}},
	}
}

func TestAuthorizationMatrix(t *testing.T) {
	start := time.Now()
	rows := append(authzRows(), authzDomainRows()...)

	// The table covers exactly the served routes: a new route without a
	// row, or a row for a route no longer served, fails here.
	served := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		served[r.Key()] = r
	}
	inTable := map[string]bool{}
	for _, row := range rows {
		if inTable[row.route] {
			t.Errorf("route %s has two rows", row.route)
		}
		inTable[row.route] = true
		if _, ok := served[row.route]; !ok {
			t.Errorf("the table has a row for %s, which httpapi.Routes() does not serve: remove the row", row.route)
		}
		for col, want := range row.want {
			if want == 0 {
				t.Errorf("%s: no expected status for %s", row.route, colNames[col])
			}
		}
	}
	for key, r := range served {
		if !inTable[key] {
			t.Errorf("route %s (public: %v) has no row in the authorization matrix: add one with the status of every caller", key, r.Public)
		}
	}
	if t.Failed() {
		return
	}

	tokens := authzTokens(t)
	w := authzSetup(t)
	cells := 0
	for _, row := range rows {
		route := served[row.route]
		t.Run(row.route, func(t *testing.T) {
			// The rejected columns share one request: none of them may reach
			// the function, so none may change what it names.
			var rejectedPath string
			var rejectedBody any
			prepared := false
			for _, col := range cellOrder {
				var path string
				var body any
				_, signedIn := colUsers[col]
				switch {
				case signedIn || !prepared:
					path, body = row.request(t, w)
					if !signedIn {
						rejectedPath, rejectedBody, prepared = path, body, true
					}
				default:
					path, body = rejectedPath, rejectedBody
				}
				if !authzRouteMatches(route, path) {
					t.Fatalf("the row's request %s does not match its route %s", path, route.Path)
				}
				want := row.want[col]
				cells++
				t.Run(colNames[col], func(t *testing.T) {
					status, out, hdr := send(t, tokens[col], route.Method, path, body)
					if status != want {
						t.Fatalf("%s %s: %d, want %d: %v", route.Method, path, status, want, out)
					}
					switch {
					case status == 401:
						// The gateway's own answer: the function never ran.
						if len(out) != 1 || out["message"] != "Unauthorized" {
							t.Errorf("401 body %v, want the gateway's {\"message\":\"Unauthorized\"}", out)
						}
						challenge := hdr.Get("Www-Authenticate")
						if col == colNoToken && challenge != "" || col != colNoToken && !strings.Contains(challenge, `error="invalid_token"`) {
							t.Errorf("www-authenticate %q", challenge)
						}
					case status == 202:
						waitRun(t, colUsers[col], out["RunId"].(string))
					case status == 200 && route.Method == "GET" && !strings.Contains(route.Path, "{"):
						authzCheckList(t, colUsers[col], path, out, w)
					}
					if signedIn && (col == colStranger || col == colRevoked) && status >= 400 {
						authzCheckSameAsAbsent(t, tokens[col], route.Method, path, body, status, out)
					}
				})
			}
		})
	}
	t.Logf("%d routes x %d callers = %d cells in %v", len(rows), nCols, cells, time.Since(start).Round(time.Millisecond))
}

// authzTokens returns the Authorization header value of each column.
func authzTokens(t *testing.T) [nCols]string {
	t.Helper()
	var out [nCols]string
	bearer := func(tok string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	for col, user := range colUsers {
		out[col] = bearer(plat.Token(user))
	}
	key := plat.Issuer.Key
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	out[colNoToken] = ""
	out[colMalformed] = "Bearer not-a-jwt"
	out[colExpired] = bearer(plat.Issuer.TokenAt(authzOwner, time.Minute, now.Add(-time.Hour)))
	out[colFuture] = bearer(plat.Issuer.TokenAt(authzOwner, 2*time.Hour, now.Add(time.Hour)))
	out[colAudience] = bearer((&localauth.Issuer{Key: key, Issuer: plat.Issuer.Issuer, Audience: "another-app-client"}).Token(authzOwner, time.Hour))
	out[colIssuer] = bearer((&localauth.Issuer{Key: key, Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_another", Audience: plat.Issuer.Audience}).Token(authzOwner, time.Hour))
	out[colUnknownKey] = bearer((&localauth.Issuer{Key: other, Issuer: plat.Issuer.Issuer, Audience: plat.Issuer.Audience}).Token(authzOwner, time.Hour))
	out[colForged] = bearer((&localauth.Issuer{Key: other, Issuer: plat.Issuer.Issuer, Audience: plat.Issuer.Audience,
		KeyID: localauth.KeyID(&key.PublicKey)}).Token(authzOwner, time.Hour))
	// alg "none": a valid token's header and claims, no signature.
	valid := strings.Split(strings.TrimPrefix(out[colOwner], "Bearer "), ".")
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": localauth.KeyID(&key.PublicKey)})
	out[colAlgNone] = "Bearer " + base64.RawURLEncoding.EncodeToString(header) + "." + valid[1] + "."
	return out
}

// authzSetup creates the shared resources. The run is made while
// authzRevoked is still on the schedule.
func authzSetup(t *testing.T) *authzWorld {
	t.Helper()
	// The connection is revoked last: nobody can be shared a dataset or a
	// schedule on a connection they may not use.
	w := &authzWorld{conn: authzConnKept(t, "1.8")}
	w.dataset = authzDatasetShared(t, w.conn, authzAccess)
	// The first dataset made authzOwner the owner of authzDomain: share it
	// as the other resources are, so that authzShared may create in it.
	status, out := call(t, authzOwner, "PUT", "/domains/"+authzDomain, map[string]any{"AuthorizedUsers": authzAccess})
	if status != 200 {
		t.Fatalf("share the domain: %d %v", status, out)
	}
	authzRevoke(t, "/domains/"+authzDomain)
	w.schedule = authzSchedule(t, w.dataset, false)
	status, out = call(t, authzOwner, "POST", "/schedules/"+w.schedule+"/run", nil)
	if status != 202 {
		t.Fatalf("run: %d %v", status, out)
	}
	w.run = out["RunId"].(string)
	waitRun(t, authzOwner, w.run)
	waitReport(t, authzOwner, w.run)
	authzRevoke(t, "/schedules/"+w.schedule)
	authzRevoke(t, "/datasets/"+w.dataset)
	authzRevoke(t, "/connections/"+w.conn)
	return w
}

var authzAccess = []string{authzShared, authzRevoked}

// authzDomain is the domain of the matrix's datasets.
const authzDomain = "authz"

// authzConn creates a bucket_policy connection at version ("upgraded": at
// 1.6, then upgraded to 1.7, so that it can be downgraded), shared with
// authzShared and no longer with authzRevoked.
func authzConn(t *testing.T, version string) string {
	t.Helper()
	id := authzConnKept(t, version)
	authzRevoke(t, "/connections/"+id)
	return id
}

// authzConnKept is authzConn still shared with authzRevoked.
func authzConnKept(t *testing.T, version string) string {
	t.Helper()
	body := policyConn(platformlocal.DemoBucket)
	body["AuthorizedUsers"] = authzAccess
	body["Version"] = version
	if version == "upgraded" {
		body["Version"] = "1.6"
	}
	id := mustCreate(t, authzOwner, body)
	if version == "upgraded" {
		if status, out := call(t, authzOwner, "POST", "/connections/"+id+"/upgrade", map[string]any{"Version": "1.7"}); status != 200 {
			t.Fatalf("upgrade: %d %v", status, out)
		}
	}
	return id
}

// authzDatasetBody is a dataset on conn whose directory holds no file, so
// that its runs end at once, shared with authzShared (conn is no longer
// shared with authzRevoked, so neither can the dataset be).
func authzDatasetBody(conn string) map[string]any {
	return map[string]any{
		"DatasetName": uniqueName("authz"), "Domain": authzDomain, "ConnectionId": conn, "FileType": "csv",
		"DirectoryPath": "authz-nothing-here/", "AuthorizedUsers": []string{authzShared},
	}
}

func authzDataset(t *testing.T, conn string) string {
	t.Helper()
	return authzDatasetShared(t, conn, []string{authzShared})
}

func authzDatasetShared(t *testing.T, conn string, users []string) string {
	t.Helper()
	body := authzDatasetBody(conn)
	body["AuthorizedUsers"] = users
	status, out := call(t, authzOwner, "POST", "/datasets", body)
	if status != 201 {
		t.Fatalf("dataset: %d %v", status, out)
	}
	id := out["DatasetId"].(string)
	return id
}

func authzSchedule(t *testing.T, dataset string, revoke bool) string {
	t.Helper()
	users := []string{authzShared}
	if !revoke { // the shared schedule, made while its dataset is still shared with authzRevoked
		users = authzAccess
	}
	status, out := call(t, authzOwner, "POST", "/schedules", map[string]any{
		"ScheduleName": uniqueName("authz"), "DatasetId": dataset, "AuthorizedUsers": users,
	})
	if status != 201 {
		t.Fatalf("schedule: %d %v", status, out)
	}
	id := out["ScheduleId"].(string)
	if revoke {
		authzRevoke(t, "/schedules/"+id)
	}
	return id
}

// authzRevoke removes authzRevoked from a resource's AuthorizedUsers.
func authzRevoke(t *testing.T, path string) {
	t.Helper()
	if status, out := call(t, authzOwner, "PUT", path, map[string]any{"AuthorizedUsers": []string{authzShared}}); status != 200 {
		t.Fatalf("revoke on %s: %d %v", path, status, out)
	}
}

// authzRouteMatches says whether path (query aside) is an instance of r's template.
func authzRouteMatches(r httpapi.Route, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	want, got := strings.Split(r.Path, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if strings.HasPrefix(want[i], "{") {
			if got[i] == "" {
				return false
			}
		} else if want[i] != got[i] {
			return false
		}
	}
	return true
}

const authzAbsentID = "01900000-0000-7000-8000-00000000abcd"

// authzCheckSameAsAbsent sends the request again with the id it names replaced
// by one that exists nowhere: a caller without access must get the same
// answer, word for word, so that nothing tells them the resource exists.
func authzCheckSameAsAbsent(t *testing.T, authorization, method, path string, body any, status int, out map[string]any) {
	t.Helper()
	id := authzSubjectID(path, body)
	if id == "" {
		t.Fatalf("%s %s: no id to compare with an absent one", method, path)
	}
	raw, _ := json.Marshal(body)
	var absentBody any
	if body != nil {
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), id, authzAbsentID)), &absentBody); err != nil {
			t.Fatal(err)
		}
	}
	absentStatus, absentOut, _ := send(t, authorization, method, strings.ReplaceAll(path, id, authzAbsentID), absentBody)
	got, _ := json.Marshal(out)
	want, _ := json.Marshal(absentOut)
	if absentStatus != status || strings.ReplaceAll(string(got), id, authzAbsentID) != string(want) {
		t.Errorf("answer differs from an absent resource's, which tells that it exists:\n got %d %s\nwant %d %s", status, got, absentStatus, want)
	}
}

// authzSubjectID is the resource id a request names: its path parameter,
// else the ConnectionId or DatasetId of its body.
func authzSubjectID(path string, body any) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	if m, ok := body.(map[string]any); ok {
		for _, k := range []string{"DatasetId", "ConnectionId"} {
			if s, ok := m[k].(string); ok {
				return s
			}
		}
	}
	return ""
}

// authzCheckList checks a list answer: every item is one the
// caller may see, and the shared resource is listed for its owner and
// shared user (following Next) and for nobody else.
func authzCheckList(t *testing.T, user, path string, out map[string]any, w *authzWorld) {
	t.Helper()
	collection, idField, sharedID := "", "", ""
	switch {
	case strings.HasPrefix(path, "/connections"):
		collection, idField, sharedID = "Connections", "ConnectionId", w.conn
	case strings.HasPrefix(path, "/datasets"):
		collection, idField, sharedID = "Datasets", "DatasetId", w.dataset
	case strings.HasPrefix(path, "/schedules"):
		collection, idField, sharedID = "Schedules", "ScheduleId", w.schedule
	default:
		return // not a list of shared resources
	}
	found := false
	for page := 0; ; page++ {
		items, ok := out[collection].([]any)
		if !ok {
			t.Fatalf("no %s in %v", collection, out)
		}
		for _, it := range items {
			item := it.(map[string]any)
			var users []string
			for _, u := range item["AuthorizedUsers"].([]any) {
				users = append(users, u.(string))
			}
			if item["CreatedBy"] != user && !slices.Contains(users, user) {
				t.Errorf("%s lists %s %v, created by %v for %v", user, collection, item[idField], item["CreatedBy"], users)
			}
			found = found || item[idField] == sharedID
		}
		next, _ := out["Next"].(string)
		if next == "" || page == 50 {
			break
		}
		var status int
		base, _, _ := strings.Cut(path, "?")
		status, out = call(t, user, "GET", base+"?limit=100&next="+next, nil)
		if status != 200 {
			t.Fatalf("next page: %d %v", status, out)
		}
	}
	if shouldSee := user == authzOwner || user == authzShared; found != shouldSee {
		t.Errorf("%s lists the shared %s: %v, want %v", user, idField, found, shouldSee)
	}
}

// The matrix's helpers must not let a wrong request pass for its route.
func TestAuthorizationRouteMatching(t *testing.T) {
	r := httpapi.Route{Method: "GET", Path: "/connections/{id}/policies"}
	for path, want := range map[string]bool{
		"/connections/abc/policies": true, "/connections/abc/policies?x=1": true,
		"/connections//policies": false, "/connections/abc": false, "/datasets/abc/policies": false,
	} {
		if got := authzRouteMatches(r, path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	if got := authzSubjectID("/runs/r1", nil); got != "r1" {
		t.Errorf("subject of /runs/r1: %q", got)
	}
	if got := authzSubjectID("/datasets", map[string]any{"ConnectionId": "c1"}); got != "c1" {
		t.Errorf("subject of a dataset body: %q", got)
	}
}
