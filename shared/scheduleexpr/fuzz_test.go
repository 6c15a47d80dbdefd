package scheduleexpr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// FuzzParse checks that no input makes Parse or Next panic or loop, that
// every rejection is an *Error with a message, and that Next only moves
// forward. Without -fuzz it runs the seeds below as a normal test.
func FuzzParse(f *testing.F) {
	seeds := []struct{ expr, tz string }{
		{"rate(5 minutes)", ""},
		{"rate(1 minute)", "Europe/Rome"},
		{"rate(5 minute)", ""},
		{"rate(99999999999999999999 days)", ""},
		{"cron(0/15 * * * ? *)", ""},
		{"cron(30 2 * * ? *)", "Europe/Rome"},
		{"cron(0 0 L * ? *)", ""},
		{"cron(0 0 LW * ? *)", ""},
		{"cron(0 0 15W * ? *)", ""},
		{"cron(0 0 ? * 6L *)", ""},
		{"cron(0 0 ? * 3#2 *)", ""},
		{"cron(0 0 30 2 ? *)", ""},
		{"cron(0 0 31W 4 ? 2199)", ""},
		{"cron(* * * * ? 2199)", "Pacific/Apia"},
		{"cron(0 0 * * ? 2200)", ""},
		{"cron(0 0 ? * 3#1,6#3 *)", ""},
		{"cron(1-2-3/4,,5 L W ? # ?)", ""},
		{"cron(0 0 * * * *)", ""},
		{"cron(0 0 ? * ? *)", ""},
		{"cron(0 0 1 1 ? 1970)", "America/New_York"},
		{"at(2030-01-31T18:30:00)", "Asia/Kolkata"},
		{"at(2024-03-31T02:30:00)", "Europe/Rome"},
		{"at(0000-00-00T00:00:00)", ""},
		{"at(9999-12-31T23:59:59)", ""},
		{"", ""},
		{"cron(", ""},
		{"rate()", "Local"},
		{"cron(0 0 * * ? *)", "../../../etc/passwd"},
	}
	for _, s := range seeds {
		f.Add(s.expr, s.tz)
	}
	starts := []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 10, 26, 23, 59, 30, 0, time.UTC),
		time.Date(2199, 12, 31, 23, 0, 0, 0, time.UTC),
	}
	f.Fuzz(func(t *testing.T, expr, tz string) {
		e, err := scheduleexpr.Parse(expr, tz)
		if err != nil {
			var perr *scheduleexpr.Error
			if !errors.As(err, &perr) || perr.Msg == "" {
				t.Fatalf("Parse(%q, %q) error %T %q is not a *scheduleexpr.Error with a message", expr, tz, err, err)
			}
			return
		}
		if e.String() != expr {
			t.Fatalf("String() = %q, want %q", e.String(), expr)
		}
		for _, at := range starts {
			for i := 0; i < 5; i++ {
				next, ok := e.Next(at)
				if !ok {
					break
				}
				if !next.After(at) {
					t.Fatalf("%q: Next(%v) = %v is not after it", expr, at, next)
				}
				at = next
			}
		}
	})
}
