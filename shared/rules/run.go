package rules

import "fmt"

// RunEnd is how a run whose every task is done ends: it fails when a file
// could not be copied; files that failed validation are named in its
// reason but do not fail it.
func RunEnd(failed, failedValidation int64) (succeeded bool, reason string) {
	notCopied := Count(failed, "file", "files") + " could not be copied"
	invalid := Count(failedValidation, "file", "files") + " failed validation and " +
		agree(failedValidation, "stays", "stay") + " out of the DLZ"
	switch {
	case failed > 0 && failedValidation > 0:
		return false, notCopied + ", and " + invalid + ": see FailedFiles"
	case failed > 0:
		return false, notCopied + ": see FailedFiles"
	case failedValidation > 0:
		return true, invalid + ": see FailedFiles"
	}
	return true, ""
}

// Count is n and the noun (with what follows it) that agrees with n:
// "1 file", "2 files". Every message that counts something says it so.
func Count[N int | int64](n N, one, many string) string {
	return fmt.Sprintf("%d %s", n, agree(n, one, many))
}

// agree is one or many, whichever agrees with n.
func agree[N int | int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
