package app

import (
	"runtime"
	"runtime/debug"
	"strconv"
)

// lambdaMiBPerVCPU is the memory size at which Lambda gives a function the
// equivalent of one vCPU; below it, a share of one.
const lambdaMiBPerVCPU = 1769

// TuneRuntime fits Go's scheduler and garbage collector to a function whose
// work is waiting on the network with a small live heap (the worker: 16
// copies in flight, a few MB live in 1 GiB), from the memory size Lambda
// sets in AWS_LAMBDA_FUNCTION_MEMORY_SIZE:
//   - below one vCPU's worth of memory, one P (GOMAXPROCS 1): a second P
//     only adds idle threads spinning for work and waking each other;
//   - the heap may grow to 5× the live heap between collections (GOGC
//     400) instead of doubling from 4 MB, which collected hundreds of
//     times per batch, with a soft limit of 3/4 of the memory so the
//     collector works harder before memory runs out.
//
// GOMAXPROCS, GOGC or GOMEMLIMIT in the environment win, as the runtime
// reads them itself.
func TuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	mib, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mib <= 0 {
		return
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(mib << 20 / 4 * 3)
	}
	if getenv("GOMAXPROCS") == "" && mib < lambdaMiBPerVCPU {
		runtime.GOMAXPROCS(1)
	}
}
