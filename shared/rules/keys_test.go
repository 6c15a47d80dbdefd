package rules

import "testing"

// TestUnsafeNames is the rule of what may follow upload_date=<epoch>/ in a
// zone key, and what of it DirectoryPath shares (UnsafePath).
func TestUnsafeNames(t *testing.T) {
	testCases := []struct {
		name       string
		path, zone bool // unsafe as a path (DirectoryPath), as a zone name
	}{
		{"b.csv", false, false},
		{"a/b/c.csv", false, false},
		{"sales/ü ñ/2026.csv", false, false},
		{"a/..b/c.csv", false, false},
		{"a/b..csv", false, false},
		{".hidden.csv", false, false},
		{"upload_date.csv", false, false},
		{"x/my_upload_date=1/z.csv", false, false},
		{"a/../b.csv", true, true},
		{"../b.csv", true, true},
		{"a/..", true, true},
		{"./c.csv", true, true},
		{"a/./c.csv", true, true},
		{"x//y.csv", true, true},
		{"/y.csv", true, true},
		{"a/", true, true},
		{"", true, true},
		{"a\x00.csv", true, true},
		{"a\x01.csv", true, true},
		{"a\x1f.csv", true, true},
		{"a\n.csv", true, true},
		{"a\x7f.csv", true, true},
		{"a\u0085.csv", true, true}, // C1 NEL
		{"a\u009f.csv", true, true},
		{"a\u202a.csv", true, true},
		{"evil\u202Evsc.csv", true, true},
		{"a\u2066.csv", true, true},
		{"a\u2069.csv", true, true},
		{"a\u200e.csv", true, true},
		{"a\u200f.csv", true, true},
		{"a\u061c.csv", true, true},
		{"a\xff.csv", true, true}, // not UTF-8
		{"upload_date=1/z.csv", false, true},
		{"x/upload_date=1/z.csv", false, true},
		{"x/UPLOAD_DATE=1/z.csv", false, true},
		{"upload_date=", false, true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnsafePath(tc.name) != ""; got != tc.path {
				t.Errorf("UnsafePath(%q) = %q, want unsafe %v", tc.name, UnsafePath(tc.name), tc.path)
			}
			if got := UnsafeName(tc.name) != ""; got != tc.zone {
				t.Errorf("UnsafeName(%q) = %q, want unsafe %v", tc.name, UnsafeName(tc.name), tc.zone)
			}
		})
	}
}
