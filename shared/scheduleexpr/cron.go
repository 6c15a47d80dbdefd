package scheduleexpr

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// The cron field limits.
const (
	minYear = 1970
	maxYear = 2199
)

// cronFieldNames are the six fields in order, as error messages name them.
var cronFieldNames = [6]string{"minutes", "hours", "day-of-month", "month", "day-of-week", "year"}

var monthNames = map[string]int{
	"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}

// dayNames use EventBridge's numbering: 1 = Sunday ... 7 = Saturday.
var dayNames = map[string]int{
	"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
}

// cronSpec is a parsed cron expression. Plain fields are bit sets; the day
// fields also carry EventBridge's L, W and # forms.
type cronSpec struct {
	minutes uint64    // bit m for minute m (0-59)
	hours   uint64    // bit h for hour h (0-23)
	months  uint64    // bit m for month m (1-12)
	years   [4]uint64 // bit y-minYear for year y (1970-2199)
	dom     domSpec
	dow     dowSpec
}

// domSpec is the day-of-month field; exactly one of dom and dow is "any".
type domSpec struct {
	any         bool   // ?
	days        uint64 // bit d for day d (1-31): values, ranges, steps, *
	last        bool   // L: last day of the month
	lastWeekday bool   // LW: last Monday-Friday of the month
	nearest     int    // nW: weekday nearest to day n (0: not used)
}

// dowSpec is the day-of-week field, days numbered 1 (SUN) to 7 (SAT).
type dowSpec struct {
	any    bool   // ?
	days   uint64 // bit d for day d (1-7): values, ranges, *, and L (= 7)
	lastOf int    // nL: the last day n of the month (0: not used)
	nthDay int    // n#k: day n ...
	nth    int    // ... k-th of the month (0: not used)
}

// field describes one plain cron field for the generic list parser.
type field struct {
	name      string
	min, max  int
	names     map[string]int
	namesHelp string // e.g. "1-12 or JAN-DEC", for messages
	step      bool   // whether / is allowed
}

var (
	minutesField = field{name: "minutes", min: 0, max: 59, namesHelp: "0-59", step: true}
	hoursField   = field{name: "hours", min: 0, max: 23, namesHelp: "0-23", step: true}
	domField     = field{name: "day-of-month", min: 1, max: 31, namesHelp: "1-31", step: true}
	monthField   = field{name: "month", min: 1, max: 12, names: monthNames, namesHelp: "1-12 or JAN-DEC", step: true}
	dowField     = field{name: "day-of-week", min: 1, max: 7, names: dayNames, namesHelp: "1-7 or SUN-SAT", step: false}
	yearField    = field{name: "year", min: minYear, max: maxYear, namesHelp: "1970-2199", step: true}
)

// parseCron reads the inside of cron(...).
func parseCron(expr, body string) (*cronSpec, error) {
	parts := strings.Fields(body)
	if len(parts) != 6 {
		return nil, errorf(expr, "", "cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(parts))
	}
	c := &cronSpec{}
	var err error
	fail := func(i int, format string, args ...any) error {
		return errorf(expr, cronFieldNames[i], "cron %s field %q: %s", cronFieldNames[i], truncate(parts[i]), fmt.Sprintf(format, args...))
	}
	// Fields that take neither ?, L, W nor #: say so before the generic
	// parser calls the letter "not a number".
	for _, i := range []int{0, 1, 3, 5} {
		if msg := noSpecials(parts[i], i); msg != "" {
			return nil, fail(i, "%s", msg)
		}
	}
	if c.minutes, err = minutesField.parse(parts[0]); err != nil {
		return nil, fail(0, "%v", err)
	}
	if c.hours, err = hoursField.parse(parts[1]); err != nil {
		return nil, fail(1, "%v", err)
	}
	if c.dom, err = parseDOM(parts[2]); err != nil {
		return nil, fail(2, "%v", err)
	}
	if c.months, err = monthField.parse(parts[3]); err != nil {
		return nil, fail(3, "%v", err)
	}
	if c.dow, err = parseDOW(parts[4]); err != nil {
		return nil, fail(4, "%v", err)
	}
	years, err := yearField.parseWide(parts[5])
	if err != nil {
		return nil, fail(5, "%v", err)
	}
	c.years = years
	switch {
	case c.dom.any && c.dow.any:
		return nil, errorf(expr, "day-of-month", "day-of-month and day-of-week cannot both be ?: one of them must select the days")
	case !c.dom.any && !c.dow.any:
		return nil, errorf(expr, "day-of-month", "day-of-month and day-of-week cannot both be specified: use ? in one of them")
	}
	return c, nil
}

// noSpecials rejects ?, L, W and # in the fields that do not take them.
func noSpecials(s string, i int) string {
	name := cronFieldNames[i]
	if strings.Contains(s, "?") {
		return fmt.Sprintf("? is only allowed in day-of-month or day-of-week, not in %s", name)
	}
	if strings.Contains(s, "#") {
		return fmt.Sprintf("# is only allowed in day-of-week, not in %s", name)
	}
	if i == 3 { // month names contain L and W (JUL, ...): the parser judges them
		return ""
	}
	for _, c := range []string{"L", "W"} {
		if strings.Contains(strings.ToUpper(s), c) {
			return fmt.Sprintf("%s is only allowed in day-of-month or day-of-week, not in %s", c, name)
		}
	}
	return ""
}

func parseDOM(s string) (domSpec, error) {
	u := strings.ToUpper(s)
	switch {
	case u == "?":
		return domSpec{any: true}, nil
	case u == "L":
		return domSpec{last: true}, nil
	case u == "LW":
		return domSpec{lastWeekday: true}, nil
	case strings.ContainsAny(u, "LW"):
		if n, ok := strings.CutSuffix(u, "W"); ok && allDigits(n) {
			d, err := domField.value(n)
			if err != nil {
				return domSpec{}, err
			}
			return domSpec{nearest: d}, nil
		}
		return domSpec{}, fmt.Errorf("L and W are used alone, as L (last day), LW (last weekday) or a day followed by W (e.g. 15W, the weekday nearest the 15th); they cannot be combined with lists, ranges or steps")
	case strings.Contains(u, "?"):
		return domSpec{}, fmt.Errorf("? must stand alone")
	case strings.Contains(u, "#"):
		return domSpec{}, fmt.Errorf("# is only allowed in day-of-week")
	}
	days, err := domField.parse(s)
	return domSpec{days: days}, err
}

func parseDOW(s string) (dowSpec, error) {
	u := strings.ToUpper(s)
	switch {
	case u == "?":
		return dowSpec{any: true}, nil
	case u == "L": // the last day of the week
		return dowSpec{days: 1 << 7}, nil
	case strings.Contains(u, "?"):
		return dowSpec{}, fmt.Errorf("? must stand alone")
	case strings.Contains(u, "#"):
		day, nth, _ := strings.Cut(u, "#")
		if strings.ContainsAny(day, ",-/*L") || strings.ContainsAny(nth, ",-/*L#") {
			return dowSpec{}, fmt.Errorf("# takes one day and one occurrence, e.g. 3#2 or TUE#2 (the second Tuesday), and cannot be combined with lists, ranges or L")
		}
		d, err := dowField.value(day)
		if err != nil {
			return dowSpec{}, err
		}
		k, err := strconv.Atoi(nth)
		if !allDigits(nth) || err != nil || k < 1 || k > 5 {
			return dowSpec{}, fmt.Errorf("occurrence %q after # is not a number 1-5", truncate(nth))
		}
		return dowSpec{nthDay: d, nth: k}, nil
	case strings.Contains(u, "L"): // no day name contains an L
		day, ok := strings.CutSuffix(u, "L")
		if !ok || strings.ContainsAny(day, ",-/*L") {
			return dowSpec{}, fmt.Errorf("L is used alone (Saturday, the last day of the week) or after one day, e.g. 6L or FRIL (the last Friday of the month); it cannot be combined with lists or ranges")
		}
		d, err := dowField.value(day)
		if err != nil {
			return dowSpec{}, err
		}
		return dowSpec{lastOf: d}, nil
	case strings.Contains(strings.ReplaceAll(u, "WED", ""), "W"):
		return dowSpec{}, fmt.Errorf("W is only allowed in day-of-month")
	case strings.Contains(u, "/"):
		return dowSpec{}, fmt.Errorf("/ is not allowed in day-of-week; list the days instead (e.g. MON,WED,FRI)")
	}
	days, err := dowField.parse(s)
	return dowSpec{days: days}, err
}

// parse reads a comma-separated list of *, values, ranges and steps into a
// bit set (for fields whose maximum is below 64).
func (f field) parse(s string) (uint64, error) {
	var set uint64
	err := f.each(s, func(v int) { set |= 1 << uint(v) })
	return set, err
}

// parseWide is parse for the year field, which needs 230 bits.
func (f field) parseWide(s string) ([4]uint64, error) {
	var set [4]uint64
	err := f.each(s, func(v int) {
		i := v - f.min
		set[i/64] |= 1 << uint(i%64)
	})
	return set, err
}

// each calls add for every value the list s selects.
func (f field) each(s string, add func(int)) error {
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return fmt.Errorf("empty value in list")
		}
		lo, hi, step := f.min, f.max, 1
		rng, stepStr, hasStep := strings.Cut(item, "/")
		if hasStep {
			if !f.step {
				return fmt.Errorf("/ is not allowed in %s", f.name)
			}
			if !allDigits(stepStr) {
				return fmt.Errorf("step %q after / is not a positive integer", truncate(stepStr))
			}
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return fmt.Errorf("step %q after / is not a positive integer", truncate(stepStr))
			}
			step = n
		}
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return err
			}
			if hi, err = f.value(b); err != nil {
				return err
			}
			if lo > hi {
				return fmt.Errorf("range %s-%s runs backwards; ranges do not wrap around, list the values instead", a, b)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return err
			}
			lo = v
			if !hasStep { // a/n runs to the field's maximum; a alone is a.
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			add(v)
		}
	}
	return nil
}

