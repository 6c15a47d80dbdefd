package access

import (
	"strings"
	"testing"
)

// ValidUser is the one rule of user ids; NormalizeUsers applies it to
// AuthorizedUsers, so that an entry and a caller's id cannot drift apart.
func TestValidUserIsTheRuleOfAuthorizedUsers(t *testing.T) {
	testCases := []struct {
		id    string
		valid bool
	}{
		{"alice", true},
		{"a", true},
		{"Az09_.@+-", true},
		{"0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11", true},
		{strings.Repeat("x", 128), true},
		{"", false},
		{strings.Repeat("x", 129), false},
		{strings.Repeat("x", 3000), false},
		{"alice\x00", false},
		{"alice\n", false},
		{"\nalice", false},
		{"alice ", false},
		{" alice", false},
		{"alice#1", false},
		{"al/ice", false},
		{"alicé", false},
		{"alice\x7f", false},
	}
	for _, tc := range testCases {
		if got := ValidUser(tc.id); got != tc.valid {
			t.Errorf("ValidUser(%.40q) = %v, want %v", tc.id, got, tc.valid)
		}
		_, err := NormalizeUsers([]string{"bob", tc.id})
		if (err == nil) != tc.valid {
			t.Errorf("NormalizeUsers with %.40q: %v, want valid %v", tc.id, err, tc.valid)
		}
	}
}
