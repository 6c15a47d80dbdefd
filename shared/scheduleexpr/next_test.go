package scheduleexpr_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// utc builds a UTC instant; rome and ny read a wall clock in those zones.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestNextSequences checks the first fire times after a start instant.
// Expected times are UTC instants; comments give the wall clock where a time
// zone is involved.
func TestNextSequences(t *testing.T) {
	testCases := []struct {
		name     string
		expr, tz string
		from     time.Time
		want     []time.Time // then, if len(want) < limit, Next must say none
		none     bool        // after want, Next reports no more times
	}{
		{
			name: "every 15 minutes across an hour and a day",
			expr: "cron(0/15 * * * ? *)", from: utc(2024, 12, 31, 23, 31),
			want: []time.Time{utc(2024, 12, 31, 23, 45), utc(2025, 1, 1, 0, 0), utc(2025, 1, 1, 0, 15)},
		},
		{
			name: "strictly after: a start on a match is skipped",
			expr: "cron(0 10 * * ? *)", from: utc(2025, 3, 1, 10, 0),
			want: []time.Time{utc(2025, 3, 2, 10, 0)},
		},
		{
			name: "seconds in the start instant",
			expr: "cron(* * * * ? *)", from: time.Date(2025, 3, 1, 10, 0, 59, 999, time.UTC),
			want: []time.Time{utc(2025, 3, 1, 10, 1), utc(2025, 3, 1, 10, 2)},
		},
		{
			name: "weekdays: 1 is Sunday, so MON-FRI is 2-6",
			expr: "cron(0 18 ? * 2-6 *)", from: utc(2025, 1, 3, 19, 0), // Friday evening
			want: []time.Time{utc(2025, 1, 6, 18, 0), utc(2025, 1, 7, 18, 0)},
		},
		{
			name: "SUN is 1",
			expr: "cron(0 6 ? * 1 *)", from: utc(2025, 1, 1, 0, 0),
			want: []time.Time{utc(2025, 1, 5, 6, 0), utc(2025, 1, 12, 6, 0)},
		},
		{
			name: "month end: day 31 only in months that have it",
			expr: "cron(0 0 31 * ? *)", from: utc(2025, 1, 31, 0, 0),
			want: []time.Time{utc(2025, 3, 31, 0, 0), utc(2025, 5, 31, 0, 0), utc(2025, 7, 31, 0, 0), utc(2025, 8, 31, 0, 0)},
		},
		{
			name: "L: last day of every month, leap February included",
			expr: "cron(30 12 L * ? *)", from: utc(2023, 12, 31, 13, 0),
			want: []time.Time{utc(2024, 1, 31, 12, 30), utc(2024, 2, 29, 12, 30), utc(2024, 3, 31, 12, 30), utc(2024, 4, 30, 12, 30)},
		},
		{
			name: "L in February of a common year",
			expr: "cron(0 0 L 2 ? *)", from: utc(2024, 3, 1, 0, 0),
			want: []time.Time{utc(2025, 2, 28, 0, 0), utc(2026, 2, 28, 0, 0), utc(2027, 2, 28, 0, 0), utc(2028, 2, 29, 0, 0)},
		},
		{
			name: "29 February: leap years only, and 2100 is not one",
			expr: "cron(0 0 29 2 ? 2095-2110)", from: utc(2095, 1, 1, 0, 0),
			want: []time.Time{utc(2096, 2, 29, 0, 0), utc(2104, 2, 29, 0, 0), utc(2108, 2, 29, 0, 0)},
			none: true,
		},
		{
			name: "LW: last weekday (30 Nov 2024 is a Saturday, 30 Jun 2024 a Sunday)",
			expr: "cron(0 9 LW * ? *)", from: utc(2024, 6, 1, 0, 0),
			want: []time.Time{utc(2024, 6, 28, 9, 0), utc(2024, 7, 31, 9, 0), utc(2024, 8, 30, 9, 0), utc(2024, 9, 30, 9, 0), utc(2024, 10, 31, 9, 0), utc(2024, 11, 29, 9, 0)},
		},
		{
			name: "1W: a Saturday 1st moves to Monday the 3rd, not back into the previous month",
			expr: "cron(0 0 1W * ? *)", from: utc(2025, 1, 15, 0, 0), // 1 Feb and 1 Mar 2025 are Saturdays; 1 Jun 2025 a Sunday
			want: []time.Time{utc(2025, 2, 3, 0, 0), utc(2025, 3, 3, 0, 0), utc(2025, 4, 1, 0, 0), utc(2025, 5, 1, 0, 0), utc(2025, 6, 2, 0, 0)},
		},
		{
			name: "15W: Saturday 15th -> Friday 14th, Sunday 15th -> Monday 16th",
			expr: "cron(0 0 15W * ? *)", from: utc(2025, 2, 1, 0, 0), // 15 Feb 2025 Sat, 15 Mar Sat, 15 Jun Sun
			want: []time.Time{utc(2025, 2, 14, 0, 0), utc(2025, 3, 14, 0, 0), utc(2025, 4, 15, 0, 0), utc(2025, 5, 15, 0, 0), utc(2025, 6, 16, 0, 0)},
		},
		{
			name: "30W when the 30th is the last day and a Sunday -> Friday 28th",
			expr: "cron(0 0 30W 6 ? 2024)", from: utc(2024, 1, 1, 0, 0),
			want: []time.Time{utc(2024, 6, 28, 0, 0)}, none: true,
		},
		{
			name: "31W matches nothing in 30-day months",
			expr: "cron(0 0 31W 4,5 ? 2025)", from: utc(2025, 1, 1, 0, 0), // 31 May 2025 is a Saturday
			want: []time.Time{utc(2025, 5, 30, 0, 0)}, none: true,
		},
		{
			name: "3#2: second Tuesday",
			expr: "cron(0 8 ? * 3#2 *)", from: utc(2024, 10, 1, 0, 0),
			want: []time.Time{utc(2024, 10, 8, 8, 0), utc(2024, 11, 12, 8, 0), utc(2024, 12, 10, 8, 0)},
		},
		{
			name: "MON#5: only months with five Mondays",
			expr: "cron(0 0 ? * MON#5 2024)", from: utc(2024, 1, 1, 0, 0),
			want: []time.Time{utc(2024, 1, 29, 0, 0), utc(2024, 4, 29, 0, 0), utc(2024, 7, 29, 0, 0), utc(2024, 9, 30, 0, 0), utc(2024, 12, 30, 0, 0)},
			none: true,
		},
		{
			name: "6L: last Friday",
			expr: "cron(15 10 ? * 6L 2002-2025)", from: time.Date(2020, 5, 9, 22, 30, 57, 0, time.UTC),
			want: []time.Time{utc(2020, 5, 29, 10, 15), utc(2020, 6, 26, 10, 15), utc(2020, 7, 31, 10, 15), utc(2020, 8, 28, 10, 15)},
		},
		{
			name: "L in day-of-week is Saturday",
			expr: "cron(0 0 ? * L *)", from: utc(2025, 1, 1, 0, 0),
			want: []time.Time{utc(2025, 1, 4, 0, 0), utc(2025, 1, 11, 0, 0)},
		},
		{
			name: "month steps and year lists",
			expr: "cron(23,24,25 17,18 25 MAR/4 ? 2020,2021,2023,2028)", from: time.Date(2020, 5, 9, 22, 30, 57, 0, time.UTC),
			want: []time.Time{
				utc(2020, 7, 25, 17, 23), utc(2020, 7, 25, 17, 24), utc(2020, 7, 25, 17, 25),
				utc(2020, 7, 25, 18, 23), utc(2020, 7, 25, 18, 24), utc(2020, 7, 25, 18, 25),
				utc(2020, 11, 25, 17, 23),
			},
		},
		{
			name: "year bounds: nothing after 2199",
			expr: "cron(59 23 31 12 ? *)", from: utc(2198, 12, 31, 23, 59),
			want: []time.Time{utc(2199, 12, 31, 23, 59)}, none: true,
		},
		{
			name: "year bounds: a start before 1970 begins in 1970",
			expr: "cron(0 0 1 1 ? 1970,1975)", from: utc(1960, 6, 1, 0, 0),
			want: []time.Time{utc(1970, 1, 1, 0, 0), utc(1975, 1, 1, 0, 0)}, none: true,
		},
		{
			name: "a year range that is over",
			expr: "cron(0 0 * * ? 2020-2021)", from: utc(2022, 1, 1, 0, 0),
			none: true,
		},
		{
			name: "a date that never exists",
			expr: "cron(0 0 30 2 ? *)", from: utc(2025, 1, 1, 0, 0),
			none: true,
		},

		// Time zones and daylight saving time (Europe/Rome: CET = UTC+1,
		// CEST = UTC+2; clocks go 02:00 -> 03:00 on 31 Mar 2024 and 03:00 ->
		// 02:00 on 27 Oct 2024).
		{
			name: "09:00 on the Rome wall clock follows DST",
			expr: "cron(0 9 * * ? *)", tz: "Europe/Rome", from: utc(2024, 3, 29, 12, 0),
			want: []time.Time{utc(2024, 3, 30, 8, 0), utc(2024, 3, 31, 7, 0), utc(2024, 4, 1, 7, 0)},
		},
		{
			name: "spring forward: 02:30 does not exist on 31 March and is skipped",
			expr: "cron(30 2 * * ? *)", tz: "Europe/Rome", from: utc(2024, 3, 30, 2, 0),
			want: []time.Time{utc(2024, 4, 1, 0, 30), utc(2024, 4, 2, 0, 30)},
		},
		{
			name: "spring forward: every 30 minutes jumps from 01:30 CET to 03:00 CEST",
			expr: "cron(0/30 * * * ? *)", tz: "Europe/Rome", from: utc(2024, 3, 31, 0, 15),
			want: []time.Time{utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1, 0), utc(2024, 3, 31, 1, 30)},
		},
		{
			name: "fall back: 02:30 occurs twice on 27 October and fires once, the first time",
			expr: "cron(30 2 * * ? *)", tz: "Europe/Rome", from: utc(2024, 10, 26, 12, 0),
			want: []time.Time{utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)},
		},
		{
			name: "fall back: every 15 minutes does not repeat the 02:xx hour",
			expr: "cron(0/15 * * * ? *)", tz: "Europe/Rome", from: utc(2024, 10, 26, 23, 40),
			want: []time.Time{
				utc(2024, 10, 26, 23, 45), // 01:45 CEST
				utc(2024, 10, 27, 0, 0),   // 02:00 CEST
				utc(2024, 10, 27, 0, 15), utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 0, 45),
				utc(2024, 10, 27, 2, 0), // 03:00 CET: 02:00-02:45 CET are not repeated
			},
		},
		{
			name: "fall back: a start inside the repeated hour does not fire its minutes again",
			expr: "cron(* * * * ? *)", tz: "Europe/Rome", from: utc(2024, 10, 27, 1, 30), // 02:30 CET, the second time
			want: []time.Time{utc(2024, 10, 27, 2, 0)}, // 03:00 CET
		},
		{
			name: "New York: noon on weekdays across the US switch",
			expr: "cron(0 12 ? * MON-FRI *)", tz: "America/New_York", from: utc(2025, 3, 7, 18, 0),
			want: []time.Time{utc(2025, 3, 10, 16, 0), utc(2025, 3, 11, 16, 0)},
		},

		// rate and at
		{
			name: "unanchored rate: after + period",
			expr: "rate(5 minutes)", from: time.Date(2025, 1, 1, 10, 0, 17, 0, time.UTC),
			want: []time.Time{time.Date(2025, 1, 1, 10, 5, 17, 0, time.UTC), time.Date(2025, 1, 1, 10, 10, 17, 0, time.UTC)},
		},
		{
			name: "rate(1 day) is 24 hours even across a DST change",
			expr: "rate(1 day)", tz: "Europe/Rome", from: utc(2024, 3, 30, 12, 0),
			want: []time.Time{utc(2024, 3, 31, 12, 0), utc(2024, 4, 1, 12, 0)},
		},
		{
			name: "at in the future fires once",
			expr: "at(2030-01-31T18:30:00)", from: utc(2025, 1, 1, 0, 0),
			want: []time.Time{time.Date(2030, 1, 31, 18, 30, 0, 0, time.UTC)}, none: true,
		},
		{
			name: "at in a time zone",
			expr: "at(2030-07-01T10:00:05)", tz: "Europe/Rome", from: utc(2025, 1, 1, 0, 0),
			want: []time.Time{time.Date(2030, 7, 1, 8, 0, 5, 0, time.UTC)}, none: true,
		},
		{
			name: "at in the fall-back overlap means the first 02:30",
			expr: "at(2024-10-27T02:30:00)", tz: "Europe/Rome", from: utc(2024, 1, 1, 0, 0),
			want: []time.Time{utc(2024, 10, 27, 0, 30)}, none: true,
		},
		{
			name: "at in the spring-forward gap is shifted forward by the gap (03:30 CEST)",
			expr: "at(2024-03-31T02:30:00)", tz: "Europe/Rome", from: utc(2024, 1, 1, 0, 0),
			want: []time.Time{utc(2024, 3, 31, 1, 30)}, none: true,
		},
		{
			name: "at in the past",
			expr: "at(2020-01-01T00:00:00)", from: utc(2025, 1, 1, 0, 0),
			none: true,
		},
		{
			name: "at exactly now is not after now",
			expr: "at(2025-01-01T00:00:00)", from: utc(2025, 1, 1, 0, 0),
			none: true,
		},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := scheduleexpr.Parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			at := tc.from
			for i, want := range tc.want {
				got, ok := e.Next(at)
				if !ok {
					t.Fatalf("Next #%d after %v: none, want %v", i+1, at, want)
				}
				if !got.Equal(want) {
					t.Fatalf("Next #%d after %v = %v (%v), want %v", i+1, at, got.UTC(), got, want)
				}
				if e.Kind() != scheduleexpr.Rate && got.Location() != e.Location() {
					t.Errorf("Next #%d is in %v, want the expression's zone %v", i+1, got.Location(), e.Location())
				}
				at = got
			}
			if tc.none {
				if got, ok := e.Next(at); ok {
					t.Fatalf("Next after %v = %v, want none", at, got)
				}
			}
		})
	}
}

