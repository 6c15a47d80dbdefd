package ingest

import (
	"context"

	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// ReportParts writes the parts of runs' reports in the reports bucket
// (*report.Parts). Safe for concurrent use.
type ReportParts interface {
	Put(ctx context.Context, key string, rows []report.Row) error
	Delete(ctx context.Context, key string) error
}

// The worker's part of a chunk is written twice: before the commit, every
// row tentative, so that no file is committed without a row (a worker
// that crashes after its commit leaves that part); after, with the rows
// it committed confirmed and those another delivery committed first left
// out. A row whose commit failed stays tentative: a transaction whose
// answer was lost may have committed it, and its redelivery, finding it
// committed, writes no row. Assembly prefers a confirmed row of a name.
type chunkPart struct {
	key  string
	rows []report.Row
}

// listedOf is what the listing said of t's file.
func listedOf(t Task) report.Listed {
	return report.Listed{Size: t.Size, ETag: t.ETag, StorageClass: t.StorageClass}
}

// beginPart writes the tentative part of a chunk about to be committed;
// nil without Reports.
func (w *Worker) beginPart(ctx context.Context, runID string, results []run.FileResult, listed []report.Listed) (*chunkPart, error) {
	if w.Reports == nil {
		return nil, nil
	}
	rows := make([]report.Row, len(results))
	for i, res := range results {
		rows[i] = report.OfResult(res, listed[i])
		rows[i].Tentative = true
	}
	p := &chunkPart{key: report.ChunkKey(runID), rows: rows}
	return p, w.Reports.Put(ctx, p.key, rows)
}

// settlePart rewrites a chunk's part after its commit (committed, and
// commitErr if it failed): confirmed rows, tentative ones of unknown fate,
// none of the files refused. A failure leaves the part tentative, which
// assembly still reads.
func (w *Worker) settlePart(ctx context.Context, p *chunkPart, committed []run.FileResult, commitErr error) {
	if p == nil {
		return
	}
	done := make(map[string]bool, len(committed))
	for _, c := range committed {
		done[c.Name] = true
	}
	keep := p.rows[:0:0]
	for _, r := range p.rows {
		if done[r.Name] || commitErr != nil {
			r.Tentative = !done[r.Name]
			keep = append(keep, r)
		}
	}
	var err error
	switch {
	case len(keep) == 0:
		err = w.Reports.Delete(ctx, p.key)
	case len(done) > 0:
		err = w.Reports.Put(ctx, p.key, keep)
	}
	if err != nil {
		w.Log.WarnContext(ctx, "report part left tentative", "key", p.key, "error", err)
	}
}

// reportPage writes the part of the planner's next listing page of r
// (its number: r.Pages+1, the same for every invocation that plans it),
// with the files the planner decided on; nothing without Reports or rows.
func (p *Planner) reportPage(ctx context.Context, r run.Run, rows []report.Row) error {
	if p.Reports == nil || len(rows) == 0 {
		return nil
	}
	return p.Reports.Put(ctx, report.PageKey(r.RunId, r.Pages+1), rows)
}

// planRows are the report rows of a plan pass's page: the files skipped
// as unchanged or for unsafe names, and those deferred to the next run;
// matched are the page's tasks, which describe the unsafe ones.
func planRows(unchanged []report.Row, unsafe []run.FileOutcome, deferred, matched []Task) []report.Row {
	rows := append(outcomeRows(unsafe, matched), unchanged...)
	for _, t := range deferred {
		rows = append(rows, report.OfOutcome(run.FileOutcome{
			Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeDeferred, Reason: rules.DeferredReason,
		}, listedOf(t)))
	}
	return rows
}

// outcomeRows are the rows of files the planner listed among the run's
// skipped or failed files, described by their tasks in matched.
func outcomeRows(files []run.FileOutcome, matched []Task) []report.Row {
	if len(files) == 0 {
		return nil
	}
	byName := make(map[string]Task, len(matched))
	for _, t := range matched {
		byName[t.Name] = t
	}
	rows := make([]report.Row, len(files))
	for i, f := range files {
		rows[i] = report.OfOutcome(f, listedOf(byName[f.Name]))
	}
	return rows
}
