package scheduleexpr

import (
	"time"
)

// Upcoming returns the first fire time of e after now, or an *Error saying
// why there is none: an at() time that is not after now, or a cron
// expression that no minute after now matches. EventBridge Scheduler
// accepts both and never fires them, so a caller refuses them instead.
//
// The search is bounded: Next walks the wall clock no further than the end
// of the cron year range (2199), skipping whole years, months, days and
// hours that cannot match, so a cron that never fires (cron(0 0 31 2 ? *))
// costs a few thousand steps, not an endless loop.
func (e Expression) Upcoming(now time.Time) (time.Time, error) {
	next, ok := e.Next(now)
	if ok {
		return next, nil
	}
	switch e.kind {
	case At:
		return time.Time{}, errorf(e.src, "at", "%s is in the past (it is %s in %s now): a one-time schedule needs a time to come",
			truncate(e.src), now.In(e.Location()).Format(atLayout), e.Timezone())
	case Cron:
		if y := now.In(e.Location()).Year(); e.cron.nextYear(y) == 0 {
			return time.Time{}, errorf(e.src, "year", "%s never fires: its year field names no year from %d on", truncate(e.src), y)
		}
		return time.Time{}, errorf(e.src, "", "%s never fires: no date from now to the end of %d matches its day, month and year fields together (e.g. day-of-month 31 in February)",
			truncate(e.src), maxYear)
	}
	return time.Time{}, errorf(e.src, "", "%s never fires", truncate(e.src))
}