// value reads one number or name of the field.
func (f field) value(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing value (the %s field takes %s)", f.name, f.namesHelp)
	}
	if f.names != nil {
		if v, ok := f.names[strings.ToUpper(s)]; ok {
			return v, nil
		}
	}
	if !allDigits(s) {
		return 0, fmt.Errorf("%q is not a valid %s value (%s)", truncate(s), f.name, f.namesHelp)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s is out of range %d-%d", truncate(s), f.min, f.max)
	}
	return v, nil
}

func (c *cronSpec) hasYear(y int) bool {
	if y < minYear || y > maxYear {
		return false
	}
	i := y - minYear
	return c.years[i/64]&(1<<uint(i%64)) != 0
}

// nextYear returns the first year of the field that is >= y, or 0.
func (c *cronSpec) nextYear(y int) int {
	if y < minYear {
		y = minYear
	}
	for i := y - minYear; i <= maxYear-minYear; {
		w := c.years[i/64] >> uint(i%64)
		if w != 0 {
			return minYear + i + bits.TrailingZeros64(w)
		}
		i = (i/64 + 1) * 64
	}
	return 0
}

// dayMatches reports whether the civil date y-m-d is selected by the day
// fields.
func (c *cronSpec) dayMatches(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	if c.dom.any {
		wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = SUN
		switch {
		case c.dow.lastOf != 0:
			return wd == c.dow.lastOf && d+7 > last
		case c.dow.nth != 0:
			return wd == c.dow.nthDay && (d-1)/7+1 == c.dow.nth
		default:
			return c.dow.days&(1<<uint(wd)) != 0
		}
	}
	switch {
	case c.dom.last:
		return d == last
	case c.dom.lastWeekday:
		return d == nearestWeekday(y, m, last, last)
	case c.dom.nearest != 0:
		return c.dom.nearest <= last && d == nearestWeekday(y, m, c.dom.nearest, last)
	default:
		return c.dom.days&(1<<uint(d)) != 0
	}
}

