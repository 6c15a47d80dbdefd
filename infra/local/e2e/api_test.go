package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// These tests drive the API as a user does: HTTP through the local gateway
// (JWT checks included), the api function in the local Lambda runtime, the
// planner behind lambda:Invoke, and the emulators behind them.
var (
	plat *platformlocal.Platform
	logs = &syncBuffer{}
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	var err error
	plat, err = platformlocal.Start(context.Background(), platformlocal.Options{
		Seed: true, Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		EmulatorLog: io.Discard, // Start reports an emulator that fails
		// Multipart paths with small files, and every task delivered twice.
		PartSize: 5 << 20, CopyThreshold: 5 << 20, DuplicateDeliveries: true,
		// One listing page per planner invocation: every run is a continuation chain.
		PlannerBudget: time.Nanosecond,
		EventRecord:   runEventLog, // the run events (runevents_test.go)
		RollingQuiet:  time.Second, // rolling runs close at the first sweep after a quiet second (eventdriven_test.go)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local platform:", err)
		os.Exit(1)
	}
	code := m.Run()
	plat.Close()
	if leaks := secretLeaks(); len(leaks) > 0 {
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, "secret leak:", l)
		}
		code = 1
	}
	if code != 0 || os.Getenv("S3C_DUMP_LOGS") != "" { // what the platform complained about, to explain the failure
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
	os.Exit(code)
}

// responses collects every response body, and secrets every secret access
// key the tests sent, for the check after the whole suite (secretLeaks).
var (
	responses syncBuffer
	secrets   sync.Map // string -> struct{}
)

// noteSecrets remembers the secret access key a request body carries.
func noteSecrets(body []byte) {
	var in struct{ SecretAccessKey any }
	if json.Unmarshal(body, &in) != nil {
		return
	}
	if s, ok := in.SecretAccessKey.(string); ok && len(s) >= 16 { // shorter ones would match by chance
		secrets.Store(s, struct{}{})
	}
}

// secretLeaks scans every response body and every log line of the suite
// for every secret access key it used, and for the keys the platform and
// its demo source hold.
func secretLeaks() []string {
	secrets.Store(platformlocal.DemoSecretAccessKey, struct{}{})
	secrets.Store(platformlocal.SecretAccessKey, struct{}{})
	var leaks []string
	all, lines := responses.String(), logs.String()+runEventLog.String() // the run events too
	n := 0
	secrets.Range(func(k, _ any) bool {
		n++
		s := k.(string)
		if strings.Contains(all, s) {
			leaks = append(leaks, fmt.Sprintf("a response body holds the secret access key %.4s…", s))
		}
		if strings.Contains(lines, s) {
			leaks = append(leaks, fmt.Sprintf("a log line holds the secret access key %.4s…", s))
		}
		return true
	})
	fmt.Printf("secret scan: %d secret access keys, %d bytes of responses, %d bytes of logs, %d leaks\n", n, len(all), len(lines), len(leaks))
	return leaks
}

// call sends one request as user ("" = no token) and decodes the JSON answer.
func call(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	authorization := ""
	if user != "" {
		tok, err := plat.Token(user)
		if err != nil {
			t.Fatal(err)
		}
		authorization = "Bearer " + tok
	}
	status, out, _ := send(t, authorization, method, path, body)
	return status, out
}

// send makes one request with an Authorization header value ("" = none)
// and a body (a string as it is, anything else as JSON), notes the secrets
// it carries and keeps the answer for the secret scan.
func send(t *testing.T, authorization, method, path string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	return sendTo(t, plat.APIURL, authorization, method, path, body)
}

