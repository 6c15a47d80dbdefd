package runevents

import "github.com/datalake-platform/s3connections/shared/schedule"

// Rule is an EventBridge rule on the platform's outbound bus, as data: the
// CDK stack and the local platform both create it from here.
type Rule struct {
	Name        string
	Description string
	// Pattern is the event pattern: source, detail-type, and the detail's
	// members to match (each a list of the values that match).
	Source     []string
	DetailType []string
	Detail     map[string][]string
}

// Pattern is r's event pattern as EventBridge takes it (JSON).
func (r Rule) Pattern() map[string]any {
	detail := map[string]any{}
	for k, v := range r.Detail {
		detail[k] = v
	}
	return map[string]any{"source": r.Source, "detail-type": r.DetailType, "detail": detail}
}

// NotificationRules are the rules whose target is the platform's
// notification topic: they pass the run events of schedules that asked to
// be told (schedule.Notify), and only those: every end for "always", the
// failures for "failure". Subscribers of the topic choose their schedules
// with a filter policy on the message body (detail.ScheduleId).
func NotificationRules() []Rule {
	return []Rule{
		{
			Name:        "notify-always",
			Description: "run ends of schedules whose Notify is always",
			Source:      []string{Source}, DetailType: []string{DetailTypeSucceeded, DetailTypeFailed},
			Detail: map[string][]string{"Notify": {schedule.NotifyOnAlways}},
		},
		{
			Name:        "notify-failure",
			Description: "failed runs of schedules whose Notify is failure",
			Source:      []string{Source}, DetailType: []string{DetailTypeFailed},
			Detail: map[string][]string{"Notify": {schedule.NotifyOnFailure}},
		},
	}
}
