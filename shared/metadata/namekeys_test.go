package metadata

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// nameSKPrefixes are the prefixes of every sort key built from a file name.
var nameSKPrefixes = []string{filePrefix, skippedPrefix, failedPrefix}

func TestFileNameKey(t *testing.T) {
	shared := strings.Repeat("p", 1000) // two long names with this prefix
	testCases := []struct {
		name      string
		in        string
		unchanged bool
		keeps     int // bytes of the name the key starts with, when changed
	}{
		{"empty", "", true, 0},
		{"1 byte", "a", true, 0},
		{"1,000 bytes", strings.Repeat("a", 1000), true, 0},
		{"1,000 bytes of 2-byte runes", strings.Repeat("é", 500), true, 0},
		{"1,001 bytes", strings.Repeat("a", 1001), false, 950},
		{"1,016 bytes", strings.Repeat("a", 1016), false, 950},
		{"1,024 bytes", strings.Repeat("a", 1024), false, 950},
		{"1,024 bytes, 3-byte rune across the cut", strings.Repeat("a", 949) + "€" + strings.Repeat("b", 72), false, 949},
		{"1,024 bytes, 3-byte rune ending at the cut", strings.Repeat("a", 947) + "€" + strings.Repeat("b", 74), false, 950},
		{"1,024 bytes, 4-byte rune across the cut", strings.Repeat("a", 947) + "😀" + strings.Repeat("b", 73), false, 947},
		{"1,024 bytes of 2-byte runes", strings.Repeat("é", 512), false, 950},
		{"1,023 bytes of 3-byte runes", strings.Repeat("€", 341), false, 948},
		{"1,024 bytes of 4-byte runes", strings.Repeat("😀", 256), false, 948},
		{"1,024 bytes not UTF-8", strings.Repeat("\x80", 1024), false, 950},
		{"long name sharing a prefix", shared + "/one.csv", false, 950},
		{"another long name sharing it", shared + "/two.csv", false, 950},
	}
	seen := map[string]string{}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			k := fileNameKey(tc.in)
			if k != fileNameKey(tc.in) {
				t.Error("not deterministic")
			}
			if tc.unchanged {
				if k != tc.in {
					t.Errorf("key of a %d-byte name changed to %d bytes", len(tc.in), len(k))
				}
			} else {
				if !strings.HasPrefix(k, tc.in[:tc.keeps]+"#") || len(k) != tc.keeps+1+64 {
					t.Errorf("key %q…%q (%d bytes), want the name's first %d bytes, # and a hash", k[:10], k[max(0, len(k)-70):], len(k), tc.keeps)
				}
				if utf8.ValidString(tc.in) && !utf8.ValidString(k) {
					t.Error("key of a UTF-8 name is not UTF-8")
				}
			}
			for _, p := range nameSKPrefixes {
				if n := len(p + k); n > maxSortKey {
					t.Errorf("%s key is %d bytes", p, n)
				}
			}
			if other, ok := seen[k]; ok {
				t.Errorf("same key as %q", other)
			}
			seen[k] = tc.name
		})
	}
}