func TestAnchoredRateSeries(t *testing.T) {
	start := time.Date(2025, 1, 1, 10, 0, 17, 0, time.UTC)
	e := scheduleexpr.MustParse("rate(10 minutes)", "").Anchor(start)
	testCases := []struct {
		name  string
		after time.Time
		want  time.Time
	}{
		{"before the start: the start itself", start.Add(-time.Hour), start},
		{"just before the start", start.Add(-time.Nanosecond), start},
		{"on the start: the next period", start, start.Add(10 * time.Minute)},
		{"mid-period", start.Add(13 * time.Minute), start.Add(20 * time.Minute)},
		{"on a later fire time", start.Add(30 * time.Minute), start.Add(40 * time.Minute)},
		{"long missed: one next time, not a backlog", start.Add(1000*time.Hour + time.Second), start.Add(1000*time.Hour + 10*time.Minute)},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := e.Next(tc.after)
			if !ok || !got.Equal(tc.want) {
				t.Fatalf("Next(%v) = %v, %v; want %v", tc.after, got, ok, tc.want)
			}
		})
	}
	// Anchor leaves cron and at alone.
	c := scheduleexpr.MustParse("cron(0 0 * * ? *)", "")
	plain, _ := c.Next(start)
	anchored, _ := c.Anchor(start.Add(time.Hour)).Next(start)
	if !anchored.Equal(plain) {
		t.Errorf("Anchor changed a cron expression: %v, want %v", anchored, plain)
	}
	// Far beyond what a Duration can hold there is no next time, and no overflow.
	big := scheduleexpr.MustParse("rate(100000 days)", "").Anchor(start)
	if got, ok := big.Next(start.AddDate(1000, 0, 0)); ok && !got.After(start.AddDate(1000, 0, 0)) {
		t.Errorf("Next far out = %v, %v", got, ok)
	}
}

