package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
)

var testNow = time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// wantInvalid checks that err is a 400 naming field and saying says ("" and
// "" for no error).
func wantInvalid(t *testing.T, err error, field, says string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.KindInvalid || e.Field != field || !strings.Contains(e.Message, says) {
		t.Fatalf("got %v, want a 400 naming %s saying %q", err, field, says)
	}
}

// A new schedule's expression must fire after now.
func TestCreateInputExpressionMustFire(t *testing.T) {
	testCases := []struct {
		name, expr, tz string
		field, says    string
	}{
		{"on demand", "", "", "", ""},
		{"rate", "rate(1 hour)", "", "", ""},
		{"cron", "cron(0 6 ? * MON-FRI *)", "Europe/Rome", "", ""},
		{"at to come", "at(2026-12-07T08:31:00)", "", "", ""},
		{"at in the past", "at(2026-12-07T08:29:00)", "", "ScheduleExpression", "in the past"},
		{"at past in its zone", "at(2026-12-07T09:29:00)", "Europe/Rome", "ScheduleExpression", "in the past"},
		{"February 31st", "cron(0 0 31 2 ? *)", "", "ScheduleExpression", "never fires"},
		{"years gone", "cron(0 0 * * ? 2001-2020)", "", "ScheduleExpression", "no year from 2026 on"},
		{"invalid still named", "cron(0 0 * * *)", "", "ScheduleExpression", ""},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			in := CreateInput{ScheduleName: "s", DatasetId: "d", ScheduleExpression: tc.expr, ScheduleExpressionTimezone: tc.tz}
			wantInvalid(t, in.normalize(testNow), tc.field, tc.says)
		})
	}
}

// An update checks that the expression fires only when it sets the
// expression or its time zone: a one-time schedule that has fired can still
// be described, shared or disabled.
func TestUpdateInputExpressionMustFireWhenSet(t *testing.T) {
	fired := Schedule{ScheduleExpression: "at(2026-01-01T00:00:00)", CreatedBy: "alice", IsEnabled: true}
	never := "cron(0 0 30 2 ? *)"
	testCases := []struct {
		name        string
		current     Schedule
		in          UpdateInput
		field, says string
	}{
		{"describe a fired at()", fired, UpdateInput{Description: ptr("done")}, "", ""},
		{"disable a fired at()", fired, UpdateInput{IsEnabled: ptr(false)}, "", ""},
		{"share a fired at()", fired, UpdateInput{AuthorizedUsers: &[]string{"bob"}}, "", ""},
		{"set the same fired at()", fired, UpdateInput{ScheduleExpression: ptr(fired.ScheduleExpression)}, "ScheduleExpression", "in the past"},
		{"move a fired at() to another zone", fired, UpdateInput{ScheduleExpressionTimezone: ptr("Asia/Tokyo")}, "ScheduleExpression", "in the past"},
		{"set an at() to come", fired, UpdateInput{ScheduleExpression: ptr("at(2027-01-01T00:00:00)")}, "", ""},
		{"set a cron that never fires", Schedule{}, UpdateInput{ScheduleExpression: &never}, "ScheduleExpression", "never fires"},
		{"to on demand", fired, UpdateInput{ScheduleExpression: ptr("")}, "", ""},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			wantInvalid(t, tc.in.validate(tc.current, testNow), tc.field, tc.says)
		})
	}
}