// sendTo is send to the API at apiURL.
func sendTo(t *testing.T, apiURL, authorization, method, path string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		noteSecrets([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
		noteSecrets(raw)
	}
	req, err := http.NewRequest(method, apiURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	if authorization != "" {
		req.Header.Set("authorization", authorization)
	}
	resp, err := apiOnly.Do(req) // the API's answers: a report's 302 is not followed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	responses.Write(raw)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func mustCreate(t *testing.T, user string, body map[string]any) string {
	t.Helper()
	status, out := call(t, user, "POST", "/connections", body)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	return out["ConnectionId"].(string)
}

var nameSeq struct {
	sync.Mutex
	n int
}

func uniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s-%d", prefix, nameSeq.n)
}

func policyConn(bucket string) map[string]any {
	return map[string]any{
		"ConnectionName": uniqueName("policy"), "S3Bucket": bucket, "ConnectionAccessType": "bucket_policy",
	}
}

func keysConn(bucket, id, secret string) map[string]any {
	return map[string]any{
		"ConnectionName": uniqueName("keys"), "S3Bucket": bucket, "ConnectionAccessType": "access_keys",
		"AccessKeyId": id, "SecretAccessKey": secret,
	}
}

// Every connections route, for the owner, an authorized user, a stranger and
// no token at all.
func TestConnectionRoutesByCaller(t *testing.T) {
	body := policyConn(platformlocal.DemoBucket)
	body["AuthorizedUsers"] = []string{"bob"}
	body["Version"] = "1.6"
	id := mustCreate(t, "alice", body)
	p := "/connections/" + id
	testCases := []struct {
		method, path string
		body         any
		want         map[string]int // caller -> status
	}{
		{"GET", p, nil, map[string]int{"alice": 200, "bob": 200, "mallory": 404, "": 401}},
		{"GET", p + "/policies", nil, map[string]int{"alice": 200, "bob": 200, "mallory": 404, "": 401}},
		{"POST", p + "/test", nil, map[string]int{"alice": 200, "bob": 200, "mallory": 404, "": 401}},
		{"PUT", p, map[string]any{"Description": "orders from ACME"}, map[string]int{"alice": 200, "bob": 403, "mallory": 404, "": 401}},
		{"POST", p + "/upgrade", map[string]any{"Version": "1.7"}, map[string]int{"bob": 403, "mallory": 404, "": 401, "alice": 200}},
		{"POST", p + "/downgrade", nil, map[string]int{"bob": 403, "mallory": 404, "": 401, "alice": 200}},
		{"DELETE", p, nil, map[string]int{"bob": 403, "mallory": 404, "": 401, "alice": 204}},
		{"GET", p, nil, map[string]int{"alice": 404, "bob": 404}},
		{"POST", "/connections", policyConn(platformlocal.DemoBucket), map[string]int{"": 401}},
		{"GET", "/connections", nil, map[string]int{"": 401}},
	}
	for _, tc := range testCases {
		for _, user := range []string{"", "mallory", "bob", "alice"} {
			want, ok := tc.want[user]
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s %s as %q", tc.method, strings.Replace(tc.path, id, "{id}", 1), user), func(t *testing.T) {
				status, out := call(t, user, tc.method, tc.path, tc.body)
				if status != want {
					t.Fatalf("status %d, want %d: %v", status, want, out)
				}
				if status == 404 && user == "mallory" && strings.Contains(fmt.Sprint(out), platformlocal.DemoBucket) {
					t.Fatalf("a stranger learns about the connection: %v", out)
				}
			})
		}
	}
}

func TestListShowsOnlyWhatTheCallerMaySee(t *testing.T) {
	own := mustCreate(t, "lister-a", policyConn(platformlocal.DemoBucket))
	shared := policyConn(platformlocal.DemoBucket)
	shared["AuthorizedUsers"] = []string{"lister-a"}
	sharedID := mustCreate(t, "lister-b", shared)
	other := mustCreate(t, "lister-c", policyConn(platformlocal.DemoBucket))
	status, out := call(t, "lister-a", "GET", "/connections?limit=1", nil)
	if status != 200 || len(out["Connections"].([]any)) != 1 || out["Next"] == nil {
		t.Fatalf("first page: %d %v", status, out)
	}
	seen := []string{out["Connections"].([]any)[0].(map[string]any)["ConnectionId"].(string)}
	status, out = call(t, "lister-a", "GET", "/connections?limit=1&next="+out["Next"].(string), nil)
	if status != 200 || len(out["Connections"].([]any)) != 1 {
		t.Fatalf("second page: %d %v", status, out)
	}
	seen = append(seen, out["Connections"].([]any)[0].(map[string]any)["ConnectionId"].(string))
	if seen[0] != own || seen[1] != sharedID || seen[1] == other {
		t.Fatalf("lister-a sees %v, want [%s %s]", seen, own, sharedID)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "next=%21%21"} {
		if status, out := call(t, "lister-a", "GET", "/connections?"+q, nil); status != 400 || out["Field"] == nil {
			t.Errorf("?%s: %d %v", q, status, out)
		}
	}
}