// TestCronAgreesWithRobfig compares random plain expressions (no L, W, #,
// year *) in UTC with robfig/cron, translating EventBridge's 1-7 day-of-week
// to Unix 0-6 and ? to *.
func TestCronAgreesWithRobfig(t *testing.T) {
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		aws, unix := randomPlainCron(rng)
		t.Run(aws, func(t *testing.T) {
			e, err := scheduleexpr.Parse(aws, "")
			if err != nil {
				t.Fatalf("Parse(%s): %v", aws, err)
			}
			spec, err := parser.Parse(unix)
			if err != nil {
				t.Fatalf("robfig Parse(%s): %v", unix, err)
			}
			at := time.Date(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.UTC)
			for n := 0; n < 20; n++ {
				want := spec.Next(at)
				got, ok := e.Next(at)
				if want.IsZero() { // robfig looks 5 years ahead only
					if ok && got.Before(at.AddDate(5, 0, 0)) {
						t.Fatalf("after %v: got %v, robfig found none within 5 years (%s)", at, got, unix)
					}
					return
				}
				if !ok || !got.Equal(want) {
					t.Fatalf("after %v: got %v (%v), robfig %v for %s", at, got, ok, want, unix)
				}
				at = got
			}
		})
	}
}

// randomPlainCron returns the same schedule as an EventBridge expression and
// as a five-field Unix spec.
func randomPlainCron(rng *rand.Rand) (aws, unix string) {
	field := func(min, max int) string {
		switch rng.IntN(6) {
		case 0:
			return "*"
		case 1:
			return fmt.Sprint(min + rng.IntN(max-min+1))
		case 2:
			a := min + rng.IntN(max-min+1)
			b := a + rng.IntN(max-a+1)
			return fmt.Sprintf("%d-%d", a, b)
		case 3:
			return fmt.Sprintf("%d/%d", min+rng.IntN(max-min+1), 1+rng.IntN(max-min+1))
		case 4:
			return fmt.Sprintf("*/%d", 1+rng.IntN(max-min+1))
		default:
			var parts []string
			for n := 1 + rng.IntN(3); n > 0; n-- {
				parts = append(parts, fmt.Sprint(min+rng.IntN(max-min+1)))
			}
			return strings.Join(parts, ",")
		}
	}
	mi, h, mo := field(0, 59), field(0, 23), field(1, 12)
	if rng.IntN(2) == 0 {
		dom := field(1, 31)
		return fmt.Sprintf("cron(%s %s %s %s ? *)", mi, h, dom, mo), fmt.Sprintf("%s %s %s %s *", mi, h, dom, mo)
	}
	// Day of week: no steps in EventBridge; values and ranges shift by one.
	var awsDow, unixDow string
	switch rng.IntN(4) {
	case 0:
		awsDow, unixDow = "*", "*"
	case 1:
		d := 1 + rng.IntN(7)
		awsDow, unixDow = fmt.Sprint(d), fmt.Sprint(d-1)
	case 2:
		a := 1 + rng.IntN(7)
		b := a + rng.IntN(8-a)
		awsDow, unixDow = fmt.Sprintf("%d-%d", a, b), fmt.Sprintf("%d-%d", a-1, b-1)
	default:
		var ap, up []string
		for n := 1 + rng.IntN(3); n > 0; n-- {
			d := 1 + rng.IntN(7)
			ap, up = append(ap, fmt.Sprint(d)), append(up, fmt.Sprint(d-1))
		}
		awsDow, unixDow = strings.Join(ap, ","), strings.Join(up, ",")
	}
	return fmt.Sprintf("cron(%s %s ? %s %s *)", mi, h, mo, awsDow), fmt.Sprintf("%s %s * %s %s", mi, h, mo, unixDow)
}

