package run

import "log/slog"

// Counts are a run's file counters. Every matched file ends in exactly one
// of them: the planner's (SkippedUnchanged, SkippedUnsafeKey, Deferred, or
// a task) and, for a task, the workers' (Copied, SkippedStorageClass,
// FailedValidation, Failed, Vanished, Deferred), so once a run has ended
//
//	Matched = SkippedUnchanged + SkippedUnsafeKey + Deferred + Copied +
//	          SkippedStorageClass + FailedValidation + Failed + Vanished +
//	          Restoring
//	TasksPlanned = TasksDone
//
// except for a 1.6 run that its check pass failed, which plans no task, and
// a file first written between a 1.6 run's two listings (its check pass
// counts Listed and Matched, its plan pass the Deferred), which counts as
// Deferred alone.
type Counts struct {
	// Listed: the objects the source listing returned under the
	// DirectoryPath, whatever their type (folder markers too).
	Listed int64
	// Matched: of those, the files of the dataset's FileType.
	Matched int64
	// Copied: files this run put in the DLZ (validated first when their
	// FileType is, unless the dataset skips the LZ).
	Copied int64
	// SkippedUnchanged: files not sent, as the catalog's latest version
	// of their name has the same size and ETag.
	SkippedUnchanged int64
	// SkippedStorageClass: files archived and not restored when their
	// worker read them (1.7+); listed in SkippedFiles with their class.
	SkippedStorageClass int64
	// SkippedUnsafeKey: files not sent, as their names are unsafe in a
	// zone key; listed in SkippedFiles.
	SkippedUnsafeKey int64
	// FailedValidation: files copied into the LZ that failed validation;
	// they stay there, out of the DLZ, listed in FailedFiles. They do not
	// fail the run.
	FailedValidation int64
	// Failed: files that could not be copied; listed in FailedFiles, and
	// they fail the run.
	Failed int64
	// BytesCopied: the total size of the Copied files (not of those that
	// failed validation, which never reach the DLZ).
	BytesCopied int64
	// Deferred: files written after the run started (rules.Deferred),
	// left for the next run: not sent by the planner, or found overwritten
	// since the listing by their worker. Listed in SkippedFiles when a
	// worker deferred them. They do not fail the run.
	Deferred int64
	// Vanished: files deleted from the source between the listing and
	// their copy; listed in SkippedFiles. They do not fail the run.
	Vanished int64
	// Reconciled: of the Copied files, those a reconciling run of an
	// event-driven dataset found by listing, which its events had missed.
	Reconciled int64
	// Restoring: archived files of a dataset that restores them
	// (RestoreArchived) whose restore is pending, requested by this run
	// or earlier; listed in SkippedFiles with class and tier, and ingested
	// once readable. They do not fail the run.
	Restoring int64
	// RestoreRequested: of the Restoring files, those whose restore this
	// run requested.
	RestoreRequested int64
	// Restored: of the Copied files, those read from a restored copy.
	Restored int64
	// RestoreCostMicroUSD: the estimated cost of the restores this run
	// requested, in millionths of a US dollar (rules.RestorePrices).
	RestoreCostMicroUSD int64
}

// WorkerField is one counter that workers add to, by its name in the run
// record.
type WorkerField struct {
	Name  string
	Value *int64
}

// WorkerFields are c's counters that workers add to: the one list that the
// store's counter shards, their sums and the run's end follow.
func (c *Counts) WorkerFields() []WorkerField {
	return []WorkerField{
		{"Copied", &c.Copied}, {"SkippedStorageClass", &c.SkippedStorageClass}, {"FailedValidation", &c.FailedValidation},
		{"Failed", &c.Failed}, {"BytesCopied", &c.BytesCopied}, {"Deferred", &c.Deferred}, {"Vanished", &c.Vanished},
		{"Restoring", &c.Restoring}, {"RestoreRequested", &c.RestoreRequested}, {"Restored", &c.Restored},
		{"RestoreCostMicroUSD", &c.RestoreCostMicroUSD}, {"Reconciled", &c.Reconciled},
	}
}

// Add counts one worker's outcome: this is the one place that says which
// outcome adds to which counter, for the run's record and its metrics.
func (c *Counts) Add(res FileResult) {
	switch res.Outcome {
	case "":
		c.Copied++
		c.BytesCopied += res.Bytes
		if res.Reconciled {
			c.Reconciled++
		}
		if res.Restored {
			c.Restored++
		}
	case OutcomeRestoring:
		c.Restoring++
		if res.Restore != nil && res.Restore.Requested {
			c.RestoreRequested++
			c.RestoreCostMicroUSD += res.Restore.CostMicroUSD
		}
	case OutcomeSkippedStorageClass:
		c.SkippedStorageClass++
	case OutcomeFailedValidation:
		c.FailedValidation++
	case OutcomeDeferred:
		c.Deferred++
	case OutcomeVanished:
		c.Vanished++
	default:
		c.Failed++
	}
}

// CountsOf counts the outcomes of results.
func CountsOf(results []FileResult) Counts {
	var c Counts
	for _, res := range results {
		c.Add(res)
	}
	return c
}

// LogValue logs the counters under the run record's names.
func (c Counts) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("Listed", c.Listed), slog.Int64("Matched", c.Matched),
		slog.Int64("Copied", c.Copied), slog.Int64("BytesCopied", c.BytesCopied),
		slog.Int64("SkippedUnchanged", c.SkippedUnchanged), slog.Int64("SkippedStorageClass", c.SkippedStorageClass),
		slog.Int64("SkippedUnsafeKey", c.SkippedUnsafeKey),
		slog.Int64("FailedValidation", c.FailedValidation), slog.Int64("Failed", c.Failed),
		slog.Int64("Deferred", c.Deferred), slog.Int64("Vanished", c.Vanished), slog.Int64("Reconciled", c.Reconciled),
		slog.Int64("Restoring", c.Restoring), slog.Int64("RestoreRequested", c.RestoreRequested), slog.Int64("Restored", c.Restored),
	)
}
