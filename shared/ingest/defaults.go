package ingest

import "time"

// Defaults of the ingestion settings.
const (
	DefaultPlannerBudget   = 12 * time.Minute // within the planner's 15-minute timeout
	DefaultMargin          = 90 * time.Second // left before the deadline to hand over
	DefaultMaxReceiveCount = 5
	// DefaultWorkerParallel is how many files one worker invocation copies
	// at once.
	DefaultWorkerParallel = 16
	// DefaultStreamBudget bounds the memory streamed copies hold at once,
	// half of the worker's 1 GiB.
	DefaultStreamBudget = 512 << 20
)
