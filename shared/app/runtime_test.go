package app

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneRuntimeFollowsTheFunctionsMemory(t *testing.T) {
	procs, gc, limit := runtime.GOMAXPROCS(0), debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		name      string
		env       map[string]string
		procs     int // 0: unchanged
		gcPercent int
		limit     int64
	}{
		{"worker, 1 GiB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, 1, 400, 768 << 20},
		{"a vCPU or more", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}, 0, 400, 1769 << 20 / 4 * 3},
		{"settings win", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "GOGC": "100", "GOMEMLIMIT": "1GiB", "GOMAXPROCS": "2"}, 0, 100, math.MaxInt64},
		{"not on Lambda", map[string]string{}, 0, 400, math.MaxInt64},
	} {
		runtime.GOMAXPROCS(2)
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		TuneRuntime(env(c.env))
		want := c.procs
		if want == 0 {
			want = 2
		}
		if got := runtime.GOMAXPROCS(0); got != want {
			t.Errorf("%s: GOMAXPROCS %d, want %d", c.name, got, want)
		}
		if got := debug.SetGCPercent(100); got != c.gcPercent {
			t.Errorf("%s: GOGC %d, want %d", c.name, got, c.gcPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != c.limit {
			t.Errorf("%s: memory limit %d, want %d", c.name, got, c.limit)
		}
	}
}
