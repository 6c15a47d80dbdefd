package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/infra/rie/sandbox"
)

// startSandboxes runs the planner (one sandbox) and the worker (workers
// sandboxes) as their real bootstraps under aws-lambda-rie, built into
// dir, in place of the in-process handlers, so that their CPU is measured
// as their processes' own; extraEnv is added to their environment. It
// returns a function that stops them.
func startSandboxes(plat *platformlocal.Platform, dir string, workers int, extraEnv []string, log io.Writer) (stop func(), err error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	rie, err := sandbox.RIE()
	if err != nil {
		return nil, err
	}
	bins, err := sandbox.Build(root, dir, []string{"planner", "worker"})
	if err != nil {
		return nil, err
	}
	var pools []*sandbox.Pool
	stop = func() {
		for _, p := range pools {
			p.Close()
		}
	}
	for _, f := range []struct {
		name, function string
		n              int
		timeout        time.Duration
	}{
		{"planner", plat.Names.PlannerFunction, 1, functions.PlannerTimeout},
		{"worker", plat.Names.WorkerFunction, workers, functions.WorkerTimeout},
	} {
		env, err := sandbox.Env(plat, f.name)
		if err != nil {
			stop()
			return nil, err
		}
		env = append(env, extraEnv...)
		pool, err := sandbox.StartPool(f.n, rie, f.name, bins[f.name], env, log)
		if err != nil {
			stop()
			return nil, err
		}
		pools = append(pools, pool)
		if err := plat.Runtime.Replace(lambdalocal.Function{Name: f.function, Handler: pool, Timeout: f.timeout}); err != nil {
			stop()
			return nil, err
		}
	}
	return stop, nil
}

// moduleRoot is the folder holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s: run the benchmark from the repository", dir)
		}
		dir = parent
	}
}
