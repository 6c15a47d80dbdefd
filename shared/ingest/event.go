package ingest

// ActionTestConnection asks the planner whether a connection can list its bucket.
const ActionTestConnection = "TestConnection"

// PlannerEvent is what invokes the planner: a connection test from the API
// (Action, ConnectionId), a scheduled firing (ScheduleId alone, from
// EventBridge Scheduler), a run started on demand (ScheduleId, RunId), or
// the planner's continuation of a long run (RunId alone). Its callers
// (plannercall, eventscheduler) encode this very type.
type PlannerEvent struct {
	Action       string `json:",omitempty"`
	ConnectionId string `json:",omitempty"`
	ScheduleId   string `json:",omitempty"`
	RunId        string `json:",omitempty"`
}
