package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// answer is one request and what came back, as the contract check reads it.
type answer struct {
	Method, Path string
	Status       int
	ContentType  string
	Body         string
}

// recorder sends requests as the README's curl commands do and keeps every
// answer for the validator.
type recorder struct {
	t       *testing.T
	answers []answer
}

// do sends one request as user ("" = no token) with body (a string as it
// is, anything else as JSON) and returns the status and the decoded JSON
// object (empty when the answer is not one).
func (r *recorder) do(user, method, path string, body any) (int, map[string]any) {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, plat.APIURL+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	if user != "" {
		tok, err := plat.Token(user)
		if err != nil {
			r.t.Fatal(err)
		}
		req.Header.Set("authorization", "Bearer "+tok)
	}
	resp, err := apiOnly.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	responses.Write(raw) // for the suite's secret scan
	r.answers = append(r.answers, answer{method, path, resp.StatusCode, resp.Header.Get("Content-Type"), string(raw)})
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// apiOnly does not follow redirects: the API's own answer (a report's 302)
// is what the contract describes.
var apiOnly = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// want sends a request that must get status, and returns its JSON answer.
func (r *recorder) want(status int, user, method, path string, body any) map[string]any {
	r.t.Helper()
	got, out := r.do(user, method, path, body)
	if got != status {
		r.t.Fatalf("%s %s: %d %v, want %d", method, path, got, out, status)
	}
	return out
}

// The README's "Try it" scenario, step by step as its curl commands go,
// then the operations it does not use (deletes included) and a few answers
// API Gateway makes itself (no token, 413 over either size quota): every
// answer is validated against openapi.json by an independent validator
// (openapi-backend, with Ajv), see infra/contract/validate-responses.mjs.
func TestREADMEScenarioMatchesTheContract(t *testing.T) {
	validator := validatorCommand(t)
	r := &recorder{t: t}
	id := readmeConnection(r)
	others := readmeConnections(r)
	ds, sch := readmeIngestion(r, id)
	otherOperations(r, id, ds, sch)
	gatewayAnswers(r)
	// Gone again, so that the names are free for the other tests (and the
	// deletes answer 204).
	waitIdle(t, "/schedules/"+sch)
	r.want(204, "alice", "DELETE", "/schedules/"+sch, nil)
	r.want(204, "alice", "DELETE", "/datasets/"+ds, nil)
	for _, c := range append(others, [2]string{"alice", id}) {
		r.want(204, c[0], "DELETE", "/connections/"+c[1], nil)
	}

	file := filepath.Join(t.TempDir(), "answers.json")
	raw, err := json.MarshalIndent(r.answers, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	validator.Args = append(validator.Args, file)
	out, err := validator.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("answers that do not match openapi.json (%v)", err)
	}
}

// validatorCommand is the node command that validates answers against the
// document, short of the answers file; make contract-tools installs it.
func validatorCommand(t *testing.T) *exec.Cmd {
	t.Helper()
	tools, err := emulators.ToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed (as for make contract-tools): %v", err)
	}
	if _, err := os.Stat(filepath.Join(tools, "contract", "node_modules", "openapi-backend")); err != nil {
		t.Fatalf("the response validator is not installed: make contract-tools (%v)", err)
	}
	root := filepath.Join("..", "..", "..")
	cmd := exec.Command(node, filepath.Join(root, "infra", "contract", "validate-responses.mjs"),
		filepath.Join(root, "shared", "httpapi", "openapi.json"))
	cmd.Env = append(os.Environ(), "S3CONNECTIONS_TOOLS="+tools)
	return cmd
}

// readmeConnection is the README's first connection, acme-sales, with its
// policies and tests before and after the owner attaches them.
func readmeConnection(r *recorder) string {
	conn := r.want(201, "alice", "POST", "/connections", `{
  "ConnectionName": "acme-sales",
  "S3Bucket": "s3connections-demo-source",
  "S3BucketOwner": "111122223333",
  "ConnectionAccessType": "bucket_policy",
  "Description": "ACME sales exports",
  "AuthorizedUsers": ["bob"]
}`)
	id := conn["ConnectionId"].(string)
	r.want(200, "alice", "GET", "/connections/"+id+"/policies", nil)
	if out := r.want(200, "alice", "POST", "/connections/"+id+"/test", nil); out["Ok"] != false {
		r.t.Fatalf("test before the policy is attached: %v", out)
	}
	attach(r.t, "alice", id)
	if out := r.want(200, "alice", "POST", "/connections/"+id+"/test", nil); out["Ok"] != true {
		r.t.Fatalf("test after the policy is attached: %v", out)
	}
	return id
}

