package rules

import (
	"strings"
	"testing"
	"time"
)

// The request sent for each archive follows what S3 accepts (AWS-FACTS
// 3.2): Days for Glacier and Deep Archive, none for Intelligent-Tiering,
// and no Expedited tier for Deep Archive in either.
func TestRestoreFor(t *testing.T) {
	testCases := []struct {
		name     string
		o        Object
		opt      RestoreArchived
		want     RestoreRequest
		wantNote bool
	}{
		{"Glacier keeps tier and days", Object{Class: Glacier}, RestoreArchived{Tier: Bulk, Days: 3}, RestoreRequest{Tier: Bulk, Days: 3}, false},
		{"Glacier Expedited", Object{Class: Glacier}, RestoreArchived{Tier: Expedited, Days: 1}, RestoreRequest{Tier: Expedited, Days: 1}, false},
		{"Deep Archive Standard", Object{Class: DeepArchive}, RestoreArchived{Tier: StandardTier, Days: 7}, RestoreRequest{Tier: StandardTier, Days: 7}, false},
		{"Deep Archive has no Expedited", Object{Class: DeepArchive}, RestoreArchived{Tier: Expedited, Days: 7}, RestoreRequest{Tier: StandardTier, Days: 7}, true},
		{"Intelligent-Tiering sends no Days", Object{Class: IntelligentTiering, ArchiveStatus: "ARCHIVE_ACCESS"}, RestoreArchived{Tier: Expedited, Days: 7}, RestoreRequest{Tier: Expedited}, false},
		{"Intelligent-Tiering Deep Archive Access has no Expedited", Object{Class: IntelligentTiering, ArchiveStatus: "DEEP_ARCHIVE_ACCESS"}, RestoreArchived{Tier: Expedited, Days: 7}, RestoreRequest{Tier: StandardTier}, true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			got := RestoreFor(tc.o, tc.opt)
			if got.Tier != tc.want.Tier || got.Days != tc.want.Days || (got.Note != "") != tc.wantNote {
				t.Errorf("got %+v, want %+v (note: %v)", got, tc.want, tc.wantNote)
			}
			if why := RestoringReason(tc.o, got, true); !strings.Contains(why, string(got.Tier)) || !strings.Contains(why, string(tc.o.Class)) {
				t.Errorf("reason %q names neither tier nor class", why)
			}
		})
	}
}

func TestRestoreWaits(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	w, err := ParseRestoreWaits("")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.ReadyAt(Object{Class: Glacier}, RestoreRequest{Tier: Expedited}, at); got != at.Add(5*time.Minute) {
		t.Errorf("Glacier Expedited ready at %v", got)
	}
	if got := w.ReadyAt(Object{Class: IntelligentTiering, ArchiveStatus: "DEEP_ARCHIVE_ACCESS"}, RestoreRequest{Tier: Bulk}, at); got != at.Add(48*time.Hour) {
		t.Errorf("Intelligent-Tiering Deep Archive Access Bulk ready at %v", got)
	}
	local, err := ParseRestoreWaits("*=5s, DEEP_ARCHIVE/Bulk=10s")
	if err != nil {
		t.Fatal(err)
	}
	if got := local.ReadyAt(Object{Class: DeepArchive}, RestoreRequest{Tier: Bulk}, at); got != at.Add(10*time.Second) {
		t.Errorf("a set wait: %v", got)
	}
	if got := local.ReadyAt(Object{Class: Glacier}, RestoreRequest{Tier: Bulk}, at); got != at.Add(5*time.Second) {
		t.Errorf("*: %v", got)
	}
	for _, bad := range []string{"GLACIER/Bulk", "GLACIER/Bulk=soon", "GLACIER/Bulk=-1s", "DEEP_ARCHIVE/Expedited=1m", "*=0s"} {
		if _, err := ParseRestoreWaits(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRestoreCost(t *testing.T) {
	gb := int64(1 << 30)
	testCases := []struct {
		name string
		o    Object
		tier Tier
		want float64
	}{
		{"Glacier Standard: per GB and per request", Object{Class: Glacier, Size: 10 * gb}, StandardTier, 10*0.01 + 0.05/1000},
		{"Glacier Bulk: requests only", Object{Class: Glacier, Size: 10 * gb}, Bulk, 0.025 / 1000},
		{"Deep Archive Bulk", Object{Class: DeepArchive, Size: 4 * gb}, Bulk, 4*0.0025 + 0.025/1000},
		{"Deep Archive asked Expedited is priced as Standard", Object{Class: DeepArchive, Size: gb}, Expedited, 0.02 + 0.10/1000},
		{"Intelligent-Tiering Bulk is free", Object{Class: IntelligentTiering, ArchiveStatus: "ARCHIVE_ACCESS", Size: gb}, Bulk, 0},
		{"Intelligent-Tiering Expedited at the Expedited rate", Object{Class: IntelligentTiering, ArchiveStatus: "ARCHIVE_ACCESS", Size: gb}, Expedited, 0.03 + 10.0/1000},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := RestoreCost(tc.o, RestoreFor(tc.o, RestoreArchived{Tier: tc.tier, Days: 1}))
			if MicroUSD(got) != MicroUSD(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// A capped run requests restores only when its estimate is within the cap.
func TestWithheld(t *testing.T) {
	limit := 0.10
	opt := RestoreArchived{Tier: StandardTier, Days: 1, MaxEstimatedCostUSD: &limit}
	gb := Object{Class: Glacier, Size: 1 << 30}
	one := ListedRestoreCost(gb, opt) // $0.01 and a request
	if one != MicroUSD(0.01+0.05/1000) {
		t.Fatalf("one GB of Glacier at Standard: %d", one)
	}
	if ListedRestoreCost(Object{Class: IntelligentTiering, Size: 1 << 30}, opt) != 0 || ListedRestoreCost(Object{Class: Standard, Size: 1 << 30}, opt) != 0 {
		t.Error("a class that a listing cannot tell archived is estimated")
	}
	if why := opt.Withheld(9 * one); why != "" {
		t.Errorf("within the cap: %q", why)
	}
	if why := opt.Withheld(11 * one); !strings.Contains(why, "$0.11") || !strings.Contains(why, "$0.10") {
		t.Errorf("over the cap: %q", why)
	}
	if (RestoreArchived{Tier: Bulk, Days: 1}).Withheld(1e12) != "" {
		t.Error("an uncapped option withheld restores")
	}
}
