package run

import "testing"

// Each outcome adds to one counter, and only a copied file's size to
// BytesCopied: a file that failed validation was copied into the LZ but
// never reached the DLZ.
func TestCountsOfOutcomes(t *testing.T) {
	results := []FileResult{
		{Name: "a.csv", Bytes: 10},
		{Name: "b.csv", Bytes: 32},
		{Name: "ragged.csv", Outcome: OutcomeFailedValidation, Bytes: 17},
		{Name: "glacier.csv", Outcome: OutcomeSkippedStorageClass, StorageClass: "GLACIER"},
		{Name: "gone.csv", Outcome: OutcomeFailed},
		{Name: "moved.csv", Outcome: OutcomeFailed},
	}
	got := CountsOf(results)
	want := Counts{Copied: 2, BytesCopied: 42, FailedValidation: 1, SkippedStorageClass: 1, Failed: 2}
	if got != want {
		t.Errorf("CountsOf = %+v, want %+v", got, want)
	}
	if done := got.Copied + got.SkippedStorageClass + got.FailedValidation + got.Failed; done != int64(len(results)) {
		t.Errorf("the workers' counters sum to %d, want one per outcome (%d)", done, len(results))
	}
}
