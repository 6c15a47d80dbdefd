package filecheck

import (
	"strings"
	"testing"
)

// Inspects must agree with File: a type it says needs no inspection is
// accepted whatever its content, and the others are read.
func TestInspectsAgreesWithFile(t *testing.T) {
	for _, ft := range []string{"csv", "tsv", "json", "parquet", "xlsx", "pdf", "txt", "others", "CSV", "Others"} {
		err := File(ft, strings.NewReader("\x00\x01 not a valid file of any checked type"), 38)
		if Inspects(ft) == (err == nil) {
			t.Errorf("%s: Inspects %v but File on junk returned %v", ft, Inspects(ft), err)
		}
	}
}
