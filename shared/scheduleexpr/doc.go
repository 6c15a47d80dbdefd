// Package scheduleexpr parses and evaluates Amazon EventBridge Scheduler
// schedule expressions: rate(value unit), cron(six fields) and
// at(yyyy-mm-ddThh:mm:ss), each evaluated in an IANA time zone.
//
// It exists so that the platform can reject a bad expression with a 400 that
// says what is wrong and where, before any call to EventBridge Scheduler, and
// so that the local scheduler fires schedules at the same times AWS would.
// It is pure: no I/O, no clock; callers pass the instants they care about.
//
// # Rules (EventBridge Scheduler's, as documented)
//
// rate(value unit): value is a positive integer; unit is minute, minutes,
// hour, hours, day or days. A singular unit needs value 1 (rate(5 minute) is
// rejected); a plural unit is accepted with any value, including 1, because
// Scheduler accepts rate(1 hours) (unlike the legacy EventBridge rules, which
// required the singular). Days are 24-hour periods, whatever daylight saving
// time does to the wall clock.
//
// cron(minutes hours day-of-month month day-of-week year): six fields
// separated by white space.
//
//	field         values            wildcards
//	minutes       0-59              , - * /
//	hours         0-23              , - * /
//	day-of-month  1-31              , - * ? / L W
//	month         1-12 or JAN-DEC   , - * /
//	day-of-week   1-7 or SUN-SAT    , - * ? L #
//	year          1970-2199         , - * /
//
// Day-of-week numbers are 1 = Sunday to 7 = Saturday (Unix cron uses 0-6).
// Exactly one of day-of-month and day-of-week is ?; the other is the one
// that selects days. In day-of-month, L is the last day of the month, LW the
// last weekday (Monday to Friday) of the month, and nW the weekday nearest to
// day n within the same month (1W on a Saturday is Monday the 3rd; a day n
// that the month does not have matches nothing). In day-of-week, L alone is
// Saturday (the last day of the week), nL the last day n of the month (6L:
// the last Friday) and n#k the k-th day n of the month (3#2: the second
// Tuesday; k is 1-5). L, W and # stand alone in their field: they are not
// combined with lists or ranges (AWS: "3#1,6#3" is invalid). Names are
// case-insensitive. Ranges do not wrap around (FRI-MON is rejected: write
// FRI,SAT,SUN,MON). a/n means a, a+n, ... up to the field's maximum.
//
// at(yyyy-mm-ddThh:mm:ss): one instant, read in the time zone.
//
// # Time zones and daylight saving time
//
// cron and at are evaluated on the wall clock of the time zone. As
// EventBridge Scheduler documents, a cron time that does not exist because
// the clock springs forward is skipped, and a time that occurs twice because
// the clock falls back fires only once (here: at its first occurrence, which
// AWS does not specify). An at() time in
// a spring-forward gap is read as Go's time.Date reads it (shifted forward by
// the gap); one in a fall-back overlap means its first occurrence.
//
// The package embeds the IANA time zone database (time/tzdata), so that
// validation gives the same answer on a Lambda image without
// /usr/share/zoneinfo as on a laptop (it adds about 450 KB to a binary).
//
// The matcher is this package's own: github.com/robfig/cron parses Unix
// cron (days of week 0-6, no ?, L, W, # or year field) and its errors do not
// say which field is wrong. The tests use robfig/cron as the reference for
// expressions both dialects share.
package scheduleexpr
