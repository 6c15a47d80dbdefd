package connection

import (
	"regexp"
	"strings"
)

// optInRegions are the AWS regions that an account must enable before use.
// The platform reaches buckets there only when its configuration enables the
// region too.
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true,
	"ap-southeast-3": true, "ap-southeast-4": true, "ap-southeast-5": true,
	"ap-southeast-6": true, "ap-southeast-7": true, "ca-west-1": true,
	"eu-central-2": true, "eu-south-1": true, "eu-south-2": true,
	"il-central-1": true, "me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)

// IsOptInRegion says whether region must be enabled before use.
func IsOptInRegion(region string) bool { return optInRegions[region] }

// ValidRegion says whether s looks like an AWS region code.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }

// Partition returns the ARN partition of region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// Regions is the platform's view of which opt-in regions it may use.
type Regions struct {
	Home           string          // the platform's own region
	EnabledOptIns  map[string]bool // opt-in regions enabled in the platform's configuration
	EnableVariable string          // the setting that enables more, named in errors
}

// Check returns a user-facing reason why the platform cannot reach region,
// or "" when it can.
func (r Regions) Check(region string) string {
	if !IsOptInRegion(region) || r.EnabledOptIns[region] || region == r.Home {
		return ""
	}
	return "region " + region + " is an opt-in region that is not enabled on this platform: " +
		"enable it in the AWS account and add it to " + r.EnableVariable + " in the platform's configuration"
}
