package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestIngestionRules is the SPEC's "Ingestion rules by connection version",
// a row per sentence: each row's decision is computed by the rules.
func TestIngestionRules(t *testing.T) {
	const run = "run-2"
	std := Object{Name: "in/a.csv", Class: Standard, Size: 10, ETag: "e1"}
	same := &Catalogued{Size: 10, ETag: "e1", RunId: "run-1"}
	resized := &Catalogued{Size: 11, ETag: "e1", RunId: "run-1"}
	retagged := &Catalogued{Size: 10, ETag: "e0", RunId: "run-1"}
	thisRun := &Catalogued{Size: 10, ETag: "e1", RunId: run}
	restored := `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
	plan := func(v Version, pass Pass, o Object, latest *Catalogued) Plan {
		p, _ := v.Listed(pass, o, latest, run)
		return p
	}
	atCopy := func(v Version, o Object) Action {
		a, _ := v.AtCopy(o, nil)
		return a
	}
	bulk := &RestoreArchived{Tier: Bulk, Days: 2}
	restoring := func(v Version, o Object) Action {
		a, _ := v.AtCopy(o, bulk)
		return a
	}
	in := func(c StorageClass) Object { o := std; o.Class = c; return o }
	unsafe := func(o Object) Object { o.Name = "a/../b.csv"; return o }

	testCases := []struct {
		rule      string
		got, want any
	}{
		// 1.6: incremental by name, size and ETag.
		{"1.6 plans a check pass first", V1_6.FirstPass(nil), CheckPass},
		{"1.6 skips a file of the same name, size and ETag", plan(V1_6, PlanPass, std, same), SkipUnchanged},
		{"1.6 ingests a file of another size", plan(V1_6, PlanPass, std, resized), Send},
		{"1.6 ingests a file of another ETag", plan(V1_6, PlanPass, std, retagged), Send},
		{"1.6 ingests a new name (a renamed copy too)", plan(V1_6, PlanPass, std, nil), Send},
		{"a file this run catalogued is sent again (its planner died mid-page)", plan(V1_6, PlanPass, std, thisRun), Send},
		// 1.6: only Standard; any other class fails the run before copying.
		{"1.6 check pass passes a Standard file", plan(V1_6, CheckPass, std, nil), Send},
		{"1.6 check pass fails the run on Standard-IA", plan(V1_6, CheckPass, in("STANDARD_IA"), nil), FailRun},
		{"1.6 check pass fails the run on Glacier", plan(V1_6, CheckPass, in(Glacier), nil), FailRun},
		{"1.6 check pass fails the run on Glacier Instant Retrieval", plan(V1_6, CheckPass, in("GLACIER_IR"), nil), FailRun},
		{"1.6 copies a Standard file", atCopy(V1_6, std), Copy},
		{"1.6 fails a file that left Standard after the check", atCopy(V1_6, in("STANDARD_IA")), Fail},
		{"1.6 fails even a restored Glacier file", atCopy(V1_6, Object{Class: Glacier, Restore: restored}), Fail},
		// 1.7: archived files are skipped and listed; everything else is ingested.
		{"1.7 plans without a check pass", V1_7.FirstPass(nil), PlanPass},
		{"1.7 still skips unchanged files", plan(V1_7, PlanPass, in(Glacier), &Catalogued{Size: 10, ETag: "e1"}), SkipUnchanged},
		{"1.7 skips Glacier Flexible Retrieval", atCopy(V1_7, in(Glacier)), Skip},
		{"1.7 skips Glacier being restored", atCopy(V1_7, Object{Class: Glacier, Restore: `ongoing-request="true"`}), Skip},
		{"1.7 copies restored Glacier", atCopy(V1_7, Object{Class: Glacier, Restore: restored}), Copy},
		{"1.7 skips Deep Archive", atCopy(V1_7, in(DeepArchive)), Skip},
		{"1.7 copies Glacier Instant Retrieval", atCopy(V1_7, in("GLACIER_IR")), Copy},
		{"1.7 copies Standard-IA", atCopy(V1_7, in("STANDARD_IA")), Copy},
		{"1.7 copies Intelligent-Tiering's frequent tier", atCopy(V1_7, in(IntelligentTiering)), Copy},
		{"1.7 skips Intelligent-Tiering's archive tier", atCopy(V1_7, Object{Class: IntelligentTiering, ArchiveStatus: "ARCHIVE_ACCESS"}), Skip},
		{"1.7 skips Intelligent-Tiering's deep archive tier", atCopy(V1_7, Object{Class: IntelligentTiering, ArchiveStatus: "DEEP_ARCHIVE_ACCESS"}), Skip},
		{"1.7 does not allow skip-LZ", V1_7.AllowsSkipLZ(), false},
		// 1.7 and later, when the dataset opts in: archived files are restored, then ingested.
		{"1.6 does not allow restores", V1_6.AllowsRestore(), false},
		{"1.6 fails Glacier even when its dataset would restore", restoring(V1_6, in(Glacier)), Fail},
		{"1.7 allows restores", V1_7.AllowsRestore(), true},
		{"1.7 plans a capped restore's estimate first", V1_7.FirstPass(&RestoreArchived{Tier: Bulk, Days: 1, MaxEstimatedCostUSD: new(float64)}), EstimatePass},
		{"1.7 plans an uncapped restore at once", V1_7.FirstPass(bulk), PlanPass},
		{"1.6 checks classes whatever the restore option", V1_6.FirstPass(&RestoreArchived{Tier: Bulk, Days: 1, MaxEstimatedCostUSD: new(float64)}), CheckPass},
		{"1.7 restores Glacier when the dataset opts in", restoring(V1_7, in(Glacier)), Restore},
		{"1.7 restores Deep Archive when the dataset opts in", restoring(V1_7, in(DeepArchive)), Restore},
		{"1.7 restores Intelligent-Tiering's archive tier", restoring(V1_7, Object{Class: IntelligentTiering, ArchiveStatus: "ARCHIVE_ACCESS"}), Restore},
		{"a restore in progress is not requested again", restoring(V1_7, Object{Class: Glacier, Restore: `ongoing-request="true"`}), Restoring},
		{"an Intelligent-Tiering restore in progress is not requested again", restoring(V1_8, Object{Class: IntelligentTiering, ArchiveStatus: "DEEP_ARCHIVE_ACCESS", Restore: `ongoing-request="true"`}), Restoring},
		{"a restored Glacier file is copied", restoring(V1_8, Object{Class: Glacier, Restore: restored}), Copy},
		{"a Standard file is copied whatever the option", restoring(V1_8, std), Copy},
		{"Glacier Instant Retrieval needs no restore", restoring(V1_8, in("GLACIER_IR")), Copy},
		{"1.7 lands a skip-LZ dataset's file in the LZ all the same", V1_7.Zone(true, true), LZ},
		// 1.8: adds skip-LZ.
		{"1.8 allows skip-LZ", V1_8.AllowsSkipLZ(), true},
		{"1.8 lands a skip-LZ dataset's file in the DLZ", V1_8.Zone(true, true), DLZ},
		{"1.8 lands a validated file in the LZ", V1_8.Zone(false, true), LZ},
		{"1.8 skips Deep Archive like 1.7", atCopy(V1_8, in(DeepArchive)), Skip},
		// Every version: a name unsafe in a zone key is skipped and listed,
		// before the class is looked at (an archived one does not fail 1.6).
		{"1.6 check pass skips an unsafe name", plan(V1_6, CheckPass, unsafe(std), nil), SkipUnsafeKey},
		{"1.6 check pass skips an unsafe archived name, not failing the run", plan(V1_6, CheckPass, unsafe(in(Glacier)), nil), SkipUnsafeKey},
		{"1.6 plan pass skips an unsafe name", plan(V1_6, PlanPass, unsafe(std), nil), SkipUnsafeKey},
		{"1.7 skips an unsafe name even if catalogued unchanged", plan(V1_7, PlanPass, unsafe(std), same), SkipUnsafeKey},
		{"1.8 skips an unsafe name", plan(V1_8, PlanPass, unsafe(std), nil), SkipUnsafeKey},
		{"a file with nothing to validate lands in the DLZ", V1_6.Zone(false, false), DLZ},
		{"the latest version is 1.8", Latest, V1_8},
		{"an unknown version is not run", Version("1.9").Known(), false},
		{"an unknown version is older than all", Version("1.9").AtLeast(V1_6), false},
	}
	for _, tc := range testCases {
		t.Run(tc.rule, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

// Every decision that is not a plain copy says why, naming the class.
func TestReasons(t *testing.T) {
	if _, why := V1_6.Listed(CheckPass, Object{Name: "a.csv", Class: Glacier}, nil, "r"); why == "" {
		t.Error("a check-pass failure has no reason")
	}
	if _, why := V1_7.Listed(PlanPass, Object{Name: "x//y.csv"}, nil, "r"); !strings.Contains(why, "empty path segment") {
		t.Errorf("an unsafe name's reason: %q", why)
	}
	for v, class := range map[Version]StorageClass{V1_6: "STANDARD_IA", V1_7: Glacier, V1_8: DeepArchive} {
		if a, why := v.AtCopy(Object{Class: class}, nil); a == Copy || !strings.Contains(why, string(class)) {
			t.Errorf("%s on %s: %v, %q: want a reason naming the class", v, class, a, why)
		}
	}
	if why := RejectedRun(250, 100); !strings.Contains(why, "250") || !strings.Contains(why, "100") || !strings.Contains(why, "1.7") {
		t.Errorf("RejectedRun: %q", why)
	}
}

// Messages that count agree with the count: "1 file is", "2 files are".
func TestRejectedRunGrammar(t *testing.T) {
	testCases := []struct {
		total, listed int64
		want          string
	}{
		{1, 1, "1 matched file is in another class (FailedFiles lists it); upgrade the connection to 1.7 to skip it"},
		{3, 3, "3 matched files are in other classes (FailedFiles lists them); upgrade the connection to 1.7 to skip them"},
		{250, 100, "250 matched files are in other classes (FailedFiles lists the first 100); upgrade the connection to 1.7 to skip them"},
	}
	for _, tc := range testCases {
		if got := RejectedRun(tc.total, tc.listed); !strings.HasSuffix(got, tc.want) {
			t.Errorf("RejectedRun(%d, %d) = %q, want it to end %q", tc.total, tc.listed, got, tc.want)
		}
	}
	for n, want := range map[int64]string{0: "0 deliveries", 1: "1 delivery", 2: "2 deliveries"} {
		if got := Count(n, "delivery", "deliveries"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// A run fails only when a file could not be copied.
func TestRunEnd(t *testing.T) {
	testCases := []struct {
		failed, invalid int64
		succeeded       bool
		reason          string
	}{
		{0, 0, true, ""},
		{0, 1, true, "1 file failed validation and stays out of the DLZ: see FailedFiles"},
		{0, 3, true, "3 files failed validation and stay out of the DLZ: see FailedFiles"},
		{1, 3, false, "1 file could not be copied, and 3 files failed validation and stay out of the DLZ: see FailedFiles"},
		{2, 1, false, "2 files could not be copied, and 1 file failed validation and stays out of the DLZ: see FailedFiles"},
		{1, 0, false, "1 file could not be copied: see FailedFiles"},
		{2, 0, false, "2 files could not be copied: see FailedFiles"},
	}
	for _, tc := range testCases {
		t.Run(fmt.Sprint(tc.failed, tc.invalid), func(t *testing.T) {
			ok, reason := RunEnd(tc.failed, tc.invalid)
			if ok != tc.succeeded || reason != tc.reason {
				t.Errorf("RunEnd = %v, %q; want %v, %q", ok, reason, tc.succeeded, tc.reason)
			}
		})
	}
}

// Only classes whose objects may need a restore are read before the copy;
// the listing's word is enough for the others.
func TestMayNeedRestore(t *testing.T) {
	for class, want := range map[string]bool{
		"STANDARD": false, "STANDARD_IA": false, "ONEZONE_IA": false, "GLACIER_IR": false, "REDUCED_REDUNDANCY": false,
		"GLACIER": true, "DEEP_ARCHIVE": true, "INTELLIGENT_TIERING": true,
	} {
		if Class(class).MayNeedRestore() != want {
			t.Errorf("%s.MayNeedRestore() = %v", class, !want)
		}
	}
	if Class("") != Standard {
		t.Error("an empty listed class is not STANDARD")
	}
}

func TestDeferred(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 10, 600_000_000, time.UTC) // the run started at 09:00:10.6
	testCases := []struct {
		name         string
		lastModified time.Time
		want         bool
	}{
		{"a second before", start.Add(-time.Second).Truncate(time.Second), false},
		{"just before the start's second", time.Date(2026, 12, 7, 9, 0, 9, 999_000_000, time.UTC), false},
		{"in the start's second, before the start", time.Date(2026, 12, 7, 9, 0, 10, 0, time.UTC), true},
		{"in the start's second, after the start", time.Date(2026, 12, 7, 9, 0, 10, 900_000_000, time.UTC), true},
		{"later", start.Add(time.Hour), true},
		{"unknown", time.Time{}, false},
	}
	for _, tc := range testCases {
		if got := Deferred(tc.lastModified, start); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if Deferred(start, time.Time{}) {
		t.Error("a run without a start defers nothing")
	}
}
