package ingest

import (
	"testing"

	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/run"
)

func TestStorageClassRules(t *testing.T) {
	restored := `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
	testCases := []struct {
		name    string
		version connection.Version
		obj     object
		outcome run.Outcome
	}{
		{"1.6 standard", "1.6", object{class: "STANDARD"}, ""},
		{"1.6 infrequent access", "1.6", object{class: "STANDARD_IA"}, run.OutcomeFailed},
		{"1.6 glacier restored", "1.6", object{class: "GLACIER", restore: restored}, run.OutcomeFailed},
		{"1.7 glacier", "1.7", object{class: "GLACIER"}, run.OutcomeSkippedStorageClass},
		{"1.7 glacier restoring", "1.7", object{class: "GLACIER", restore: `ongoing-request="true"`}, run.OutcomeSkippedStorageClass},
		{"1.7 glacier restored", "1.7", object{class: "GLACIER", restore: restored}, ""},
		{"1.8 deep archive", "1.8", object{class: "DEEP_ARCHIVE"}, run.OutcomeSkippedStorageClass},
		{"1.8 glacier instant retrieval", "1.8", object{class: "GLACIER_IR"}, ""},
		{"1.8 intelligent tiering frequent", "1.8", object{class: "INTELLIGENT_TIERING"}, ""},
		{"1.8 intelligent tiering archived", "1.8", object{class: "INTELLIGENT_TIERING", archiveStatus: "ARCHIVE_ACCESS"}, run.OutcomeSkippedStorageClass},
		{"1.8 intelligent tiering deep archived", "1.8", object{class: "INTELLIGENT_TIERING", archiveStatus: "DEEP_ARCHIVE_ACCESS"}, run.OutcomeSkippedStorageClass},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			if got, reason := rules(tc.version, tc.obj); got != tc.outcome || (got != "") != (reason != "") {
				t.Errorf("rules = %q (%q), want %q", got, reason, tc.outcome)
			}
		})
	}
}

// Only classes whose objects may need a restore are read before the copy;
// the listing's word is enough for the others.
func TestArchivalClassesAreHeadedFirst(t *testing.T) {
	for class, want := range map[string]bool{
		"STANDARD": false, "STANDARD_IA": false, "ONEZONE_IA": false, "GLACIER_IR": false, "REDUCED_REDUNDANCY": false,
		"GLACIER": true, "DEEP_ARCHIVE": true, "INTELLIGENT_TIERING": true,
	} {
		if archival(class) != want {
			t.Errorf("archival(%s) = %v", class, !want)
		}
	}
	if storageClass("") != "STANDARD" {
		t.Error("an empty listed class is not STANDARD")
	}
}
