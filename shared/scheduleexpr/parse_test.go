package scheduleexpr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

func TestParseAcceptsValidExpressions(t *testing.T) {
	testCases := []struct {
		expr, tz string
		kind     scheduleexpr.Kind
	}{
		// rate
		{"rate(1 minute)", "", scheduleexpr.Rate},
		{"rate(1 minutes)", "", scheduleexpr.Rate}, // Scheduler accepts the plural with 1
		{"rate(5 minutes)", "", scheduleexpr.Rate},
		{"rate(1 hour)", "", scheduleexpr.Rate},
		{"rate(12 hours)", "", scheduleexpr.Rate},
		{"rate(1 day)", "", scheduleexpr.Rate},
		{"rate(7 days)", "", scheduleexpr.Rate},
		{"rate(100000 days)", "", scheduleexpr.Rate},
		{"rate(  15   minutes )", "", scheduleexpr.Rate},
		// cron: the AWS documentation's examples
		{"cron(0 10 * * ? *)", "", scheduleexpr.Cron},
		{"cron(15 12 * * ? *)", "", scheduleexpr.Cron},
		{"cron(0 18 ? * MON-FRI *)", "", scheduleexpr.Cron},
		{"cron(0 8 1 * ? *)", "", scheduleexpr.Cron},
		{"cron(0/15 * * * ? *)", "", scheduleexpr.Cron},
		{"cron(0/10 * ? * MON-FRI *)", "", scheduleexpr.Cron},
		{"cron(0/5 8-17 ? * MON-FRI *)", "", scheduleexpr.Cron},
		{"cron(0 9 ? * 2#1 *)", "", scheduleexpr.Cron},
		// cron: every wildcard
		{"cron(* * * * ? *)", "", scheduleexpr.Cron},
		{"cron(0 * ? * * *)", "", scheduleexpr.Cron},
		{"cron(1,2,3 4-6 7-9/2 JAN,MAR-MAY ? 2020-2030/5)", "", scheduleexpr.Cron},
		{"cron(23,24,25 17,18 25 MAR/4 ? 2020,2021,2023,2028)", "", scheduleexpr.Cron},
		{"cron(0 */3 */1 * ? *)", "", scheduleexpr.Cron},
		{"cron(15 12 ? * sun,mon *)", "", scheduleexpr.Cron},
		{"cron(0 0 L * ? *)", "", scheduleexpr.Cron},
		{"cron(0 0 l * ? *)", "", scheduleexpr.Cron},
		{"cron(0 0 LW * ? *)", "", scheduleexpr.Cron},
		{"cron(0 0 15W * ? *)", "", scheduleexpr.Cron},
		{"cron(0 0 ? * L *)", "", scheduleexpr.Cron},
		{"cron(15 10 ? * 6L 2002-2025)", "", scheduleexpr.Cron},
		{"cron(0 0 ? * FRIL *)", "", scheduleexpr.Cron},
		{"cron(0 0 ? * TUE#5 *)", "", scheduleexpr.Cron},
		{"cron(0 0 ? * WED *)", "", scheduleexpr.Cron},
		{"cron(0 0 ? * SUN-SAT *)", "", scheduleexpr.Cron},
		{"cron(59 23 31 DEC ? 2199)", "", scheduleexpr.Cron},
		{"cron(0 0 1 1 ? 1970)", "", scheduleexpr.Cron},
		{"cron(00 09 01 01 ? *)", "", scheduleexpr.Cron},
		{"cron(0 12 * * ? *)", "Europe/Rome", scheduleexpr.Cron},
		{"cron(0 12 * * ? *)", "America/New_York", scheduleexpr.Cron},
		{"cron(0 12 * * ? *)", "UTC", scheduleexpr.Cron},
		// at
		{"at(2030-01-31T18:30:00)", "", scheduleexpr.At},
		{"at(2024-02-29T00:00:00)", "Asia/Tokyo", scheduleexpr.At},
		{"at(1999-12-31T23:59:59)", "", scheduleexpr.At},
	}
	for _, tc := range testCases {
		t.Run(tc.expr+"@"+tc.tz, func(t *testing.T) {
			e, err := scheduleexpr.Parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if e.Kind() != tc.kind {
				t.Errorf("Kind = %v, want %v", e.Kind(), tc.kind)
			}
			if e.String() != tc.expr {
				t.Errorf("String = %q, want %q", e.String(), tc.expr)
			}
			wantTZ := tc.tz
			if wantTZ == "" {
				wantTZ = "UTC"
			}
			if e.Timezone() != wantTZ || e.Location().String() != wantTZ {
				t.Errorf("Timezone = %q, Location = %v, want %q", e.Timezone(), e.Location(), wantTZ)
			}
			if e.Recurring() != (tc.kind != scheduleexpr.At) {
				t.Errorf("Recurring = %v", e.Recurring())
			}
		})
	}
}