// Every invalid field of a create request is a 400 that names it.
func TestCreateRejectsEachInvalidField(t *testing.T) {
	testCases := []struct {
		field string
		set   any
	}{
		{"ConnectionName", "x"},
		{"ConnectionType", "jdbc"},
		{"Description", strings.Repeat("d", 1025)},
		{"AuthorizedUsers", []string{"not a user"}},
		{"S3Bucket", "Not_A_Bucket"},
		{"S3BucketRegion", "mars-1"},
		{"ConnectionAccessType", "magic"},
		{"AccessKeyId", "short"},
		{"SecretAccessKey", "short"},
		{"Version", "9.9"},
		{"Unknown", "x"},
		{"S3Bucket", 12},
	}
	for _, tc := range testCases {
		t.Run(tc.field, func(t *testing.T) {
			body := keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey)
			body[tc.field] = tc.set
			status, out := call(t, "alice", "POST", "/connections", body)
			if status != 400 || out["Field"] != tc.field || out["Message"] == "" {
				t.Fatalf("%d %v, want 400 naming %s", status, out, tc.field)
			}
		})
	}
	for _, raw := range []string{"", "{", "[1]", `{"ConnectionName":"a"} {}`} {
		if status, out := call(t, "alice", "POST", "/connections", raw); status != 400 {
			t.Errorf("body %q: %d %v", raw, status, out)
		}
	}
	// A field that a PUT may not change is named too.
	id := mustCreate(t, "alice", policyConn(platformlocal.DemoBucket))
	if status, out := call(t, "alice", "PUT", "/connections/"+id, map[string]any{"S3Bucket": "other"}); status != 400 || out["Field"] != "S3Bucket" {
		t.Fatalf("PUT S3Bucket: %d %v", status, out)
	}
}

func TestNameIsUniqueUnderConcurrentRequests(t *testing.T) {
	name := uniqueName("race")
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := policyConn(platformlocal.DemoBucket)
			body["ConnectionName"] = name
			if i%2 == 1 {
				body["ConnectionName"] = strings.ToUpper(name)
			}
			status, _ := call(t, fmt.Sprintf("racer%d", i), "POST", "/connections", body)
			statuses <- status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v, want one 201 and %d 409", count, n-1)
	}
}

