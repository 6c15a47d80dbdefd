package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/rie/internal/probe"
)

// The local runtime answers every outcome of a handler (a result, a
// returned error, a panic, a timeout) with the payload aws-lambda-go's own
// runtime sends through the Lambda Runtime API: the probe handler runs
// under both, as a real bootstrap under aws-lambda-rie and in-process under
// lambdalocal, and every case's answers are compared. Stack traces differ
// below the handler (each runtime's own frames), so of a panic's stack only
// the handler's frame is compared.
func TestLocalRuntimeAnswersAsTheGoRuntime(t *testing.T) {
	root := repoRoot(t)
	rieBin := rieBinary(t)
	bootstrap := buildProbe(t, root)
	const timeout = time.Second
	real := startRIE(t, rieBin, "probe", bootstrap, []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME=probe",
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout.Seconds())),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	})
	rt := lambdalocal.New(lambdalocal.Options{Logger: slog.New(slog.DiscardHandler)},
		lambdalocal.Function{Name: "probe", Handler: lambdalocal.NewHandler(probe.Handle), Timeout: timeout})
	srv := httptest.NewServer(rt)
	t.Cleanup(func() {
		srv.Close()
		_ = rt.Close()
	})
	local := &function{name: "probe", url: srv.URL + "/2015-03-31/functions/probe/invocations"}

	events := map[string]string{"bad-event": `{"Case":"ok","N":"x"}`}
	names := []string{"bad-event"}
	for _, c := range probe.Cases {
		events[c] = fmt.Sprintf(`{"Case":%q}`, c)
		names = append(names, c)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			// Both at once: the timeout case waits out each runtime's deadline.
			var want, got []byte
			var wg sync.WaitGroup
			wg.Go(func() { want = post(t, real, events[name]) })
			wg.Go(func() { got = post(t, local, events[name]) })
			wg.Wait()
			if t.Failed() {
				return
			}
			t.Logf("aws-lambda-rie: %s", want)
			compareAnswers(t, want, got)
		})
	}
}

// post invokes f with payload and returns the answer's body, which is the
// function's result or its error payload.
func post(t *testing.T, f *function, payload string) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, strings.NewReader(payload))
	if err != nil {
		t.Error(err)
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("invoke %s: %v", f.url, err)
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return body
}

var requestID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// compareAnswers wants got to be want: the same bytes for a result; for an
// error, the same errorType and errorMessage (request ids aside) and a
// stack trace only if want has one, whose handler frame is the same.
func compareAnswers(t *testing.T, want, got []byte) {
	t.Helper()
	if timedOut := regexp.MustCompile(`^Task timed out after [0-9.]+ seconds$`); timedOut.Match(want) {
		// aws-lambda-rie answers a timeout in plain text; Lambda itself
		// answers {"errorType":"Sandbox.Timedout","errorMessage":"RequestId:
		// <id> Error: Task timed out after 1.00 seconds"}, as the local
		// runtime does.
		if e, ok := errorPayload(got); !ok || e.Type != lambdalocal.ErrorTypeTimeout || !strings.HasSuffix(e.Message, " Error: "+string(want)) {
			t.Errorf("local runtime answered\n%s\nfor a timeout, the Go runtime\n%s", got, want)
		}
		return
	}
	wantErr, wantIsErr := errorPayload(want)
	gotErr, gotIsErr := errorPayload(got)
	if !wantIsErr || !gotIsErr {
		if !bytes.Equal(got, want) {
			t.Errorf("local runtime answered\n%s\nthe Go runtime\n%s", got, want)
		}
		return
	}
	if gotErr.Type != wantErr.Type {
		t.Errorf("errorType %q, the Go runtime's %q", gotErr.Type, wantErr.Type)
	}
	if g, w := requestID.ReplaceAllString(gotErr.Message, "<id>"), requestID.ReplaceAllString(wantErr.Message, "<id>"); g != w {
		t.Errorf("errorMessage %q, the Go runtime's %q", g, w)
	}
	if (len(gotErr.StackTrace) > 0) != (len(wantErr.StackTrace) > 0) {
		t.Errorf("stackTrace %s, the Go runtime's %s", jsonOf(gotErr.StackTrace), jsonOf(wantErr.StackTrace))
	}
	if w, g := handlerFrame(wantErr.StackTrace), handlerFrame(gotErr.StackTrace); w != nil && (g == nil || *g != *w) {
		t.Errorf("handler frame %s, the Go runtime's %s", jsonOf(g), jsonOf(w))
	}
}

// errorPayload decodes an error payload: a JSON object with an errorType.
func errorPayload(b []byte) (messages.InvokeResponse_Error, bool) {
	var e messages.InvokeResponse_Error
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) || json.Unmarshal(b, &e) != nil {
		return e, false
	}
	return e, e.Type != ""
}

// handlerFrame is the first frame in the probe's code.
func handlerFrame(stack []*messages.InvokeResponse_Error_StackFrame) *messages.InvokeResponse_Error_StackFrame {
	for _, f := range stack {
		if strings.HasSuffix(f.Path, "/internal/probe/probe.go") {
			return f
		}
	}
	return nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// buildProbe builds the probe's bootstrap as `make package` builds the
// functions (less -trimpath, as buildBootstraps).
func buildProbe(t *testing.T, root string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", out, "./infra/rie/internal/probe/bootstrap")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, msg)
	}
	return out
}
