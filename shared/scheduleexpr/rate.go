package scheduleexpr

import (
	"math"
	"strconv"
	"strings"
	"time"
)

var rateUnits = map[string]struct {
	unit     time.Duration
	singular bool
	other    string // the other form, for error messages
}{
	"minute":  {time.Minute, true, "minutes"},
	"minutes": {time.Minute, false, "minute"},
	"hour":    {time.Hour, true, "hours"},
	"hours":   {time.Hour, false, "hour"},
	"day":     {24 * time.Hour, true, "days"},
	"days":    {24 * time.Hour, false, "day"},
}

// parseRate reads the inside of rate(...).
func parseRate(expr, body string) (time.Duration, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return 0, errorf(expr, "", "rate expression needs a value and a unit, e.g. rate(5 minutes), got rate(%s)", truncate(body))
	}
	value, unitName := parts[0], parts[1]
	if !allDigits(value) {
		return 0, errorf(expr, "rate value", "rate value %q is not a positive integer", truncate(value))
	}
	u, ok := rateUnits[unitName]
	if !ok {
		return 0, errorf(expr, "rate unit", "rate unit %q is not one of minute, minutes, hour, hours, day, days", truncate(unitName))
	}
	maxValue := int64(math.MaxInt64 / u.unit)
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n > maxValue {
		return 0, errorf(expr, "rate value", "rate value %s is too large: the maximum is %d %s", truncate(value), maxValue, strings.TrimSuffix(unitName, "s")+"s")
	}
	if n == 0 {
		return 0, errorf(expr, "rate value", "rate value must be a positive integer, got %s", value)
	}
	if u.singular && n != 1 {
		return 0, errorf(expr, "rate unit", "rate unit %q needs value 1; use %q", unitName, u.other)
	}
	return time.Duration(n) * u.unit, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