// Every name that sorts between from and to has a key between the bounds,
// whatever mix of short and long names, multi-byte runes and characters
// that sort around the key's "#" separator, or after everything.
func TestCatalogBoundsHoldEveryNameInRange(t *testing.T) {
	base := strings.Repeat("d", 940)
	var names []string
	for _, tail := range []string{
		"", "!", "#", "$", "/", "a", "z", "é", "€", "😀", "\U0010FFFF", "\U0010FFFF\U0010FFFF",
		"ddddddd", "dddddddddd", "ddddddd€", "dddddd😀", "ddddddd\U0010FFFF", "dddddddddd\U0010FFFF",
	} {
		for _, rest := range []string{"", "x", strings.Repeat("!", 100), strings.Repeat("z", 100), strings.Repeat("\U0010FFFF", 25)} {
			n := base + tail + rest
			if len(n) <= 1024 {
				names = append(names, n)
			}
		}
	}
	names = append(names, "", "a", "z", strings.Repeat("e", 1024), strings.Repeat("c", 1024))
	slices.Sort(names)
	names = slices.Compact(names)
	for i, from := range names {
		for _, to := range names[i:] {
			lo, hi := catalogBounds(from, to)
			if lo > hi || len(lo) > maxSortKey || len(hi) > maxSortKey || !utf8.ValidString(lo) || !utf8.ValidString(hi) {
				t.Fatalf("bounds of [%d-byte name, %d-byte name]: %d and %d bytes, lo > hi %v", len(from), len(to), len(lo), len(hi), lo > hi)
			}
			for _, n := range names {
				if n < from || n > to {
					continue
				}
				if k := filePrefix + fileNameKey(n); k < lo || k > hi {
					t.Fatalf("the key of a %d-byte name (…%q) is outside the bounds of [%d-byte name …%q, %d-byte name …%q]",
						len(n), n[max(0, len(n)-20):], len(from), from[max(0, len(from)-20):], len(to), to[max(0, len(to)-20):])
				}
			}
		}
	}
	if lo, hi := catalogBounds("a.csv", "b.csv"); lo != "FILE#a.csv" || hi != "FILE#b.csv" {
		t.Errorf("short names' bounds changed: %q, %q", lo, hi)
	}
}

func TestAfter(t *testing.T) {
	testCases := []struct{ in, want string }{
		{"FILE#a", "FILE#b"},
		{"FILE#\x7f", "FILE#\u0080"},
		{"FILE#\ud7ff", "FILE#\ue000"},
		{"FILE#\uffff", "FILE#\U00010000"},
		{"FILE#a\U0010FFFF", "FILE#b"},
		{"FILE#a\U0010FFFF\U0010FFFF", "FILE#b"},
		{"FILE#a\xff", "FILE#b"},
		{"FILE#", "FILE$"},
	}
	for _, tc := range testCases {
		if got := after(tc.in); got != tc.want {
			t.Errorf("after(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeNextBounds(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	testCases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"no token", "", true},
		{"a file", enc("FILE#a.csv"), true},
		{"a long file's key", enc("FILE#" + fileNameKey(strings.Repeat("é", 512))), true},
		{"a 1,024-byte key", enc("FILE#" + strings.Repeat("z", maxSortKey-5)), true},
		{"a 1,025-byte key", enc("FILE#" + strings.Repeat("z", maxSortKey-4)), false},
		{"a 3,000-byte position", enc("FILE#" + strings.Repeat("z", 3000)), false},
		{"a 1 MB token", strings.Repeat("A", 1<<20), false},
		{"not base64", "garbage!", false},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("FILE#ab")), false},
		{"not UTF-8", enc("FILE#\xff\xfe"), false},
		{"another list's key", enc("RUN#x"), false},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			start, err := decodeNext("FILES#d", tc.token, filePrefix)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if tc.token != "" && encodeNext(start) != tc.token {
					t.Errorf("round trip gives %q", encodeNext(start))
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.KindInvalid || e.Field != "next" || start != nil {
				t.Errorf("got %v, %v: want invalid next", start, err)
			}
		})
	}
}

