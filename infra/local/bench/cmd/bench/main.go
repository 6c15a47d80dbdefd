// Command bench compares the platform with s5cmd and rclone on the local S3
// endpoint (`make bench`): it prints a table and writes the results as JSON.
// Every flag defaults to an environment variable, so
// `make bench BENCH_OBJECTS=500 BENCH_ROUNDS=1` works.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/bench"
)

// stderr is the real standard error: run sends os.Stderr to the log.
var stderr = os.Stderr

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, o, err := parseFlags()
	if err != nil {
		return err
	}
	table, sink, err := redirect(&cfg, o.logPath)
	if err != nil {
		return err
	}
	defer sink.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *o.timeout)
	defer cancel()
	res, err := bench.Compare(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(table)
	bench.Table(table, res)
	if err := bench.WriteJSON(o.jsonPath, res); err != nil {
		return err
	}
	fmt.Fprintf(table, "\nresults: %s\n", o.jsonPath)
	return nil
}

// options are the command's own flags, beside the comparison's Config.
type options struct {
	jsonPath, logPath string
	timeout           *time.Duration
}

// parseFlags reads the comparison's configuration from the flags and the
// environment, and checks the tools it names.
func parseFlags() (bench.Config, options, error) {
	var cfg bench.Config
	var tools string
	o := options{}
	flag.IntVar(&cfg.Objects, "objects", envInt("BENCH_OBJECTS", 10_000), "small objects in the source bucket (BENCH_OBJECTS)")
	flag.IntVar(&cfg.MinKiB, "min-kib", envInt("BENCH_MIN_KIB", 1), "smallest small object, KiB (BENCH_MIN_KIB)")
	flag.IntVar(&cfg.MaxKiB, "max-kib", envInt("BENCH_MAX_KIB", 64), "largest small object, KiB (BENCH_MAX_KIB)")
	flag.IntVar(&cfg.Large, "large", envInt("BENCH_LARGE", 3), "large objects in the source bucket (BENCH_LARGE)")
	flag.IntVar(&cfg.LargeMiB, "large-mb", envInt("BENCH_LARGE_MB", 50), "size of each large object, MiB (BENCH_LARGE_MB)")
	flag.IntVar(&cfg.Rounds, "rounds", envInt("BENCH_ROUNDS", 3), "rounds of every tool, in rotating order (BENCH_ROUNDS)")
	flag.IntVar(&cfg.Warmup, "warmup", envInt("BENCH_WARMUP", 30000), "objects of a bucket every tool copies once, untimed, first (BENCH_WARMUP; 0: no warm-up)")
	flag.StringVar(&tools, "tools", envStr("BENCH_TOOLS", "platform,s5cmd,rclone"), "tools to compare (BENCH_TOOLS)")
	flag.StringVar(&cfg.S5cmdPath, "s5cmd", envStr("S5CMD", ""), "s5cmd binary (S5CMD; default: on PATH)")
	flag.StringVar(&cfg.RclonePath, "rclone", envStr("RCLONE", ""), "rclone binary (RCLONE; default: on PATH)")
	flag.IntVar(&cfg.S5cmdWorkers, "s5cmd-workers", envInt("BENCH_S5CMD_WORKERS", 256), "s5cmd --numworkers (BENCH_S5CMD_WORKERS; 256 is s5cmd's default)")
	flag.IntVar(&cfg.RcloneTransfers, "rclone-transfers", envInt("BENCH_RCLONE_TRANSFERS", 32), "rclone --transfers (BENCH_RCLONE_TRANSFERS)")
	flag.IntVar(&cfg.RcloneCheckers, "rclone-checkers", envInt("BENCH_RCLONE_CHECKERS", 32), "rclone --checkers (BENCH_RCLONE_CHECKERS)")
	flag.IntVar(&cfg.WorkerConcurrency, "worker-concurrency", envInt("WORKER_CONCURRENCY", 0), "the platform's worker concurrency, 0 = 90 (WORKER_CONCURRENCY)")
	flag.IntVar(&cfg.Sandboxes, "sandboxes", envInt("BENCH_SANDBOXES", 8), "worker sandboxes: the planner and worker run as their bootstraps under aws-lambda-rie, processes of their own; 0 runs them in the benchmark's process (BENCH_SANDBOXES)")
	functionEnv := flag.String("function-env", envStr("BENCH_FUNCTION_ENV", ""), "space-separated K=V added to the sandboxed functions' environment, e.g. \"GOGC=100 GOMAXPROCS=2\" (BENCH_FUNCTION_ENV)")
	flag.IntVar(&cfg.EventObjects, "event-objects", envInt("BENCH_EVENT_OBJECTS", 1000), "objects of the event-to-DLZ latency of an event-driven dataset, 0: not measured (BENCH_EVENT_OBJECTS)")
	flag.DurationVar(&cfg.Poll, "poll", envDuration("BENCH_POLL", 50*time.Millisecond), "how often a platform run is read while it runs (BENCH_POLL)")
	flag.StringVar(&cfg.CPUProfileDir, "cpuprofile-dir", envStr("BENCH_CPUPROFILE_DIR", ""), "write a CPU profile of each timed platform phase here (BENCH_CPUPROFILE_DIR; go tool pprof bin/bench FILE)")
	flag.StringVar(&o.jsonPath, "json", envStr("BENCH_JSON", "bin/bench-results.json"), "where to write the results as JSON (BENCH_JSON)")
	o.timeout = flag.Duration("timeout", envDuration("BENCH_TIMEOUT", 2*time.Hour), "give up after this long (BENCH_TIMEOUT)")
	flag.StringVar(&o.logPath, "log", envStr("BENCH_LOG", ""), "file for the platform's warnings and metrics (BENCH_LOG; default: discarded)")
	flag.Parse()
	cfg.FunctionEnv = strings.Fields(*functionEnv)
	for _, t := range strings.Split(tools, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Tools = append(cfg.Tools, t)
		}
	}
	for _, t := range cfg.Tools {
		switch t {
		case bench.ToolPlatform:
		case bench.ToolS5cmd:
			if err := find(&cfg.S5cmdPath, "s5cmd"); err != nil {
				return cfg, o, err
			}
		case bench.ToolRclone:
			if err := find(&cfg.RclonePath, "rclone"); err != nil {
				return cfg, o, err
			}
		default:
			return cfg, o, fmt.Errorf("unknown tool %q (platform, s5cmd, rclone)", t)
		}
	}
	if cfg.Objects+cfg.Large <= 0 || cfg.MinKiB <= 0 || cfg.MaxKiB < cfg.MinKiB {
		return cfg, o, fmt.Errorf("need objects (-objects, -large) and 0 < -min-kib <= -max-kib")
	}
	return cfg, o, nil
}

// redirect sends the functions' output (EMF metrics, SDK warnings) to the
// log (logPath, or nowhere), keeping the real standard output for the
// table it returns and standard error for progress; sink is to be closed.
func redirect(cfg *bench.Config, logPath string) (table, sink *os.File, err error) {
	// The functions write their EMF metrics to standard output, as on
	// Lambda: send them to the log, and keep standard output for the table.
	table = os.Stdout
	sinkPath := os.DevNull
	if logPath != "" {
		sinkPath = logPath
	}
	if sink, err = os.Create(sinkPath); err != nil {
		return nil, nil, err
	}
	var logOut io.Writer = io.Discard
	if logPath != "" {
		logOut = sink
	}
	// The SDK's warnings (DynamoDB Local's error answers carry no CRC32,
	// aws-sdk-go-v2 issue 3545) go to standard error: to the log as well.
	progress := stderr
	os.Stdout, os.Stderr = sink, sink
	cfg.Log, cfg.Progress = logOut, progress
	return table, sink, nil
}

func find(path *string, name string) error {
	if *path != "" {
		return nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s not found: `make bench` installs it under .tools/bin, or pass -%s", name, name)
	}
	*path = p
	return nil
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
