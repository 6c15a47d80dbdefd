// Package functions describes the platform's Lambda functions as plain
// data: name, time budget, memory, the settings they read (declared in
// shared/app) and their role in ingestion. The CDK stack (infra/cdk/stack) builds one function, role and
// log group from each; the Runtime Interface Emulator test (infra/rie) gives
// each packaged function exactly the environment listed here. Adding a
// function is one more entry in Deployed, and its policy in the stack.
package functions

import (
	"time"

	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Function is one Lambda function of the platform.
type Function struct {
	// Name is the folder under functions/ and under the asset folder
	// (bin/<Name>/bootstrap).
	Name string
	// FunctionName picks the function's physical name (also its role's).
	FunctionName func(platform.Names) string
	Description  string
	Timeout      time.Duration
	MemoryMiB    int
	// EphemeralMiB is its /tmp, when it needs more than Lambda's 512 MiB.
	EphemeralMiB int
	// Env is the settings the function reads (shared/app declares them).
	Env platform.Settings
	// Ingestion functions reach source buckets, through sessions of the
	// source reader role (SOURCE_READER_ROLE_ARN), the principal of the
	// generated bucket policies: their roles may assume it, and only they.
	Ingestion bool
	// ConsumesTasks makes the function the task queue's worker.
	ConsumesTasks bool
	// OverTime, when set, raises an alarm on invocations that last longer.
	OverTime time.Duration
}

// Time budgets of the functions.
const (
	// APITimeout stays under API Gateway's 30 s integration limit.
	APITimeout = 29 * time.Second
	// PlannerTimeout is the planner's Lambda timeout. It plans for
	// PlannerTimeBudget (PLANNER_TIME_BUDGET), then hands the rest of the
	// listing to a new invocation within its hand-over margin
	// (ingest.DefaultMargin). PlannerOverTime is an invocation that outlasted
	// both: it did not hand over in time, and an alarm says so.
	PlannerTimeout    = 15 * time.Minute
	PlannerTimeBudget = 12 * time.Minute
	PlannerOverTime   = PlannerTimeBudget + ingest.DefaultMargin
	// WorkerTimeout fits 6 times in the task queue's visibility timeout.
	// A worker stops starting copies with a quarter of its time left, for
	// the copies in flight and the commit; WorkerOverTime is an invocation
	// that used most of that quarter too: its tasks come near timing out.
	WorkerTimeout  = 150 * time.Second
	WorkerOverTime = WorkerTimeout * 9 / 10
)

// Deployed are the functions the stack deploys.
func Deployed() []Function { return []Function{API(), Planner(), Worker(), Events()} }

// ByName returns the function whose Name is name.
func ByName(name string) (Function, bool) {
	for _, f := range Deployed() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// API is the REST API behind the HTTP API.
func API() Function {
	return Function{
		Name:         "api",
		FunctionName: func(n platform.Names) string { return n.APIFunction },
		Description:  "S3 Connections REST API (HTTP API routes)",
		Timeout:      APITimeout,
		MemoryMiB:    256,
		Env:          app.APISettings,
	}
}

// Planner tests connections, lists source buckets and enqueues copy tasks.
func Planner() Function {
	return Function{
		Name:         "planner",
		FunctionName: func(n platform.Names) string { return n.PlannerFunction },
		Description:  "S3 Connections planner: tests connections, lists source buckets and enqueues copy tasks",
		Timeout:      PlannerTimeout,
		MemoryMiB:    512,
		// A Parquet inventory's data file is staged in /tmp to be read
		// (its footer is at its end): room for S3 Inventory's files.
		EphemeralMiB: 4096,
		Env:          app.PlannerSettings,
		Ingestion:    true,
		OverTime:     PlannerOverTime,
	}
}

// Worker copies, validates and catalogs the files of copy tasks.
func Worker() Function {
	return Function{
		Name:          "worker",
		FunctionName:  func(n platform.Names) string { return n.WorkerFunction },
		Description:   "S3 Connections worker: copies, validates and catalogs the files of copy tasks",
		Timeout:       WorkerTimeout,
		MemoryMiB:     1024,
		Env:           app.WorkerSettings,
		Ingestion:     true,
		ConsumesTasks: true,
		OverTime:      WorkerOverTime,
	}
}

// Events turns the sources' S3 events from the inbound bus into copy tasks.
func Events() Function {
	return Function{
		Name:         "events",
		FunctionName: func(n platform.Names) string { return n.EventsFunction },
		Description:  "S3 Connections events: turns the sources' S3 Object Created events into copy tasks",
		Timeout:      30 * time.Second,
		MemoryMiB:    256,
		Env:          app.EventsSettings,
	}
}
