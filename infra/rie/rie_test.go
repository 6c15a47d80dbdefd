package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// The placeholder ids in events/, replaced by real ones when replayed.
const (
	fixtureConnection = "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11"
	fixtureDataset    = "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01"
	fixtureSchedule   = "0198f5d2-9b3c-7d4e-8f5a-6b7c8d9e0f12"
	fixtureRun        = "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23"
)

// Every function under functions/ is built, run under the emulator and fed
// its fixtures: the API walks a connection, a dataset, a schedule and a run
// through their life, the planner tests a connection on the demo bucket, the
// worker acknowledges a late task, and every other fixture gets an answer
// that is not a crash of the runtime. A fixture a step needs must exist, and
// every file under events/ must have been replayed.
func TestPackagedFunctionsRunUnderTheRuntimeInterfaceEmulator(t *testing.T) {
	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	root := repoRoot(t)
	rieBin := rieBinary(t)
	names := functionNames(t, root)
	bootstraps := buildBootstraps(t, root, names)
	phase("built " + strings.Join(names, ", "))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	platformLogs := &syncBuffer{}
	plat, err := platformlocal.Start(ctx, platformlocal.Options{
		Seed: true, Log: slog.New(slog.NewJSONHandler(platformLogs, nil)), EmulatorLog: io.Discard,
	})
	if err != nil {
		t.Fatalf("start the local platform: %v", err)
	}
	t.Cleanup(plat.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("local platform log (tail):\n%s", tail(platformLogs.String(), 4000))
		}
	})

	phase("local platform started")
	fns := map[string]*function{}
	for _, name := range names {
		fns[name] = startRIE(t, rieBin, name, bootstraps[name], functionEnv(t, plat, name))
	}
	r := &replay{t: t, plat: plat, root: root, fns: fns, ids: map[string]string{}, used: map[string]bool{}}

	phase("emulators listening")
	// The API first: its create-connection gives the id the others use.
	r.api()
	phase("api replayed")
	r.planner()
	r.worker()
	r.apiCleanup()
	phase("planner, worker replayed")
	// Whatever fixture no step above replayed still gets a well-formed,
	// non-crash answer from its function.
	r.rest(names)
	phase("other fixtures replayed")
	for _, f := range fixtureFiles(t, root) {
		if !r.used[strings.TrimSuffix(f, ".json")] {
			t.Errorf("events/%s was not replayed: give it a step, or a function folder named after its own", f)
		}
	}
}

// fixtureFiles lists every file under events/, relative to it.
func fixtureFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "events"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(filepath.Join(root, "events"), path)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every function folder has fixtures under events/<name>/, and every file
// under events/ is a JSON fixture in the folder of a function (the replay
// above gives each one to its function).
func TestEveryFunctionHasFixturesAndEveryFixtureAFunction(t *testing.T) {
	root := repoRoot(t)
	names := functionNames(t, root)
	count := map[string]int{}
	for _, f := range fixtureFiles(t, root) {
		dir, name, _ := strings.Cut(f, "/")
		if !slices.Contains(names, dir) || strings.Contains(name, "/") {
			t.Errorf("events/%s is not in the folder of a function (functions/*/main.go)", f)
			continue
		}
		raw, err := os.ReadFile(filepath.Join(root, "events", f))
		if !strings.HasSuffix(name, ".json") || err != nil || !json.Valid(raw) {
			t.Errorf("events/%s is not a JSON fixture (%v)", f, err)
		}
		count[dir]++
	}
	for _, n := range names {
		if count[n] == 0 {
			t.Errorf("functions/%s has no fixtures: add events/%s/*.json", n, n)
		}
	}
}

// function is one bootstrap running under aws-lambda-rie.
type function struct {
	name string
	url  string // the invocations endpoint
	logs *syncBuffer
}

// invoke sends payload as Lambda would and returns the function's result.
// A handler error comes back as {"errorMessage","errorType"}: err says so.
func (f *function) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("invoke %s: HTTP %d: %s", f.name, resp.StatusCode, out)
	}
	var failure struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(out, &failure) == nil && failure.ErrorType != "" {
		return out, &handlerError{typ: failure.ErrorType, msg: failure.ErrorMessage}
	}
	return out, nil
}

type handlerError struct{ typ, msg string }

func (e *handlerError) Error() string { return e.typ + ": " + e.msg }

// crashed says whether the runtime itself failed (exit, timeout, bad
// bootstrap), as opposed to the handler returning an error.
func (e *handlerError) crashed() bool { return strings.HasPrefix(e.typ, "Runtime.") }

// replay walks the fixtures through the functions.
type replay struct {
	t    *testing.T
	plat *platformlocal.Platform
	root string
	fns  map[string]*function
	ids  map[string]string // placeholder -> real id
	used map[string]bool   // "dir/name" of replayed fixtures
}