// readmeConnections is the README's other connections and its errors; it
// returns the connections it made, with their owners.
func readmeConnections(r *recorder) [][2]string {
	m := r.want(201, "mallory", "POST", "/connections", `{"ConnectionName": "not-mine",
  "S3Bucket": "s3connections-demo-source", "ConnectionAccessType": "bucket_policy"}`)
	r.want(200, "mallory", "POST", "/connections/"+m["ConnectionId"].(string)+"/test", nil)
	r.want(400, "mallory", "POST", "/connections", `{"ConnectionName": "the-lake",
  "S3Bucket": "s3connections-dlz-000000000000-us-east-1", "ConnectionAccessType": "bucket_policy"}`)

	role := r.want(201, "alice", "POST", "/connections", `{
  "ConnectionName": "acme-role", "S3Bucket": "s3connections-demo-source",
  "ConnectionAccessType": "assume_role", "RoleArn": "arn:aws:iam::111122223333:role/acme-reader"
}`)["ConnectionId"].(string)
	r.want(200, "alice", "GET", "/connections/"+role+"/policies", nil)
	r.want(200, "alice", "POST", "/connections/"+role+"/test", nil)
	attach(r.t, "alice", role)
	r.want(200, "alice", "POST", "/connections/"+role+"/test", nil)

	keys := r.want(201, "alice", "POST", "/connections", map[string]any{
		"ConnectionName": "acme-keys", "S3Bucket": platformlocal.DemoKeysBucket, "ConnectionAccessType": "access_keys", "Version": "1.6",
		"AccessKeyId": platformlocal.DemoAccessKeyID, "SecretAccessKey": platformlocal.DemoSecretAccessKey,
	})["ConnectionId"].(string)
	r.want(200, "alice", "POST", "/connections/"+keys+"/test", nil)
	r.want(200, "alice", "POST", "/connections/"+keys+"/upgrade", nil)
	r.want(200, "alice", "POST", "/connections/"+keys+"/downgrade", nil)
	r.want(409, "alice", "POST", "/connections/"+keys+"/downgrade", nil)

	page := r.want(200, "alice", "GET", "/connections?limit=2", nil)
	for next, _ := page["Next"].(string); next != ""; next, _ = page["Next"].(string) {
		page = r.want(200, "alice", "GET", "/connections?limit=2&next="+next, nil)
		if len(page["Connections"].([]any)) == 0 {
			r.t.Fatalf("an empty page behind a Next token: %v", page)
		}
	}
	r.want(404, "mallory", "GET", "/connections/"+keys, nil)
	r.want(400, "alice", "POST", "/connections", `{"ConnectionName":"x"}`)
	return [][2]string{{"mallory", m["ConnectionId"].(string)}, {"alice", role}, {"alice", keys}}
}

// readmeIngestion is the README's dataset, schedule and runs on the
// connection id; it returns the dataset and the schedule.
func readmeIngestion(r *recorder, id string) (string, string) {
	ds := r.want(201, "alice", "POST", "/datasets", `{
  "DatasetName": "orders", "Domain": "sales", "ConnectionId": "`+id+`",
  "FileType": "csv", "DirectoryPath": "sales/"
}`)["DatasetId"].(string)
	sch := r.want(201, "alice", "POST", "/schedules", `{"ScheduleName": "orders", "DatasetId": "`+ds+`"}`)["ScheduleId"].(string)
	r.want(409, "alice", "POST", "/schedules", `{"ScheduleName": "Orders", "DatasetId": "`+ds+`"}`)
	r.want(400, "alice", "PUT", "/schedules/"+sch, `{"ScheduleExpression": "cron(0 0 31 2 ? *)"}`)
	run := r.want(202, "alice", "POST", "/schedules/"+sch+"/run", nil)["RunId"].(string)
	if status, out := r.do("alice", "POST", "/schedules/"+sch+"/run", nil); status != 409 && status != 202 {
		r.t.Fatalf("a second run at once: %d %v, want 409 (or 202 if the first has ended)", status, out)
	}
	waitRun(r.t, "alice", run)
	r.want(200, "alice", "GET", "/runs/"+run, nil)
	r.want(200, "alice", "GET", "/datasets/"+ds+"/files", nil)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) { // 409 until it is assembled
		status, out := r.do("alice", "GET", "/runs/"+run+"/report?format=csv", nil)
		if status == 302 {
			break
		}
		if status != 409 || time.Now().After(deadline) {
			r.t.Fatalf("the run's report: %d %v, want 302 (409 while it is assembled)", status, out)
		}
	}
	r.want(200, "alice", "PUT", "/schedules/"+sch, `{"ScheduleExpression": "rate(1 minute)"}`)
	// The README waits a minute; a rate schedule fires at once, then every minute.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
		runs := r.want(200, "alice", "GET", "/schedules/"+sch+"/runs", nil)["Runs"].([]any)
		if runs[0].(map[string]any)["Trigger"] == "schedule" {
			waitRun(r.t, "alice", runs[0].(map[string]any)["RunId"].(string))
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no scheduled run: %v", runs)
		}
	}
	r.want(200, "alice", "GET", "/schedules/"+sch+"/runs", nil)
	r.want(200, "alice", "PUT", "/schedules/"+sch, `{"IsEnabled": false}`)
	r.want(200, "alice", "GET", "/runs/"+run, nil)
	return ds, sch
}

