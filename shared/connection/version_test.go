package connection

import (
	"strings"
	"testing"
)

func TestVersionRules(t *testing.T) {
	testCases := []struct {
		v                      Version
		known, glacier, skipLZ bool
		atLeast17              bool
	}{
		{V1_6, true, false, false, false},
		{V1_7, true, true, false, true},
		{V1_8, true, true, true, true},
		{"1.9", false, false, false, false},
		{"", false, false, false, false},
	}
	for _, tc := range testCases {
		t.Run(string(tc.v), func(t *testing.T) {
			if got := tc.v.Known(); got != tc.known {
				t.Errorf("Known = %v", got)
			}
			if got := tc.v.SkipsGlacier(); got != tc.glacier {
				t.Errorf("SkipsGlacier = %v", got)
			}
			if got := tc.v.AllowsSkipLZ(); got != tc.skipLZ {
				t.Errorf("AllowsSkipLZ = %v", got)
			}
			if got := tc.v.AtLeast(V1_7); got != tc.atLeast17 {
				t.Errorf("AtLeast(1.7) = %v", got)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	r := Regions{Home: "us-east-1", EnabledOptIns: map[string]bool{"eu-south-1": true}, EnableVariable: "ENABLED_OPT_IN_REGIONS"}
	testCases := []struct {
		region    string
		reachable bool
	}{
		{"us-east-1", true}, {"eu-west-1", true}, {"eu-south-1", true},
		{"af-south-1", false}, {"me-south-1", false}, {"ap-east-1", false},
	}
	for _, tc := range testCases {
		reason := r.Check(tc.region)
		if (reason == "") != tc.reachable {
			t.Errorf("%s: reason %q", tc.region, reason)
		}
		if reason != "" && !(strings.Contains(reason, tc.region) && strings.Contains(reason, "ENABLED_OPT_IN_REGIONS")) {
			t.Errorf("%s: reason must name the region and the setting: %q", tc.region, reason)
		}
	}
	for region, partition := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "": "aws"} {
		if got := Partition(region); got != partition {
			t.Errorf("Partition(%q) = %q", region, got)
		}
	}
}