func TestPoliciesNameTheSourceReaderAndTheConnection(t *testing.T) {
	id := mustCreate(t, "alice", policyConn(platformlocal.DemoBucket))
	status, out := call(t, "alice", "GET", "/connections/"+id+"/policies", nil)
	if status != 200 {
		t.Fatalf("%d %v", status, out)
	}
	raw, _ := json.Marshal(out)
	role := plat.ReaderRoleARN()
	for _, want := range []string{role, `"aws:PrincipalTag/ConnectionId":["` + id + `"]`, `"s3:ListBucket"`, `"s3:GetBucketLocation"`, `"s3:GetObject"`, "arn:aws:s3:::" + platformlocal.DemoBucket + "/*", `"kms:Decrypt"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("policies lack %s: %s", want, raw)
		}
	}
	keys := mustCreate(t, "alice", keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey))
	if status, _ := call(t, "alice", "GET", "/connections/"+keys+"/policies", nil); status != 409 {
		t.Errorf("access-keys connection policies: %d, want 409", status)
	}
}

// POST /test explains each way a connection can fail, as the planner sees it.
func TestConnectionTestExplainsFailures(t *testing.T) {
	withRegion := func(b map[string]any, r string) map[string]any { b["S3BucketRegion"] = r; return b }
	testCases := []struct {
		name string
		body map[string]any
		ok   bool
		says string
	}{
		{"bucket policy", policyConn(platformlocal.DemoBucket), true, "listed bucket"},
		{"policy of another connection", policyConn(platformlocal.DemoBucket), false, "does not admit this connection"},
		{"access keys", keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey), true, platformlocal.DemoAccessKeyID},
		{"no such bucket", policyConn("no-such-bucket-here"), false, "no such bucket"},
		{"unknown key id", keysConn(platformlocal.DemoKeysBucket, "AKIAUNKNOWNKEY000001", platformlocal.DemoSecretAccessKey), false, "invalid keys"},
		{"wrong secret", keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, "wrong-secret-0000000000000000000"), false, "secret access key does not match"},
		{"policy not attached", policyConn(platformlocal.DemoKeysBucket), false, "access denied"},
		{"wrong region", withRegion(policyConn(platformlocal.DemoEUBucket), "us-west-2"), false, "wrong region: bucket " + platformlocal.DemoEUBucket + " is in eu-west-1"},
		{"region found by redirect", policyConn(platformlocal.DemoEUBucket), true, "eu-west-1"},
		{"right region", withRegion(policyConn(platformlocal.DemoEUBucket), "eu-west-1"), true, "eu-west-1"},
		{"opt-in region not enabled", withRegion(policyConn(platformlocal.DemoOptInBucket), "eu-south-1"), false, "ENABLED_OPT_IN_REGIONS"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			id := mustCreate(t, "tester", tc.body)
			if tc.ok && tc.body["ConnectionAccessType"] == "bucket_policy" {
				attach(t, "tester", id)
			}
			status, out := call(t, "tester", "POST", "/connections/"+id+"/test", nil)
			if status != 200 || out["Ok"] != tc.ok || !strings.Contains(fmt.Sprint(out["Detail"]), tc.says) {
				t.Fatalf("%d %v, want Ok=%v saying %q", status, out, tc.ok, tc.says)
			}
		})
	}
}

func TestRotatedKeysAreUsed(t *testing.T) {
	id := mustCreate(t, "rotator", keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, "stale-secret-000000000000000000"))
	if _, out := call(t, "rotator", "POST", "/connections/"+id+"/test", nil); out["Ok"] != false {
		t.Fatalf("stale secret passed: %v", out)
	}
	status, out := call(t, "rotator", "PUT", "/connections/"+id, map[string]any{"AccessKeyId": platformlocal.DemoAccessKeyID, "SecretAccessKey": platformlocal.DemoSecretAccessKey})
	if status != 200 {
		t.Fatalf("rotate: %d %v", status, out)
	}
	if _, out := call(t, "rotator", "POST", "/connections/"+id+"/test", nil); out["Ok"] != true {
		t.Fatalf("rotated keys not used: %v", out)
	}
}

// Secrets go through every route that takes or shows a connection, and the
// planner's test; TestMain's secretLeaks then scans the whole suite's
// responses and logs for them.
func TestSecretsGoThroughEveryConnectionRoute(t *testing.T) {
	const secret = "Sup3rSecretValueThatMustNeverLeak0000001"
	id := mustCreate(t, "keeper", keysConn(platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, secret))
	call(t, "keeper", "GET", "/connections/"+id, nil)
	call(t, "keeper", "GET", "/connections", nil)
	call(t, "keeper", "POST", "/connections/"+id+"/test", nil)
	call(t, "keeper", "PUT", "/connections/"+id, map[string]any{"AccessKeyId": platformlocal.DemoAccessKeyID, "SecretAccessKey": secret + "X"})
	call(t, "keeper", "PUT", "/connections/"+id, map[string]any{"AccessKeyId": "bad", "SecretAccessKey": secret})
	call(t, "keeper", "POST", "/connections", keysConn("Bad_Bucket", platformlocal.DemoAccessKeyID, secret))
	call(t, "keeper", "DELETE", "/connections/"+id, nil)
	if _, ok := secrets.Load(secret); !ok {
		t.Fatal("the secret sent was not noted for the scan")
	}
	if !strings.Contains(logs.String(), `"level"`) {
		t.Fatalf("no logs were captured: the scan would prove nothing")
	}
	if leaks := secretLeaks(); len(leaks) > 0 {
		t.Errorf("leaks so far: %v", leaks)
	}
}
