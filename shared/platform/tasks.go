package platform

import "time"

// The worker's event source: batches of up to TaskBatchSize tasks, gathered
// for at most TaskBatchingWindow. A worker commits a batch in transactions
// of up to 49 files, so larger batches mean fewer, fuller transactions and
// fewer invocations; it copies TaskBatchSize files within its timeout only
// when they are small, and hands back what it could not start.
const (
	TaskBatchSize      = 100
	TaskBatchingWindow = time.Second
)

// FailureBatchSize is the most on-failure destination records one planner
// invocation handles (its event source on the planner's failures queue).
const FailureBatchSize = 10
