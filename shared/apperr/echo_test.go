package apperr

import "testing"

func TestCutUTF8(t *testing.T) {
	testCases := []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"ab€", 3, "ab"},  // € is 3 bytes
		{"ab€", 4, "ab"},  // cut inside it
		{"ab€", 5, "ab€"}, // whole
		{"a😀b", 4, "a"},   // 4-byte rune
		{"a😀b", 5, "a😀"},  // after it
		{"\x80\x80\x80\x80\x80", 4, "\x80\x80\x80\x80"}, // not UTF-8: cut at n
	}
	for _, tc := range testCases {
		if got := cutUTF8(tc.s, tc.n); got != tc.want {
			t.Errorf("cutUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
