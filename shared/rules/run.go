package rules

import "fmt"

// RunEnd is how a run whose every task is done ends: it fails when a file
// could not be copied; files that failed validation are named in its
// reason but do not fail it.
func RunEnd(failed, failedValidation int64) (succeeded bool, reason string) {
	switch {
	case failed > 0:
		return false, fmt.Sprintf("%s could not be copied: see FailedFiles", files(failed))
	case failedValidation > 0:
		return true, fmt.Sprintf("%s failed validation and stay out of the DLZ: see FailedFiles", files(failedValidation))
	}
	return true, ""
}

func files(n int64) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}
