package schedule

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// MaxDescription limits descriptions, as the API documents.
const MaxDescription = 1024

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CreateInput is the body of POST /schedules.
type CreateInput struct {
	ScheduleName               string
	ScheduleType               string
	DatasetId                  string
	Description                string
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	IsEnabled                  *bool // default true
	AuthorizedUsers            []string
}

// UpdateInput is the body of PUT /schedules/{id}: only these fields change.
// An empty ScheduleExpression makes the schedule on demand only.
type UpdateInput struct {
	Description                *string
	ScheduleExpression         *string
	ScheduleExpressionTimezone *string
	IsEnabled                  *bool
	AuthorizedUsers            *[]string
}

func (in *CreateInput) normalize(now time.Time) error {
	switch {
	case in.ScheduleName == "":
		return apperr.Invalid("ScheduleName", "is required")
	case !namePattern.MatchString(in.ScheduleName):
		return apperr.Invalid("ScheduleName", "must be 1 to 64 characters of letters, digits, '_', '.' or '-'")
	case in.ScheduleType == "":
		in.ScheduleType = TypeDataIngestion
	case !strings.EqualFold(in.ScheduleType, TypeDataIngestion):
		return apperr.Invalid("ScheduleType", "unsupported schedule type %q: only %s is supported", in.ScheduleType, TypeDataIngestion)
	}
	in.ScheduleType = TypeDataIngestion
	if in.DatasetId == "" {
		return apperr.Invalid("DatasetId", "is required")
	}
	if err := validateDescription(in.Description); err != nil {
		return err
	}
	if err := validateExpression(in.ScheduleExpression, in.ScheduleExpressionTimezone, now); err != nil {
		return err
	}
	users, err := access.NormalizeUsers(in.AuthorizedUsers)
	if err != nil {
		return err
	}
	in.AuthorizedUsers = users
	return nil
}

// validate checks in against the schedule it changes. The expression must
// fire after now only when in sets it or its time zone: a one-time schedule
// that has fired keeps its at() through other changes.
func (in *UpdateInput) validate(current Schedule, now time.Time) error {
	if in.Description == nil && in.ScheduleExpression == nil && in.ScheduleExpressionTimezone == nil &&
		in.IsEnabled == nil && in.AuthorizedUsers == nil {
		return apperr.Invalid("", "nothing to update: give Description, ScheduleExpression, ScheduleExpressionTimezone, IsEnabled or AuthorizedUsers")
	}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
	}
	expr, tz := current.ScheduleExpression, current.ScheduleExpressionTimezone
	if in.ScheduleExpression == nil && in.ScheduleExpressionTimezone == nil {
		now = time.Time{}
	}
	if in.ScheduleExpression != nil {
		expr = *in.ScheduleExpression
	}
	if in.ScheduleExpressionTimezone != nil {
		tz = *in.ScheduleExpressionTimezone
	}
	if err := validateExpression(expr, tz, now); err != nil {
		return err
	}
	if in.AuthorizedUsers != nil {
		users, err := access.NormalizeUsers(*in.AuthorizedUsers)
		if err != nil {
			return err
		}
		*in.AuthorizedUsers = users
	}
	return nil
}

// validateExpression checks expr and its time zone tz and, unless now is
// zero, that expr fires after now: EventBridge Scheduler would take an at()
// in the past or a cron no date matches and never fire it.
func validateExpression(expr, tz string, now time.Time) error {
	if expr == "" {
		if tz != "" {
			return apperr.Invalid("ScheduleExpressionTimezone", "needs a ScheduleExpression")
		}
		return nil
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return apperr.Invalid("ScheduleExpressionTimezone", "%q is not an IANA time zone such as Europe/Rome", tz)
		}
	}
	e, err := scheduleexpr.Parse(expr, tz)
	if err != nil {
		return apperr.Invalid("ScheduleExpression", "%s", err.Error())
	}
	if now.IsZero() {
		return nil
	}
	if _, err := e.Upcoming(now); err != nil {
		return apperr.Invalid("ScheduleExpression", "%s", err.Error())
	}
	return nil
}

func validateDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxDescription {
		return apperr.Invalid("Description", "must be at most %d characters", MaxDescription)
	}
	return nil
}
