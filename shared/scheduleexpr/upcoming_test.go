package scheduleexpr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// Upcoming finds the next fire time after now, or says why there is none.
func TestUpcoming(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	testCases := []struct {
		name, expr, tz string
		want           time.Time // zero: refused
		field, says    string
	}{
		{"rate always fires", "rate(5 minutes)", "", now.Add(5 * time.Minute), "", ""},
		{"cron next minute", "cron(* * * * ? *)", "", now.Add(time.Minute), "", ""},
		{"at in the future", "at(2026-12-07T08:31:00)", "", now.Add(time.Minute), "", ""},
		{"at in the future of its zone", "at(2026-12-07T09:31:00)", "Europe/Rome", now.Add(time.Minute), "", ""},
		{"at now is not after now", "at(2026-12-07T08:30:00)", "", time.Time{}, "at", "is in the past (it is 2026-12-07T08:30:00 in UTC now)"},
		{"at in the past", "at(2020-01-31T18:30:00)", "", time.Time{}, "at", "in the past"},
		{"at past in its zone though future in UTC", "at(2026-12-07T09:00:00)", "Europe/Rome", time.Time{}, "at", "2026-12-07T09:30:00 in Europe/Rome"},
		{"February 31st", "cron(0 0 31 2 ? *)", "", time.Time{}, "", "never fires: no date from now to the end of 2199"},
		{"February 30th", "cron(0 0 30 2 ? *)", "", time.Time{}, "", "never fires"},
		{"nearest weekday to a day April lacks", "cron(0 0 31W 4 ? *)", "", time.Time{}, "", "never fires"},
		{"February 29th of a common year", "cron(0 0 29 2 ? 2027)", "", time.Time{}, "", "never fires"},
		{"February 29th of the next leap year", "cron(0 0 29 2 ? *)", "", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), "", ""},
		{"years all past", "cron(0 0 * * ? 2020-2025)", "", time.Time{}, "year", "names no year from 2026 on"},
		{"the last year of the range", "cron(0 0 1 1 ? 2199)", "", time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), "", ""},
		{"only in a daylight saving gap", "cron(30 2 ? 3 1L *)", "Europe/Berlin", time.Time{}, "", "never fires"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			e := scheduleexpr.MustParse(tc.expr, tc.tz)
			got, err := e.Upcoming(now)
			if tc.want.IsZero() {
				var perr *scheduleexpr.Error
				if !errors.As(err, &perr) || perr.Field != tc.field || !strings.Contains(perr.Msg, tc.says) || !strings.Contains(perr.Msg, tc.expr) {
					t.Fatalf("Upcoming = %v, %v; want an *Error on %q saying %q and naming %s", got, err, tc.field, tc.says, tc.expr)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("Upcoming = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// The walk that finds no fire time is bounded by the year range: the worst
// expressions end, and in few steps (a benchmark keeps them visible).
func BenchmarkUpcomingNever(b *testing.B) {
	now := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC)
	for _, expr := range []string{"cron(0 0 31 2 ? *)", "cron(59 23 ? 2 1#5 *)", "cron(30 2 ? 3 1L *)"} {
		e := scheduleexpr.MustParse(expr, "Europe/Berlin")
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				e.Upcoming(now)
			}
		})
	}
}
