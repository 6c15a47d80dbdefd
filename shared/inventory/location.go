package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Location is where a source bucket's inventory reports are delivered: the
// inventory configuration's folder in the destination bucket,
// <destination prefix>/<source bucket>/<configuration ID>/, under which S3
// writes one dated folder (YYYY-MM-DDTHH-MMZ/) per report.
type Location struct {
	Bucket string
	Prefix string // ends in "/"
}

// Folder is the key prefix of the report delivered at stamp (YYYY-MM-DDTHH-MMZ).
func (l Location) Folder(stamp string) string { return l.Prefix + stamp + "/" }

// stampFolder matches a report's dated folder, as S3 names it.
var stampFolder = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z/$`)

// Position is how far a run has planned from a report: the report (its
// folder and manifest checksum), the data file and the rows of it done.
type Position struct {
	Folder   string
	Checksum string
	File     int
	Row      int64
}

const positionTag = "inventory/1"

// String encodes p as a run's saved continuation.
func (p Position) String() string {
	return strings.Join([]string{positionTag, strconv.Itoa(p.File), strconv.FormatInt(p.Row, 10), p.Checksum, p.Folder}, " ")
}

// ParsePosition decodes a saved continuation; "" is the start of a run,
// before a report is chosen (ok false).
func ParsePosition(s string) (p Position, ok bool, err error) {
	if s == "" {
		return Position{}, false, nil
	}
	parts := strings.SplitN(s, " ", 5)
	if len(parts) != 5 || parts[0] != positionTag {
		return Position{}, false, fmt.Errorf("inventory position %q is not one", s)
	}
	file, ferr := strconv.Atoi(parts[1])
	row, rerr := strconv.ParseInt(parts[2], 10, 64)
	if ferr != nil || rerr != nil || file < 0 || row < 0 || !md5Hex.MatchString(parts[3]) {
		return Position{}, false, fmt.Errorf("inventory position %q is not one", s)
	}
	return Position{Folder: parts[4], Checksum: parts[3], File: file, Row: row}, true, nil
}