// nearestWeekday is the Monday-Friday closest to day n of the month, never
// leaving the month (Quartz's W rule, which EventBridge follows).
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday
		}
		return n + 1
	}
	return n
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// next returns the first minute strictly after after whose wall clock in loc
// matches. It walks the wall clock (a UTC time used as a plain civil date
// and time, so that no DST rule bends the walk), skipping whole years,
// months, days and hours that cannot match, then maps each match to an
// instant: a wall time the clock skips is not a fire time, and one the clock
// shows twice fires at its first occurrence only.
func (c *cronSpec) next(after time.Time, loc *time.Location) (time.Time, bool) {
	w := after.In(loc)
	y, mo, d := w.Date()
	t := time.Date(y, mo, d, w.Hour(), w.Minute(), 0, 0, time.UTC).Add(time.Minute)
	for {
		y := t.Year()
		if y > maxYear {
			return time.Time{}, false
		}
		if !c.hasYear(y) {
			ny := c.nextYear(y + 1)
			if ny == 0 {
				return time.Time{}, false
			}
			t = time.Date(ny, time.January, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.months&(1<<uint(t.Month())) == 0 {
			t = time.Date(y, t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.dayMatches(y, t.Month(), t.Day()) {
			t = time.Date(y, t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.hours&(1<<uint(t.Hour())) == 0 {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if c.minutes&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		if inst, ok := firstOccurrence(t, loc); ok && inst.After(after) {
			return inst, true
		}
		t = t.Add(time.Minute)
	}
}