// TestNextInRomeMatchesWallClock walks a cron expression through a whole
// year in Europe/Rome and checks every fire time against the wall clock: the
// right minute, no time twice, nothing skipped except the spring-forward gap.
func TestNextInRomeMatchesWallClock(t *testing.T) {
	rome := mustZone(t, "Europe/Rome")
	e := scheduleexpr.MustParse("cron(0/30 * * * ? 2024)", "Europe/Rome")
	at := time.Date(2023, 12, 31, 23, 59, 0, 0, rome)
	seen := map[string]bool{}
	count := 0
	for {
		next, ok := e.Next(at)
		if !ok {
			break
		}
		if !next.After(at) {
			t.Fatalf("Next(%v) = %v is not after it", at, next)
		}
		wall := next.In(rome).Format("2006-01-02T15:04")
		if seen[wall] {
			t.Fatalf("wall time %s fired twice", wall)
		}
		seen[wall] = true
		if m := next.In(rome).Minute(); m != 0 && m != 30 {
			t.Fatalf("fired at %s", wall)
		}
		count++
		at = next
	}
	// 366 days x 48, minus the two half hours of the 02:xx gap on 31 March.
	if want := 366*48 - 2; count != want {
		t.Errorf("fired %d times in 2024, want %d", count, want)
	}
}
