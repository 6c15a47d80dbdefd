// Package sandbox runs a function's real bootstrap under aws-lambda-rie, one
// Lambda sandbox per process, so that a benchmark can measure the
// function's own CPU and memory apart from the stand-ins serving it
// (`make bench`, `make bench-million`). A Pool of sandboxes takes the place
// of the in-process handler in the local Lambda runtime.
package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// RIE is aws-lambda-rie in the tools folder `make tools` fills.
func RIE() (string, error) {
	dir, err := emulators.ToolsDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bin", "aws-lambda-rie")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s is missing: run `make tools` (it installs the Lambda Runtime Interface Emulator)", bin)
	}
	return bin, nil
}

// Build builds functions/<name> for each of names as `make package` does
// (for this machine's architecture) into dir/<name>/bootstrap, from the
// module at root.
func Build(root, dir string, names []string) (map[string]string, error) {
	paths := map[string]string{}
	for _, n := range names {
		p := filepath.Join(dir, n, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", p, "./functions/"+n) // symbols kept, for perf
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", n, err, msg)
		}
		paths[n] = p
	}
	return paths, nil
}

// Env is what the function sees on Lambda, pointed at the local platform:
// the variables its spec (infra/cdk/functions) lists with the local
// platform's values, the SDK's region, credentials and endpoints, and
// Lambda's own variables.
func Env(p *platformlocal.Platform, name string) ([]string, error) {
	fn, ok := functions.ByName(name)
	if !ok {
		return nil, fmt.Errorf("functions/%s has no spec in infra/cdk/functions", name)
	}
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "TMPDIR": os.TempDir(),
		"AWS_REGION": platformlocal.Region, "AWS_DEFAULT_REGION": platformlocal.Region,
		"AWS_ACCESS_KEY_ID": platformlocal.AccessKeyID, "AWS_SECRET_ACCESS_KEY": platformlocal.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_LAMBDA_LOG_FORMAT": "JSON",
		"AWS_LAMBDA_FUNCTION_NAME":        fn.FunctionName(p.Names),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(int(fn.Timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(fn.MemoryMiB),
	}
	for svc, url := range p.Endpoints {
		env["AWS_ENDPOINT_URL_"+svc] = url
	}
	local := p.Config.Env()
	for _, k := range fn.Env.Names() {
		env[k] = local[k]
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out, nil
}

// Sandbox is one bootstrap under aws-lambda-rie: one invocation at a time.
type Sandbox struct {
	Name string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	logs *buffer
}

// Start runs bootstrap under rie on free ports, with env, and waits until
// it listens. Its output goes to log (nil: kept for errors only).
func Start(rie, name, bootstrap string, env []string, log io.Writer) (*Sandbox, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rie, "--log-level", "warn", "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Dir, cmd.Env = filepath.Dir(bootstrap), env
	logs := &buffer{to: log}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so the bootstrap goes with it; killed if the
	// benchmark dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie for %s: %w", name, err)
	}
	s := &Sandbox{Name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations", cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() { _ = cmd.Wait(); close(s.done) }()
	for deadline := time.Now().Add(time.Minute); ; {
		if conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			conn.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("aws-lambda-rie for %s exited: %s", name, logs.tail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("aws-lambda-rie for %s not listening on %s: %s", name, addr, logs.tail())
		}
	}
}

// Invoke sends payload as Lambda would. A handler error is returned as an
// error carrying its type and message, as the local runtime reports one.
// Between invocations the bootstrap is frozen (SIGSTOP), as Lambda freezes
// an idle sandbox: aws-lambda-rie does not, and the Go runtime's monitor
// thread of each idle process then wakes a hundred times a second.
func (s *Sandbox) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	s.signal(syscall.SIGCONT)
	defer s.signal(syscall.SIGSTOP)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", s.Name, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke %s: HTTP %d: %s", s.Name, resp.StatusCode, out)
	}
	var failure struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(out, &failure) == nil && failure.ErrorType != "" {
		return nil, fmt.Errorf("%s: %s", failure.ErrorType, failure.ErrorMessage)
	}
	return out, nil
}

// signal sends sig to the bootstrap aws-lambda-rie runs (it starts it at
// the first invocation and again after a crash), if there is one.
func (s *Sandbox) signal(sig syscall.Signal) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", s.cmd.Process.Pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, sig)
			}
		}
	}
}

// Close stops the sandbox (SIGTERM, then SIGKILL after 3 s).
func (s *Sandbox) Close() {
	s.signal(syscall.SIGCONT)
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Pool is n sandboxes of one function, each taking one invocation at a
// time, as Lambda gives each concurrent invocation a sandbox of its own;
// an invocation waits for a free one.
type Pool struct {
	All  []*Sandbox
	free chan *Sandbox
}

// StartPool starts n sandboxes of bootstrap.
func StartPool(n int, rie, name, bootstrap string, env []string, log io.Writer) (*Pool, error) {
	p := &Pool{free: make(chan *Sandbox, n)}
	for range n {
		s, err := Start(rie, name, bootstrap, env, log)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.All = append(p.All, s)
		p.free <- s
	}
	return p, nil
}

// Invoke runs payload on the first free sandbox.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case s := <-p.free:
		defer func() { p.free <- s }()
		return s.Invoke(ctx, payload)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops every sandbox.
func (p *Pool) Close() {
	var wg sync.WaitGroup
	for _, s := range p.All {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	wg.Wait()
}

func freeAddr() (string, error) {
	port, err := emulators.FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}

// buffer keeps the last output of a sandbox for its error messages, and
// copies it to an optional log.
type buffer struct {
	mu sync.Mutex
	b  []byte
	to io.Writer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.to != nil {
		_, _ = b.to.Write(p)
	}
	b.b = append(b.b, p...)
	if len(b.b) > 8192 {
		b.b = append(b.b[:0], b.b[len(b.b)-4096:]...)
	}
	return len(p), nil
}

func (b *buffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.b))
}