// Long names through the store: committed exactly once, found by
// CommittedTasks and CatalogRange, listed in full with working page tokens,
// and in the run's file lists.
func TestLongFileNames(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	started := time.Now()
	r := run.Run{RunId: uuid.NewString(), DatasetId: uuid.NewString(), StartedAt: &started}
	shared := strings.Repeat("s", 1000)
	names := []string{
		"a.csv",
		strings.Repeat("b", 1024),
		strings.Repeat("c", 949) + "€" + strings.Repeat("c", 72),
		shared + "/one.csv",
		shared + "/two.csv",
		strings.Repeat("é", 512),
	}
	slices.Sort(names)
	at := time.Now().UTC().Truncate(time.Second)
	var results []run.FileResult
	for i, n := range names {
		results = append(results, run.FileResult{Name: n, SourceKey: "in/" + n, Bytes: 10, File: &dataset.File{
			Name: n, SourceKey: "in/" + n, Size: 10, SourceETag: fmt.Sprintf("%032x", i), RunId: r.RunId, IngestedAt: at, State: dataset.InDLZ,
		}})
	}
	skipped := run.FileResult{Name: strings.Repeat("g", 1024), SourceKey: "in/g", Outcome: run.OutcomeSkippedStorageClass, StorageClass: "GLACIER", Reason: "archived"}
	failed := run.FileResult{Name: strings.Repeat("f", 1024), SourceKey: "in/f", Outcome: run.OutcomeFailedValidation, Reason: "empty"}
	if n, err := s.CommitFiles(ctx, r, append(slices.Clone(results), skipped, failed)); err != nil || n != len(results)+2 {
		t.Fatalf("commit: %d, %v", n, err)
	}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != 0 {
		t.Fatalf("second commit of the same files: %d, %v (want 0 committed)", n, err)
	}
	wantLongNamesRead(t, s, r, names)
	sk, fl, more, err := s.RunFiles(ctx, r.RunId, 10)
	if err != nil || more || len(sk) != 1 || len(fl) != 1 || sk[0].Name != skipped.Name || fl[0].Name != failed.Name {
		t.Errorf("run files: %d skipped, %d failed, more %v, %v", len(sk), len(fl), more, err)
	}

	rejected := run.Run{RunId: uuid.NewString(), DatasetId: r.DatasetId}
	if err := s.ListRejected(ctx, rejected.RunId, []run.FileOutcome{{Name: strings.Repeat("r", 1024), Outcome: run.OutcomeRejectedStorageClass}}); err != nil {
		t.Fatalf("list rejected: %v", err)
	}
	if err := s.RejectRun(ctx, rejected, ingest.PlanPage{}, "archived"); err != nil && !isMissingRun(err) {
		t.Fatalf("reject: %v", err)
	}
	if _, fl, _, err := s.RunFiles(ctx, rejected.RunId, 10); err != nil || len(fl) != 1 || len(fl[0].Name) != 1024 {
		t.Errorf("rejected run's files: %v, %v", fl, err)
	}
}

// wantLongNamesRead checks that names, committed by r, read back in full
// by every read of the catalog: by name, by range and page by page.
func wantLongNamesRead(t *testing.T, s *Store, r run.Run, names []string) {
	t.Helper()
	ctx := context.Background()
	asked := append(slices.Clone(names), strings.Repeat("b", 1023)+"x", strings.Repeat("s", 1000)+"/three.csv", names[1]) // two never committed, one twice
	done, err := s.CommittedTasks(ctx, r, asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != len(names) {
		t.Errorf("committed %d names, want %d", len(done), len(names))
	}
	for _, n := range names {
		if _, ok := done[n]; !ok {
			t.Errorf("%d-byte name not committed", len(n))
		}
	}

	for i := range names {
		for j := i; j < len(names); j++ {
			got, err := s.CatalogRange(ctx, r.DatasetId, names[i], names[j])
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names[i : j+1] {
				if f, ok := got[n]; !ok || f.SourceETag == "" {
					t.Errorf("range [%d, %d] misses name %d", i, j, slices.Index(names, n))
				}
			}
		}
	}

	var listed []string
	next := ""
	for pages := 0; ; pages++ {
		files, token, err := s.ListFiles(ctx, r.DatasetId, 1, next)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			listed = append(listed, f.Name)
		}
		if token == "" || pages > 20 {
			break
		}
		next = token
	}
	slices.Sort(listed)
	if !slices.Equal(listed, names) {
		t.Errorf("listed %d names, want %d, all in full", len(listed), len(names))
	}
}

// isMissingRun: RejectRun of a run never written (this test writes only
// its files) may be refused on the lease.
func isMissingRun(err error) bool {
	var tc *types.TransactionCanceledException
	return errors.As(err, &tc)
}
