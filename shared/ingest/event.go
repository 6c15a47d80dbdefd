package ingest

import "github.com/aws/aws-lambda-go/events"

// Planner actions besides planning.
const (
	// ActionTestConnection asks the planner whether a connection can list its bucket.
	ActionTestConnection = "TestConnection"
	// ActionSweepLeases ends the runs whose lease expired (a periodic
	// EventBridge Scheduler schedule of the stack sends it).
	ActionSweepLeases = "SweepLeases"
)

// PlannerEvent is what invokes the planner: a connection test from the API
// (Action, ConnectionId), a scheduled firing (ScheduleId alone, from
// EventBridge Scheduler), a run started on demand (ScheduleId, RunId), or
// the planner's continuation of a long run (RunId alone), a periodic sweep
// of expired leases (Action), or a batch of its own on-failure destination
// queue (Records, an SQS event). Its callers (plannercall, eventscheduler)
// encode this very type.
type PlannerEvent struct {
	Action       string `json:",omitempty"`
	ConnectionId string `json:",omitempty"`
	ScheduleId   string `json:",omitempty"`
	RunId        string `json:",omitempty"`
	// Firing identifies a scheduled firing: EventBridge Scheduler's
	// execution id, part of the invocation's payload, hence the same on
	// Lambda's retries of it. The run the firing starts carries it, so a
	// retry resumes that run and the record of a firing that failed every
	// try ends it.
	Firing string `json:",omitempty"`
	// Records are the messages of the planner's on-failure destination
	// queue: Lambda's records of planner invocations that failed every try.
	Records []events.SQSMessage `json:",omitempty"`
}
