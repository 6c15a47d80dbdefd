// Package rules is the one place that decides what each connection Version
// does with a file: the planner asks it about every listed object (send,
// skip as unchanged, or fail the run), the worker about every object it is
// about to copy (copy into the LZ, straight into the DLZ, skip with its
// storage class, or fail), and the store how a run whose files are all done
// ends. It is pure (no I/O, nothing of the platform's imported), so the
// table test in rules_test.go reads like the SPEC's "Ingestion rules by
// connection version".
package rules
