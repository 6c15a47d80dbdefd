package rules

import "slices"

// Version selects the ingestion rules a connection's runs apply.
type Version string

const (
	// V1_6 compares name, size and ETag, and fails a run on non-Standard storage classes.
	V1_6 Version = "1.6"
	// V1_7 skips Glacier Flexible Retrieval and Deep Archive files instead of failing.
	V1_7 Version = "1.7"
	// V1_8 adds skip-LZ datasets.
	V1_8 Version = "1.8"
)

// Versions lists the known versions, oldest first.
var Versions = []Version{V1_6, V1_7, V1_8}

// Latest is the version new connections get by default.
const Latest = V1_8

// Known says whether v is a version this platform runs.
func (v Version) Known() bool { return slices.Contains(Versions, v) }

// AtLeast says whether v is o or newer. Unknown versions are older than all.
func (v Version) AtLeast(o Version) bool {
	return slices.Index(Versions, v) >= slices.Index(Versions, o)
}

// SkipsArchived says whether runs skip (rather than fail on) archived files.
func (v Version) SkipsArchived() bool { return v.AtLeast(V1_7) }

// AllowsSkipLZ says whether datasets on this version may skip the landing zone.
func (v Version) AllowsSkipLZ() bool { return v.AtLeast(V1_8) }