// attachPolicy attaches connection id's bucket policy (as user sees it)
// to its bucket, as the bucket's owner.
func (r *replay) attachPolicy(user, id string) {
	r.t.Helper()
	ctx := context.Background()
	token, err := r.plat.Token(user)
	if err != nil {
		r.t.Fatal(err)
	}
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := platformlocal.AttachConnectionPolicy(ctx, r.plat.APIURL, token, id, platformlocal.SourceOwner(cfg)); err != nil {
		r.t.Fatalf("attach the policy of connection %s: %v", id, err)
	}
}

// fixture reads events/<dir>/<name>.json with the placeholder ids
// replaced. A missing fixture fails the test: events/ is part of the repo.
func (r *replay) fixture(dir, name string) []byte {
	r.t.Helper()
	raw, err := os.ReadFile(filepath.Join(r.root, "events", dir, name+".json"))
	if err != nil {
		r.t.Fatalf("fixture events/%s/%s.json: %v", dir, name, err)
	}
	r.used[dir+"/"+name] = true
	s := string(raw)
	for placeholder, id := range r.ids {
		s = strings.ReplaceAll(s, placeholder, id)
	}
	return []byte(s)
}

// fn is the function named name, which a step needs.
func (r *replay) fn(name string) *function {
	r.t.Helper()
	f := r.fns[name]
	if f == nil {
		r.t.Fatalf("no functions/%s to replay events/%s against", name, name)
	}
	return f
}

// call invokes the api function with the fixture name, wants status and
// returns the decoded JSON body.
func (r *replay) call(name string, status int) (body map[string]any) {
	r.t.Helper()
	payload := r.fixture("api", name)
	out, err := r.fn("api").invoke(context.Background(), payload)
	if err != nil {
		r.t.Fatalf("api %s: %v\n%s", name, err, tail(r.fns["api"].logs.String(), 3000))
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		r.t.Fatalf("api %s: not an API Gateway response: %s", name, out)
	}
	if resp.StatusCode != status {
		r.t.Fatalf("api %s: %d %s, want %d", name, resp.StatusCode, resp.Body, status)
	}
	body = map[string]any{}
	_ = json.Unmarshal([]byte(resp.Body), &body)
	return body
}

// capture stores the id field of body under placeholder.
func (r *replay) capture(placeholder string, body map[string]any, field string) {
	r.t.Helper()
	id, _ := body[field].(string)
	if id == "" {
		r.t.Fatalf("no %s in %v", field, body)
	}
	r.ids[placeholder] = id
}

func (r *replay) api() {
	r.capture(fixtureConnection, r.call("create-connection", http.StatusCreated), "ConnectionId")
	for _, name := range []string{"health", "list-connections", "get-connection", "connection-policies"} {
		r.call(name, http.StatusOK)
	}
	// The demo bucket's owner attaches the connection's policy; then the
	// connection test goes from the api bootstrap through lambda:Invoke to
	// the planner of the local runtime, which lists the demo bucket.
	r.attachPolicy("alice", r.ids[fixtureConnection])
	if res := r.call("test-connection", http.StatusOK); res["Ok"] != true {
		r.t.Errorf("test-connection: %v, want Ok", res)
	}
	for _, name := range []string{"update-connection", "upgrade-connection", "downgrade-connection"} {
		r.call(name, http.StatusOK)
	}
	r.capture(fixtureDataset, r.call("create-dataset", http.StatusCreated), "DatasetId")
	for _, name := range []string{"list-datasets", "get-dataset", "update-dataset", "list-dataset-files"} {
		r.call(name, http.StatusOK)
	}
	r.capture(fixtureSchedule, r.call("create-schedule", http.StatusCreated), "ScheduleId")
	for _, name := range []string{"list-schedules", "get-schedule", "update-schedule"} {
		r.call(name, http.StatusOK)
	}
	r.capture(fixtureRun, r.call("run-schedule", http.StatusAccepted), "RunId")
	r.call("list-runs", http.StatusOK)
	r.waitRun()
}

