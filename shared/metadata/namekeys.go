package metadata

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode"
	"unicode/utf8"
)

// File names in sort keys.
//
// A file's name is its S3 key relative to the dataset's directory, so it
// may be as long as an S3 key: 1,024 bytes. DynamoDB refuses a sort key
// over 1,024 bytes, and the sort keys built from a name carry a prefix
// (FILE#, SKIPPED#, FAILED#, at most 8 bytes). Every such key is
// therefore prefix + fileNameKey(name): the name itself when it is short
// enough, else its first bytes and a hash of all of it. The full name
// always stays in the item's Name attribute, which is what readers use;
// only CommittedTasks, which reads entries by key (gate-only entries hold
// no Name), maps keys back to the names it was asked about.
const (
	// maxSortKey is DynamoDB's limit on a sort key, in bytes.
	maxSortKey = 1024
	// maxNameInKey: a name up to this many bytes is its own key part.
	maxNameInKey = 1000
	// nameKeyCut: a longer name keeps at most this many bytes of its
	// start, cut at a character boundary, so at least nameKeyCut-3.
	nameKeyCut = 950
	// minNameKeyCut is the least a long name keeps of its start.
	minNameKeyCut = nameKeyCut - (utf8.UTFMax - 1)
)

// fileNameKey is the part of a sort key that stands for the file name.
// Names up to maxNameInKey bytes are unchanged, so keys sort by name as
// before; a longer name becomes its first (up to) nameKeyCut bytes, "#" and
// the hex SHA-256 of the whole name: deterministic, unique in practice,
// and at most 950+1+64 = 1,015 bytes. A long name's key part (at least
// 1,012 bytes) is never the key part of a short name (at most 1,000).
func fileNameKey(name string) string {
	if len(name) <= maxNameInKey {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return truncateUTF8(name, nameKeyCut) + "#" + hex.EncodeToString(sum[:])
}

// truncateUTF8 returns the longest prefix of s of at most n bytes that ends
// at a character boundary; if s is not UTF-8 there, it cuts at n bytes.
// The prefix is at least n-3 bytes long when s is longer than n.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for k := n; k > 0 && k > n-utf8.UTFMax; k-- {
		if utf8.RuneStart(s[k]) {
			return s[:k]
		}
	}
	return s[:n]
}

// catalogBounds returns sort keys lo and hi such that the key of every
// catalog entry whose name is in [from, to] lies in [lo, hi].
//
// Short names are their own keys, but a long name's key is only its first
// 947 to 950 bytes followed by "#" and a hash, which does not sort as the
// name does. What does hold is that a key starts with at least the name's
// first minNameKeyCut bytes (all of it when short). So, with p the first
// (up to) minNameKeyCut bytes of from and q those of to:
//   - every name n >= from either starts with p, and so does its key, or
//     is greater than p at a byte within p, and so is its key: key >= p;
//   - every name n <= to either is smaller than q at a byte within q (or
//     is a prefix of q), and so is its key, or starts with q, and so does
//     its key, which is then below the least string after everything that
//     starts with q. When to is itself that short, no long name starts
//     with it without being greater, and to is the bound as it was.
//
// The range may hold entries of names just outside [from, to] that share
// those 944+ first bytes; the planner looks names up, so they do no harm.
// Both bounds are at most 5+947+1 bytes and valid UTF-8 when the names
// are, and lo <= hi whenever from <= to (BETWEEN refuses lo > hi).
func catalogBounds(from, to string) (lo, hi string) {
	p, q := truncateUTF8(from, minNameKeyCut), truncateUTF8(to, minNameKeyCut)
	lo, hi = filePrefix+p, filePrefix+q
	if q != to {
		hi = after(hi)
	}
	return lo, hi
}

// after returns a short string, valid UTF-8, that sorts after every
// string starting with s (DynamoDB compares strings by their UTF-8 bytes,
// which is the order of code points): s with its last character replaced
// by the next one, dropping trailing characters that have no next one (or
// that are not UTF-8).
func after(s string) string {
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		if r == utf8.RuneError && size == 1 {
			continue // not UTF-8: a successor of what comes before it will do
		}
		next := r + 1
		if next >= 0xD800 && next <= 0xDFFF { // surrogates are not characters
			next = 0xE000
		}
		if next <= unicode.MaxRune {
			return s + string(next)
		}
	}
	return s
}
