package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// A pool of the probe's bootstrap answers concurrent invocations, each on a
// sandbox of its own, reports handler errors as errors, and leaves every
// bootstrap frozen between invocations.
func TestPoolInvokesAndFreezesItsSandboxes(t *testing.T) {
	rie, err := RIE()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../internal/probe/bootstrap")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, msg)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "AWS_REGION=us-east-1", "AWS_LAMBDA_FUNCTION_NAME=probe",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=5", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"}
	pool, err := StartPool(2, rie, "probe", bin, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			out, err := pool.Invoke(ctx, []byte(`{"Case":"ok"}`))
			if err != nil || !strings.Contains(string(out), `"Greeting"`) {
				t.Errorf("invocation %d: %s, %v", i, out, err)
			}
		})
	}
	wg.Wait()
	if _, err := pool.Invoke(ctx, []byte(`{"Case":"error"}`)); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a handler error came back as %v", err)
	}
	for _, s := range pool.All {
		// SIGSTOP takes effect when the kernel next schedules the process.
		var states []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if states = bootstrapStates(t, s); len(states) == 1 && states[0] == "T" {
				break
			}
		}
		if len(states) != 1 || states[0] != "T" {
			t.Errorf("sandbox %s: bootstrap states %v between invocations, want one stopped (T)", s.url, states)
		}
	}
}

// bootstrapStates reads the state letter of each process aws-lambda-rie runs.
func bootstrapStates(t *testing.T, s *Sandbox) []string {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", s.cmd.Process.Pid))
	var states []string
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, pid := range strings.Fields(string(b)) {
			st, err := os.ReadFile("/proc/" + pid + "/stat")
			if err != nil {
				t.Fatal(err)
			}
			fields := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
			states = append(states, fields[0])
		}
	}
	return states
}
