package scheduleexpr

import (
	"fmt"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // see the package comment: validation must not depend on the host's zoneinfo
)

// MaxLength is the longest schedule expression EventBridge Scheduler accepts
// (the ScheduleExpression shape's length constraint).
const MaxLength = 256

// Kind says which of the three expression forms an Expression is.
type Kind int

// The expression forms.
const (
	// Rate is rate(value unit): a fixed period, recurring.
	Rate Kind = iota + 1
	// Cron is cron(minutes hours day-of-month month day-of-week year), recurring.
	Cron
	// At is at(yyyy-mm-ddThh:mm:ss): one time.
	At
)

func (k Kind) String() string {
	switch k {
	case Rate:
		return "rate"
	case Cron:
		return "cron"
	case At:
		return "at"
	}
	return "invalid"
}

// Error is a schedule expression or time zone that Parse rejects. Its
// message says what is wrong and where, in words meant for an API caller
// (it becomes the message of a 400 response).
type Error struct {
	// Expression is the expression as given.
	Expression string
	// Field is where the problem is: "timezone", "rate value", "rate unit",
	// a cron field name ("minutes", "day-of-week", ...), "at" or "" when it
	// concerns the expression as a whole.
	Field string
	// Msg is the complete message.
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func errorf(expr, field, format string, args ...any) *Error {
	return &Error{Expression: expr, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Expression is a parsed, valid schedule expression together with the time
// zone it is evaluated in. The zero value is not valid; get one from Parse.
// An Expression is immutable and safe for concurrent use.
type Expression struct {
	kind Kind
	src  string
	tz   string
	loc  *time.Location

	// rate
	period    time.Duration
	anchor    time.Time
	hasAnchor bool

	// at
	at time.Time

	// cron
	cron *cronSpec
}

// Parse validates expr as an EventBridge Scheduler schedule expression
// evaluated in timezone, an IANA time zone name such as "Europe/Rome"
// ("" means UTC). Every error is an *Error.
func Parse(expr, timezone string) (Expression, error) {
	loc, tz, err := loadZone(expr, timezone)
	if err != nil {
		return Expression{}, err
	}
	if expr == "" {
		return Expression{}, errorf(expr, "", "schedule expression is empty: use rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)")
	}
	if len(expr) > MaxLength {
		return Expression{}, errorf(expr, "", "schedule expression is %d characters long; the maximum is %d", len(expr), MaxLength)
	}
	e := Expression{src: expr, tz: tz, loc: loc}
	kind, body, err := splitKind(expr)
	if err != nil {
		return Expression{}, err
	}
	e.kind = kind
	switch kind {
	case Rate:
		e.period, err = parseRate(expr, body)
	case Cron:
		e.cron, err = parseCron(expr, body)
	case At:
		e.at, err = parseAt(expr, body, loc)
	}
	if err != nil {
		return Expression{}, err
	}
	return e, nil
}

// MustParse is Parse for expressions known to be valid (tests, constants);
// it panics on error.
func MustParse(expr, timezone string) Expression {
	e, err := Parse(expr, timezone)
	if err != nil {
		panic(err)
	}
	return e
}

func loadZone(expr, timezone string) (*time.Location, string, error) {
	if timezone == "" {
		return time.UTC, "UTC", nil
	}
	// "Local" is Go's name for the host's zone, not an IANA name; a path-like
	// name would read an arbitrary file under ZONEINFO.
	if timezone == "Local" || strings.HasPrefix(timezone, "/") || strings.Contains(timezone, "..") || strings.ContainsAny(timezone, "\\\x00") {
		return nil, "", errorf(expr, "timezone", "time zone %q is not an IANA time zone name (e.g. UTC, Europe/Rome)", timezone)
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, "", errorf(expr, "timezone", "time zone %q is not an IANA time zone name (e.g. UTC, Europe/Rome)", timezone)
	}
	return loc, timezone, nil
}

func splitKind(expr string) (Kind, string, error) {
	var kind Kind
	var rest string
	switch {
	case strings.HasPrefix(expr, "rate("):
		kind, rest = Rate, expr[len("rate("):]
	case strings.HasPrefix(expr, "cron("):
		kind, rest = Cron, expr[len("cron("):]
	case strings.HasPrefix(expr, "at("):
		kind, rest = At, expr[len("at("):]
	default:
		return 0, "", errorf(expr, "", "schedule expression %q is not rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)", truncate(expr))
	}
	body, ok := strings.CutSuffix(rest, ")")
	if !ok {
		return 0, "", errorf(expr, "", "%s expression must end with \")\"", kind)
	}
	if strings.ContainsAny(body, "()") {
		return 0, "", errorf(expr, "", "%s expression has unexpected parentheses inside %s(...)", kind, kind)
	}
	return kind, body, nil
}

// truncate keeps error messages short when echoing user input.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// Kind returns the expression's form.
func (e Expression) Kind() Kind { return e.kind }

// String returns the expression as it was given to Parse.
func (e Expression) String() string { return e.src }

// Timezone returns the time zone name the expression is evaluated in ("UTC"
// when Parse was given "").
func (e Expression) Timezone() string { return e.tz }

// Location returns the time zone the expression is evaluated in.
func (e Expression) Location() *time.Location {
	if e.loc == nil {
		return time.UTC
	}
	return e.loc
}

// Recurring reports whether the expression fires more than once (rate and
// cron); at() fires once.
func (e Expression) Recurring() bool { return e.kind == Rate || e.kind == Cron }

// Period returns a rate expression's period (0 for cron and at).
func (e Expression) Period() time.Duration { return e.period }

// Time returns an at() expression's instant (the zero Time for rate and
// cron).
func (e Expression) Time() time.Time { return e.at }

// Anchor returns a copy of a rate expression whose series of fire times is
// start, start+period, start+2*period, ... — on EventBridge Scheduler, start
// is the schedule's StartDate or, without one, the moment the schedule was
// created ("starts invoking the target immediately"). For cron and at it
// returns e unchanged.
func (e Expression) Anchor(start time.Time) Expression {
	if e.kind == Rate {
		e.anchor, e.hasAnchor = start, true
	}
	return e
}

// Next returns the first fire time strictly after after, and false when
// there is none: an at() time not after after, or a cron expression whose
// year field has no later match (the year field ends at 2199).
//
// For rate, an anchored expression (see Anchor) returns the first time of
// its series after after (the anchor itself when after is before it); an
// unanchored one treats after as the previous fire time and returns
// after+period.
//
// Cron and at times are returned in the expression's Location and are whole
// minutes (cron) or seconds (at).
func (e Expression) Next(after time.Time) (time.Time, bool) {
	switch e.kind {
	case Rate:
		if !e.hasAnchor {
			return after.Add(e.period), true
		}
		if after.Before(e.anchor) {
			return e.anchor, true
		}
		// k periods have passed since the anchor; the next time is k+1.
		// (time.Sub saturates ~292 years out; the guards keep the
		// arithmetic from overflowing there.)
		k := after.Sub(e.anchor) / e.period
		if k+1 > math.MaxInt64/e.period {
			return time.Time{}, false
		}
		next := e.anchor.Add((k + 1) * e.period)
		if !next.After(after) {
			return time.Time{}, false
		}
		return next, true
	case Cron:
		return e.cron.next(after, e.Location())
	case At:
		if e.at.After(after) {
			return e.at, true
		}
		return time.Time{}, false
	}
	return time.Time{}, false
}