// waitRun polls get-run until the run has ended.
func (r *replay) waitRun() {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		run := r.call("get-run", http.StatusOK)
		switch run["State"] {
		case "succeeded", "failed", "skipped":
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("run did not end: %v", run)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// planner: a connection test of the connection the API created, on the
// demo bucket that grants the platform access.
func (r *replay) planner() {
	payload := r.fixture("planner", "test-connection")
	out, err := r.fn("planner").invoke(context.Background(), payload)
	if err != nil {
		r.t.Fatalf("planner test-connection: %v\n%s", err, tail(r.fns["planner"].logs.String(), 3000))
	}
	var res struct {
		Ok     bool
		Detail string
	}
	if err := json.Unmarshal(out, &res); err != nil || !res.Ok {
		r.t.Errorf("planner test-connection answered %s (%v), want Ok", out, err)
	}
}

// worker: the copy-task fixture names the run that just ended: a late
// duplicate, which the worker acknowledges without a batch item failure.
func (r *replay) worker() {
	if r.ids[fixtureRun] == "" {
		r.t.Fatal("no run to name in events/worker/copy-task.json: the api step did not start one")
	}
	payload := r.fixture("worker", "copy-task")
	out, err := r.fn("worker").invoke(context.Background(), payload)
	if err != nil {
		r.t.Fatalf("worker copy-task: %v\n%s", err, tail(r.fns["worker"].logs.String(), 3000))
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		r.t.Errorf("worker answered %s (%v), want no batch item failures", out, err)
	}
}

func (r *replay) apiCleanup() {
	r.call("delete-schedule", http.StatusNoContent)
	r.call("delete-dataset", http.StatusNoContent)
	r.call("delete-connection", http.StatusNoContent)
}

// rest invokes every fixture not yet replayed: the function must answer
// without a runtime crash (a handler error is an answer).
func (r *replay) rest(names []string) {
	for _, name := range names {
		files, _ := filepath.Glob(filepath.Join(r.root, "events", name, "*.json"))
		if len(files) == 0 {
			r.t.Errorf("function %s has no fixtures: add events/%s/*.json", name, name)
		}
		for _, f := range files {
			fixture := strings.TrimSuffix(filepath.Base(f), ".json")
			if r.used[name+"/"+fixture] {
				continue
			}
			payload := r.fixture(name, fixture)
			out, err := r.fn(name).invoke(context.Background(), payload)
			var he *handlerError
			switch {
			case errors.As(err, &he) && !he.crashed():
				r.t.Logf("%s %s: handler error %v", name, fixture, err)
			case err != nil:
				r.t.Errorf("%s %s: %v\n%s", name, fixture, err, tail(r.fns[name].logs.String(), 3000))
			case !json.Valid(out):
				r.t.Errorf("%s %s: answer is not JSON: %s", name, fixture, out)
			default:
				r.t.Logf("%s %s: %s", name, fixture, tail(string(out), 200))
			}
		}
	}
}

// --- setup ---------------------------------------------------------------------

// repoRoot is the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// rieBinary is aws-lambda-rie in the tools folder `make tools` fills.
func rieBinary(t *testing.T) string {
	t.Helper()
	dir, err := emulators.ToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin", "aws-lambda-rie")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make tools` (it installs the Lambda Runtime Interface Emulator)", bin)
	}
	return bin
}

// functionNames lists functions/<name>/main.go.
func functionNames(t *testing.T, root string) []string {
	t.Helper()
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no functions under %s/functions (%v)", root, err)
	}
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	slices.Sort(names)
	return names
}

// buildBootstraps builds every function as `make package` does, but for
// this machine's architecture, into <tmp>/<name>/bootstrap.
func buildBootstraps(t *testing.T, root string, names []string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// As `make package`, less -trimpath: the build then shares the test
	// build cache when the tests run with CGO_ENABLED=0 too.
	args := []string{"build", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	paths := map[string]string{}
	for _, n := range names {
		p := filepath.Join(dir, n, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(out, n), p); err != nil {
			t.Fatal(err)
		}
		paths[n] = p
	}
	return paths
}

// functionEnv is what the function sees on Lambda, pointed at the local
// platform: the variables its spec (infra/cdk/functions, from which the CDK stack
// sets them) lists, with the local platform's values; the SDK's region,
// credentials and endpoints; Lambda's own variables, with the JSON log
// format the stack configures.
func functionEnv(t *testing.T, p *platformlocal.Platform, name string) []string {
	t.Helper()
	fn, ok := functions.ByName(name)
	if !ok {
		t.Fatalf("functions/%s has no spec in infra/cdk/functions: the stack cannot deploy it", name)
	}
	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"TMPDIR":                          os.TempDir(),
		"AWS_REGION":                      platformlocal.Region,
		"AWS_DEFAULT_REGION":              platformlocal.Region,
		"AWS_ACCESS_KEY_ID":               platformlocal.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           platformlocal.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_FUNCTION_NAME":        fn.FunctionName(p.Names),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(int(fn.Timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(fn.MemoryMiB),
	}
	for svc, url := range p.Endpoints {
		env["AWS_ENDPOINT_URL_"+svc] = url
	}
	local := p.Config.Env()
	for _, k := range fn.Env.Names() { // S3_USE_PATH_STYLE too: the local S3 needs path-style URLs
		env[k] = local[k]
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// startRIE runs bootstrap under aws-lambda-rie on free ports (its default
// :8080 is the local API's) and waits until it listens.
func startRIE(t *testing.T, rieBin, name, bootstrap string, env []string) *function {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rieBin,
		"--log-level", "warn",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // as /var/task
	cmd.Env = env
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so the bootstrap it starts goes with it;
	// SIGKILL if this test process dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie for %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s under aws-lambda-rie (tail):\n%s", name, tail(logs.String(), 3000))
		}
	})
	deadline := time.Now().Add(time.Minute) // generous: a loaded machine is slow, not stuck
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("aws-lambda-rie for %s exited:\n%s", name, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie for %s not listening on %s:\n%s", name, addr, logs.String())
		}
	}
	return &function{name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations", logs: logs}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := emulators.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

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

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