func TestParseRejectsInvalidExpressionsSayingWhatAndWhere(t *testing.T) {
	testCases := []struct {
		expr, tz string
		field    string
		msg      string // the whole message
	}{
		// whole expression
		{"", "", "", "schedule expression is empty: use rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)"},
		{"every 5 minutes", "", "", `schedule expression "every 5 minutes" is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)`},
		{"0 0 * * ? *", "", "", `schedule expression "0 0 * * ? *" is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)`},
		{"CRON(0 0 * * ? *)", "", "", `schedule expression "CRON(0 0 * * ? *)" is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)`},
		{" rate(5 minutes)", "", "", `schedule expression " rate(5 minutes)" is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)`},
		{"rate(5 minutes", "", "", `rate expression must end with ")"`},
		{"cron(0 0 * * ? *) ", "", "", `cron expression must end with ")"`},
		{"cron((0 0 * * ? *))", "", "", `cron expression has unexpected parentheses inside cron(...)`},
		{"rate(" + strings.Repeat("1", 300) + " minutes)", "", "", "schedule expression is 314 characters long; the maximum is 256"},
		// time zone
		{"rate(5 minutes)", "Mars/Olympus_Mons", "timezone", `time zone "Mars/Olympus_Mons" is not an IANA time zone name (e.g. UTC, Europe/Rome)`},
		{"rate(5 minutes)", "Local", "timezone", `time zone "Local" is not an IANA time zone name (e.g. UTC, Europe/Rome)`},
		{"rate(5 minutes)", "../../etc/passwd", "timezone", `time zone "../../etc/passwd" is not an IANA time zone name (e.g. UTC, Europe/Rome)`},
		{"rate(5 minutes)", "+02:00", "timezone", `time zone "+02:00" is not an IANA time zone name (e.g. UTC, Europe/Rome)`},
		// rate
		{"rate(5 minute)", "", "rate unit", `rate unit "minute" needs value 1; use "minutes"`},
		{"rate(2 hour)", "", "rate unit", `rate unit "hour" needs value 1; use "hours"`},
		{"rate(3 day)", "", "rate unit", `rate unit "day" needs value 1; use "days"`},
		{"rate(0 minutes)", "", "rate value", "rate value must be a positive integer, got 0"},
		{"rate(-5 minutes)", "", "rate value", `rate value "-5" is not a positive integer`},
		{"rate(1.5 hours)", "", "rate value", `rate value "1.5" is not a positive integer`},
		{"rate(five minutes)", "", "rate value", `rate value "five" is not a positive integer`},
		{"rate(5 weeks)", "", "rate unit", `rate unit "weeks" is not one of minute, minutes, hour, hours, day, days`},
		{"rate(5 Minutes)", "", "rate unit", `rate unit "Minutes" is not one of minute, minutes, hour, hours, day, days`},
		{"rate(30 seconds)", "", "rate unit", `rate unit "seconds" is not one of minute, minutes, hour, hours, day, days`},
		{"rate(5)", "", "", "rate expression needs a value and a unit, e.g. rate(5 minutes), got rate(5)"},
		{"rate()", "", "", "rate expression needs a value and a unit, e.g. rate(5 minutes), got rate()"},
		{"rate(5 minutes daily)", "", "", "rate expression needs a value and a unit, e.g. rate(5 minutes), got rate(5 minutes daily)"},
		{"rate(99999999 days)", "", "rate value", "rate value 99999999 is too large: the maximum is 106751 days"},
		// cron: shape
		{"cron(0 0 * * ?)", "", "", "cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"},
		{"cron(0 0 0 * * ? *)", "", "", "cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 7"},
		{"cron()", "", "", "cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 0"},
		// cron: ? rules
		{"cron(0 0 * * * *)", "", "day-of-month", "day-of-month and day-of-week cannot both be specified: use ? in one of them"},
		{"cron(0 0 1 * MON *)", "", "day-of-month", "day-of-month and day-of-week cannot both be specified: use ? in one of them"},
		{"cron(0 0 ? * ? *)", "", "day-of-month", "day-of-month and day-of-week cannot both be ?: one of them must select the days"},
		{"cron(? 0 * * ? *)", "", "minutes", `cron minutes field "?": ? is only allowed in day-of-month or day-of-week, not in minutes`},
		{"cron(0 0 * ? ? *)", "", "month", `cron month field "?": ? is only allowed in day-of-month or day-of-week, not in month`},
		{"cron(0 0 1,? * ? *)", "", "day-of-month", `cron day-of-month field "1,?": ? must stand alone`},
		// cron: ranges and values
		{"cron(60 0 * * ? *)", "", "minutes", `cron minutes field "60": 60 is out of range 0-59`},
		{"cron(0 24 * * ? *)", "", "hours", `cron hours field "24": 24 is out of range 0-23`},
		{"cron(0 0 0 * ? *)", "", "day-of-month", `cron day-of-month field "0": 0 is out of range 1-31`},
		{"cron(0 0 32 * ? *)", "", "day-of-month", `cron day-of-month field "32": 32 is out of range 1-31`},
		{"cron(0 0 1 13 ? *)", "", "month", `cron month field "13": 13 is out of range 1-12`},
		{"cron(0 0 1 FOO ? *)", "", "month", `cron month field "FOO": "FOO" is not a valid month value (1-12 or JAN-DEC)`},
		{"cron(0 0 ? * 0 *)", "", "day-of-week", `cron day-of-week field "0": 0 is out of range 1-7`},
		{"cron(0 0 ? * 8 *)", "", "day-of-week", `cron day-of-week field "8": 8 is out of range 1-7`},
		{"cron(0 0 ? * FUN *)", "", "day-of-week", `cron day-of-week field "FUN": "FUN" is not a valid day-of-week value (1-7 or SUN-SAT)`},
		{"cron(0 0 * * ? 1969)", "", "year", `cron year field "1969": 1969 is out of range 1970-2199`},
		{"cron(0 0 * * ? 2200)", "", "year", `cron year field "2200": 2200 is out of range 1970-2199`},
		{"cron(0 0 * * ? 24)", "", "year", `cron year field "24": 24 is out of range 1970-2199`},
		{"cron(30-10 0 * * ? *)", "", "minutes", `cron minutes field "30-10": range 30-10 runs backwards; ranges do not wrap around, list the values instead`},
		{"cron(0 0 ? * FRI-MON *)", "", "day-of-week", `cron day-of-week field "FRI-MON": range FRI-MON runs backwards; ranges do not wrap around, list the values instead`},
		{"cron(0/0 0 * * ? *)", "", "minutes", `cron minutes field "0/0": step "0" after / is not a positive integer`},
		{"cron(*/x 0 * * ? *)", "", "minutes", `cron minutes field "*/x": step "x" after / is not a positive integer`},
		{"cron(1,,2 0 * * ? *)", "", "minutes", `cron minutes field "1,,2": empty value in list`},
		{"cron(5- 0 * * ? *)", "", "minutes", `cron minutes field "5-": missing value (the minutes field takes 0-59)`},
		{"cron(0 0 ? * MON/2 *)", "", "day-of-week", `cron day-of-week field "MON/2": / is not allowed in day-of-week; list the days instead (e.g. MON,WED,FRI)`},
		{"cron(0 0 1-2-3 * ? *)", "", "day-of-month", `cron day-of-month field "1-2-3": "2-3" is not a valid day-of-month value (1-31)`},
		// cron: L, W, #
		{"cron(L 0 * * ? *)", "", "minutes", `cron minutes field "L": L is only allowed in day-of-month or day-of-week, not in minutes`},
		{"cron(0 0 * * ? L)", "", "year", `cron year field "L": L is only allowed in day-of-month or day-of-week, not in year`},
		{"cron(0 1W * * ? *)", "", "hours", `cron hours field "1W": W is only allowed in day-of-month or day-of-week, not in hours`},
		{"cron(0 0 * * ? 2024#1)", "", "year", `cron year field "2024#1": # is only allowed in day-of-week, not in year`},
		{"cron(0 0 1-5W * ? *)", "", "day-of-month", `cron day-of-month field "1-5W": L and W are used alone, as L (last day), LW (last weekday) or a day followed by W (e.g. 15W, the weekday nearest the 15th); they cannot be combined with lists, ranges or steps`},
		{"cron(0 0 L,15 * ? *)", "", "day-of-month", `cron day-of-month field "L,15": L and W are used alone, as L (last day), LW (last weekday) or a day followed by W (e.g. 15W, the weekday nearest the 15th); they cannot be combined with lists, ranges or steps`},
		{"cron(0 0 L-3 * ? *)", "", "day-of-month", `cron day-of-month field "L-3": L and W are used alone, as L (last day), LW (last weekday) or a day followed by W (e.g. 15W, the weekday nearest the 15th); they cannot be combined with lists, ranges or steps`},
		{"cron(0 0 32W * ? *)", "", "day-of-month", `cron day-of-month field "32W": 32 is out of range 1-31`},
		{"cron(0 0 3#2 * ? *)", "", "day-of-month", `cron day-of-month field "3#2": # is only allowed in day-of-week`},
		{"cron(0 0 ? * 3#6 *)", "", "day-of-week", `cron day-of-week field "3#6": occurrence "6" after # is not a number 1-5`},
		{"cron(0 0 ? * 3#0 *)", "", "day-of-week", `cron day-of-week field "3#0": occurrence "0" after # is not a number 1-5`},
		{"cron(0 0 ? * 8#1 *)", "", "day-of-week", `cron day-of-week field "8#1": 8 is out of range 1-7`},
		{"cron(0 0 ? * 3#1,6#3 *)", "", "day-of-week", `cron day-of-week field "3#1,6#3": # takes one day and one occurrence, e.g. 3#2 or TUE#2 (the second Tuesday), and cannot be combined with lists, ranges or L`},
		{"cron(0 0 ? * 2,6L *)", "", "day-of-week", `cron day-of-week field "2,6L": L is used alone (Saturday, the last day of the week) or after one day, e.g. 6L or FRIL (the last Friday of the month); it cannot be combined with lists or ranges`},
		{"cron(0 0 ? * 15W *)", "", "day-of-week", `cron day-of-week field "15W": W is only allowed in day-of-month`},
		{"cron(0 0 ? * 1? *)", "", "day-of-week", `cron day-of-week field "1?": ? must stand alone`},
		// at
		{"at(2030-01-31 18:30:00)", "", "at", "at expression must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T18:30:00), got at(2030-01-31 18:30:00)"},
		{"at(2030-01-31)", "", "at", "at expression must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T18:30:00), got at(2030-01-31)"},
		{"at(2030-01-31T18:30:00Z)", "", "at", "at expression must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T18:30:00), got at(2030-01-31T18:30:00Z)"},
		{"at(2030-1-5T1:00:00)", "", "at", "at expression must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T18:30:00), got at(2030-1-5T1:00:00)"},
		{"at(2023-02-29T00:00:00)", "", "at", "at expression has no such date and time: 2023-02-29T00:00:00"},
		{"at(2030-04-31T00:00:00)", "", "at", "at expression has no such date and time: 2030-04-31T00:00:00"},
		{"at(2030-01-01T24:00:00)", "", "at", "at expression has no such date and time: 2030-01-01T24:00:00"},
	}
	for _, tc := range testCases {
		t.Run(tc.expr+"@"+tc.tz, func(t *testing.T) {
			_, err := scheduleexpr.Parse(tc.expr, tc.tz)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			var perr *scheduleexpr.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not *scheduleexpr.Error", err)
			}
			if err.Error() != tc.msg {
				t.Errorf("message\n got: %s\nwant: %s", err, tc.msg)
			}
			if perr.Field != tc.field {
				t.Errorf("Field = %q, want %q", perr.Field, tc.field)
			}
			if perr.Expression != tc.expr {
				t.Errorf("Expression = %q, want %q", perr.Expression, tc.expr)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	r := scheduleexpr.MustParse("rate(90 minutes)", "")
	if r.Period() != 90*time.Minute {
		t.Errorf("Period = %v", r.Period())
	}
	a := scheduleexpr.MustParse("at(2030-06-01T12:00:00)", "Europe/Rome")
	if want := time.Date(2030, 6, 1, 10, 0, 0, 0, time.UTC); !a.Time().Equal(want) {
		t.Errorf("Time = %v, want %v", a.Time(), want)
	}
	if scheduleexpr.Cron.String() != "cron" || scheduleexpr.Kind(0).String() != "invalid" {
		t.Error("Kind.String")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on a bad expression")
		}
	}()
	scheduleexpr.MustParse("rate(0 minutes)", "")
}
