package schedule

import (
	"bytes"
	"encoding/json"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

// When a schedule's runs are announced to the platform's notification
// topic (Notify.On).
const (
	NotifyOnFailure = "failure" // runs that failed
	NotifyOnAlways  = "always"  // every run that ends, succeeded or failed
)

// Notify asks for the schedule's runs to be announced on the platform's
// notification topic (on AWS an SNS topic of the stack, never one the user
// names): its subscribers filter by ScheduleId. The run's end event
// carries On, and the bus's notification rules match it.
type Notify struct {
	On string
}

// When is the setting a run of the schedule carries: On, or "" for none.
func (n *Notify) When() string {
	if n == nil {
		return ""
	}
	return n.On
}

// parseNotify reads the Notify member of a request body: absent (nil raw)
// or null means none; otherwise {"On": "failure"|"always"}.
func parseNotify(raw json.RawMessage) (*Notify, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, apperr.Invalid("Notify", `must be a JSON object such as {"On": "failure"}, or null for none`)
	}
	var n Notify
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return nil, apperr.Invalid("Notify", `must be {"On": "failure"} or {"On": "always"}: it has only the member On, a string`)
	}
	switch n.On {
	case NotifyOnFailure, NotifyOnAlways:
		return &n, nil
	case "":
		return nil, apperr.Invalid("Notify.On", `is required: "failure" or "always"`)
	}
	return nil, apperr.Invalid("Notify.On", `must be "failure" or "always", not %q`, n.On)
}
