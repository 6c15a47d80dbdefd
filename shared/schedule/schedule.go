// Package schedule holds the DataIngestion Schedule: which dataset to ingest,
// when (an EventBridge Scheduler expression, or on demand only), and the use
// cases the REST API runs on it.
package schedule

import (
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
)

// TypeDataIngestion is the only schedule type this service runs.
const TypeDataIngestion = "DataIngestion"

// Schedule starts runs of one dataset.
type Schedule struct {
	ScheduleId   string
	ScheduleName string
	ScheduleType string
	DatasetId    string
	Description  string
	// ScheduleExpression is rate(...), cron(...) or at(...) in EventBridge
	// Scheduler syntax; "" means on demand only.
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	// IsEnabled: a disabled schedule exists but does not fire (it can still
	// be run on demand).
	IsEnabled       bool
	CreatedBy       string
	AuthorizedUsers []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Revision        int64
	// Notify, when set, asks for the runs' notifications (nil: none).
	Notify *Notify `dynamodbav:",omitempty"`
}

// CanSee says whether user may see and run the schedule.
func (s Schedule) CanSee(user string) bool {
	return access.CanSee(s.CreatedBy, s.AuthorizedUsers, user)
}

// Owner is who may change or delete the schedule.
func (s Schedule) Owner() string { return s.CreatedBy }

// Describe names the schedule in messages.
func (s Schedule) Describe() string { return "schedule " + s.ScheduleName }

// Fires says whether EventBridge Scheduler should hold an enabled or
// disabled schedule for it: only schedules with an expression do.
func (s Schedule) Fires() bool { return s.ScheduleExpression != "" }

// View is a schedule as the API shows it.
type View struct {
	ScheduleId                 string
	ScheduleName               string
	ScheduleType               string
	DatasetId                  string
	Description                string
	ScheduleExpression         string `json:",omitempty"`
	ScheduleExpressionTimezone string `json:",omitempty"`
	IsEnabled                  bool
	CreatedBy                  string
	AuthorizedUsers            []string
	CreatedAt                  time.Time
	UpdatedAt                  time.Time
	Notify                     *Notify `json:",omitempty"`
}

// View returns what the API shows of s.
func (s Schedule) View() View {
	return View{
		ScheduleId: s.ScheduleId, ScheduleName: s.ScheduleName, ScheduleType: s.ScheduleType, DatasetId: s.DatasetId,
		Description: s.Description, ScheduleExpression: s.ScheduleExpression,
		ScheduleExpressionTimezone: s.ScheduleExpressionTimezone, IsEnabled: s.IsEnabled,
		CreatedBy: s.CreatedBy, AuthorizedUsers: s.AuthorizedUsers, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		Notify: s.Notify,
	}
}
