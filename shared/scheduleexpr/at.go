package scheduleexpr

import (
	"time"
)

// atLayout is the only form at() takes: no zone offset, no fraction; the
// time zone comes from the schedule's ScheduleExpressionTimezone.
const atLayout = "2006-01-02T15:04:05"

// parseAt reads the inside of at(...) as a wall-clock time in loc.
func parseAt(expr, body string, loc *time.Location) (time.Time, error) {
	if !atShape(body) {
		return time.Time{}, errorf(expr, "at", "at expression must be at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T18:30:00), got at(%s)", truncate(body))
	}
	// ParseInLocation checks the calendar (no 2023-02-29, no 25:00:00).
	t, err := time.ParseInLocation(atLayout, body, time.UTC)
	if err != nil {
		return time.Time{}, errorf(expr, "at", "at expression has no such date and time: %s", body)
	}
	return wallToInstant(t, loc), nil
}

// atShape checks yyyy-mm-ddThh:mm:ss character by character, so that the
// error for 2030-1-5T1:00:00 is about the shape, not the calendar.
func atShape(s string) bool {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(s) != len(shape) {
		return false
	}
	for i := 0; i < len(shape); i++ {
		switch shape[i] {
		case 'd':
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		default:
			if s[i] != shape[i] {
				return false
			}
		}
	}
	return true
}

// wallToInstant reads the wall-clock fields of civil (a UTC time used as a
// plain date and time) in loc. In a fall-back overlap it returns the first
// occurrence; in a spring-forward gap it returns what time.Date returns.
func wallToInstant(civil time.Time, loc *time.Location) time.Time {
	if t, ok := firstOccurrence(civil, loc); ok {
		return t
	}
	y, mo, d := civil.Date()
	return time.Date(y, mo, d, civil.Hour(), civil.Minute(), civil.Second(), 0, loc)
}

// firstOccurrence returns the earliest instant whose wall clock in loc is
// civil's date and time, and false when the wall clock skips it (DST gap).
//
// time.Date does not say which instant it picks in an overlap (in practice
// the later one for Europe/Rome), so the candidates are built from the zone
// offsets in force a day before and a day after, which covers every real
// transition.
func firstOccurrence(civil time.Time, loc *time.Location) (time.Time, bool) {
	if loc == time.UTC {
		return civil, true
	}
	wall := civil.Unix()
	var best time.Time
	found := false
	y, mo, d := civil.Date()
	guess := time.Date(y, mo, d, civil.Hour(), civil.Minute(), civil.Second(), 0, loc)
	var offsets [3]int
	_, offsets[0] = guess.Zone()
	_, offsets[1] = time.Unix(wall-86400, 0).In(loc).Zone()
	_, offsets[2] = time.Unix(wall+86400, 0).In(loc).Zone()
	for _, off := range offsets {
		t := time.Unix(wall-int64(off), 0).In(loc)
		ty, tmo, td := t.Date()
		if ty != y || tmo != mo || td != d || t.Hour() != civil.Hour() || t.Minute() != civil.Minute() || t.Second() != civil.Second() {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}
