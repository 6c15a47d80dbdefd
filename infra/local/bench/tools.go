package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Tool is an external copy tool run against the local S3 endpoint with the
// platform's credentials.
type Tool struct {
	Path string
	Env  []string // added to a minimal environment (PATH, a scratch HOME)
	Dir  string   // the scratch HOME and working directory
}

// ToolRun is one run of a tool.
type ToolRun struct {
	Args   []string
	Took   time.Duration // wall time from start to exit, process start included
	CPU    time.Duration // user + system time of the tool's process
	Output string        // the end of its combined output
}

// Run runs the tool with args and waits for it; a non-zero exit is an error
// that carries the tool's output.
func (t Tool) Run(ctx context.Context, args ...string) (ToolRun, error) {
	cmd := exec.CommandContext(ctx, t.Path, args...)
	cmd.Dir = t.Dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.Dir}, t.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := ToolRun{Args: args, Took: time.Since(start), Output: tail(out.String(), 2000)}
	if cmd.ProcessState != nil {
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("%s %s: %w\n%s", t.Path, strings.Join(args, " "), err, r.Output)
	}
	return r, nil
}

// Version returns the first line of the tool's version output.
func (t Tool) Version(ctx context.Context) string {
	r, err := t.Run(ctx, "version")
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(r.Output), "\n")
	return line
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// S5cmd runs s5cmd (github.com/peak/s5cmd/v2) against endpoint.
type S5cmd struct {
	Tool
	Endpoint string
	Workers  int // --numworkers
}

func (s S5cmd) args(cmd string, src, dst string) []string {
	return []string{"--endpoint-url", s.Endpoint, "--numworkers", fmt.Sprint(s.Workers), "--log", "error", cmd, "s3://" + src + "/*", "s3://" + dst + "/"}
}

// Copy copies every object of bucket src into bucket dst, server-side.
func (s S5cmd) Copy(ctx context.Context, src, dst string) (ToolRun, error) {
	return s.Run(ctx, s.args("cp", src, dst)...)
}

// Sync copies what differs (by size and modification time) from src to dst.
func (s S5cmd) Sync(ctx context.Context, src, dst string) (ToolRun, error) {
	return s.Run(ctx, s.args("sync", src, dst)...)
}

// Rclone runs rclone with one S3 remote, "bench", on the endpoint, defined
// by environment variables; copies between two of its buckets are
// server-side.
type Rclone struct {
	Tool
	Transfers, Checkers int
}

// RcloneEnv defines the remote "bench" on endpoint.
func RcloneEnv(endpoint, region, accessKey, secretKey string) []string {
	return []string{
		"RCLONE_CONFIG=" + os.DevNull,
		"RCLONE_CONFIG_BENCH_TYPE=s3",
		"RCLONE_CONFIG_BENCH_PROVIDER=Other",
		"RCLONE_CONFIG_BENCH_ENDPOINT=" + endpoint,
		"RCLONE_CONFIG_BENCH_REGION=" + region,
		"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=" + accessKey,
		"RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=" + secretKey,
		"RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true",
	}
}

func (r Rclone) args(cmd, src, dst string, extra ...string) []string {
	return append([]string{cmd, "bench:" + src, "bench:" + dst,
		"--transfers", fmt.Sprint(r.Transfers), "--checkers", fmt.Sprint(r.Checkers)}, extra...)
}

// Copy copies bucket src into bucket dst.
func (r Rclone) Copy(ctx context.Context, src, dst string) (ToolRun, error) {
	return r.Run(ctx, r.args("copy", src, dst)...)
}

// SyncChecksum makes dst like src, comparing size and MD5 (the ETag).
func (r Rclone) SyncChecksum(ctx context.Context, src, dst string) (ToolRun, error) {
	return r.Run(ctx, r.args("sync", src, dst, "--checksum")...)
}