// otherOperations calls every operation the README does not, on its
// resources, and deletes throwaway ones (204).
func otherOperations(r *recorder, conn, ds, sch string) {
	c, d, s := "/connections/"+conn, "/datasets/"+ds, "/schedules/"+sch
	r.want(200, "bob", "GET", c, nil)
	r.want(403, "bob", "PUT", c, `{"Description": "mine now"}`)
	r.want(200, "alice", "PUT", c, `{"Description": "ACME sales exports, daily"}`)
	r.want(200, "alice", "GET", c+"/datasets", nil)
	r.want(200, "alice", "GET", "/datasets?limit=1", nil)
	r.want(200, "alice", "GET", d, nil)
	r.want(200, "alice", "PUT", d, `{"Description": "ACME orders"}`)
	r.want(200, "alice", "GET", "/schedules", nil)
	r.want(200, "alice", "GET", s, nil)
	r.want(200, "alice", "GET", "/domains/sales", nil)
	r.want(200, "alice", "PUT", "/domains/sales", `{"AuthorizedUsers": ["bob"]}`)
	r.want(404, "mallory", "GET", "/domains/sales", nil)

	other := r.want(201, "alice", "POST", "/datasets", `{"DatasetName": "returns", "Domain": "sales", "ConnectionId": "`+conn+`", "FileType": "json"}`)["DatasetId"].(string)
	tmp := r.want(201, "alice", "POST", "/schedules", `{"ScheduleName": "once", "DatasetId": "`+other+`", "ScheduleExpression": "at(2099-01-01T00:00:00)"}`)["ScheduleId"].(string)
	r.want(409, "alice", "POST", "/schedules", `{"ScheduleName": "ONCE", "DatasetId": "`+other+`"}`)
	r.want(409, "alice", "DELETE", "/datasets/"+other, nil)
	r.want(204, "alice", "DELETE", "/schedules/"+tmp, nil)
	r.want(204, "alice", "DELETE", "/datasets/"+other, nil)
	unused := r.want(201, "alice", "POST", "/connections", `{"ConnectionName": "acme-spare", "S3Bucket": "s3connections-demo-source", "ConnectionAccessType": "bucket_policy"}`)
	r.want(204, "alice", "DELETE", "/connections/"+unused["ConnectionId"].(string), nil)
}

// gatewayAnswers are answers API Gateway makes itself, which the document
// declares: no token, a body over 10 MB (text/plain) and a request over
// Lambda's 6 MB event quota.
func gatewayAnswers(r *recorder) {
	r.want(401, "", "GET", "/connections", nil)
	r.want(401, "", "DELETE", "/schedules/0193f5a4-7b1e-7c3d-9e2f-0123456789ab", nil)
	r.want(413, "alice", "POST", "/connections", `{"Description":"`+strings.Repeat("x", 11<<20)+`"}`)
	r.want(413, "alice", "PUT", "/datasets/0193f5a4-7b1e-7c3d-9e2f-0123456789ab", `{"Description":"`+strings.Repeat("x", 7<<20)+`"}`)
	r.want(200, "", "GET", "/health", nil)
}
