package runevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Outbox is the metadata store's outbox of run ends not yet announced,
// and the run records the events are built from.
type Outbox interface {
	// PendingRunEnd reads the run and whether its end is in the outbox,
	// in one request (KindNotFound when the run's record is gone).
	PendingRunEnd(ctx context.Context, runID string) (r run.Run, pending bool, err error)
	PendingRunEvents(ctx context.Context, before time.Time) ([]string, error)
	RunEventPublished(ctx context.Context, runID string) error
	// SetRunReport names the run's assembled report on its record.
	SetRunReport(ctx context.Context, runID string, rep run.Report) error
}

// Reports assembles the report of an ended run from the parts its planner
// and workers wrote (*report.Assembler), and deletes the parts once the
// run's record names it.
type Reports interface {
	Assemble(ctx context.Context, runID string) (run.Report, error)
	Cleanup(ctx context.Context, runID string) error
}

// Bus puts events on an EventBridge bus (*eventbridge.Client).
type Bus interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// PendingAge is how long a run end may stay in the outbox before the
// sweep publishes it: its ender publishes it at once, unless it crashed.
const PendingAge = time.Minute

// maxEntries is PutEvents' limit of entries per request; a run's end is
// at most maxEventsPerRun events (BuildAll). assembleAttempts bounds the
// assemblies of one report that find a listed part gone.
const (
	maxEntries       = 10
	maxEventsPerRun  = 2
	assembleAttempts = 4
)

// Publisher announces run ends on the platform's outbound bus: each event
// is built from the ended run's record, put with PutEvents, and its
// outbox item deleted once EventBridge accepted it. Publishing twice (an
// ender and the sweep at once) puts the same event, with the same
// EventId, twice: consumers drop the duplicate, as they must for
// EventBridge's own at-least-once delivery.
type Publisher struct {
	Outbox  Outbox
	Bus     Bus
	BusName string
	Log     *slog.Logger
	// Reports, when set, assembles each run's report before its event is
	// built, so that the event names it: an end stays in the outbox until
	// both are done, and the sweep retries what a crash interrupted.
	Reports Reports
}

// Announce publishes the ends of runIDs that are in the outbox: an ender
// calls it right after the transaction that ended the run (a run it did
// not end after all has no item of its own, or one another ender
// publishes). A failure is logged, not returned: the item stays, and the
// sweep publishes it.
func (p *Publisher) Announce(ctx context.Context, runIDs ...string) {
	if err := p.publish(ctx, runIDs); err != nil {
		p.Log.WarnContext(ctx, "run event left for the sweep", "runIds", runIDs, "error", err)
	}
}

// PublishPending publishes, at now, every run end the outbox holds since
// PendingAge before: those whose enders crashed, or failed to publish (the
// periodic sweep calls it). It returns how many it published.
func (p *Publisher) PublishPending(ctx context.Context, now time.Time) (int, error) {
	ids, err := p.Outbox.PendingRunEvents(ctx, now.Add(-PendingAge))
	if err != nil {
		return 0, err
	}
	if len(ids) > 0 {
		p.Log.InfoContext(ctx, "publishing run events left in the outbox", "runs", len(ids))
	}
	return len(ids), p.publish(ctx, ids)
}

// publish puts the events of runIDs, ten a request, and deletes the
// outbox items of those the bus accepted.
func (p *Publisher) publish(ctx context.Context, runIDs []string) error {
	var first error
	for len(runIDs) > 0 {
		n := min(maxEntries/maxEventsPerRun, len(runIDs)) // a batch's entries fit one PutEvents
		if err := p.publishBatch(ctx, runIDs[:n]); err != nil && first == nil {
			first = err
		}
		runIDs = runIDs[n:]
	}
	return first
}

func (p *Publisher) publishBatch(ctx context.Context, runIDs []string) error {
	var owners []string // the run of each entry
	var entries []types.PutEventsRequestEntry
	var failed error
	for _, id := range runIDs {
		es, err := p.entries(ctx, id)
		if err != nil {
			failed = err // this run's events stay in the outbox; the others go
			continue
		}
		for _, e := range es {
			owners, entries = append(owners, id), append(entries, e)
		}
	}
	if len(entries) == 0 {
		return failed
	}
	out, err := p.Bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return fmt.Errorf("put %d run events on %s: %w", len(entries), p.BusName, err)
	}
	refused := map[string]bool{}
	for i, res := range out.Entries {
		if i < len(owners) && res.ErrorCode != nil {
			refused[owners[i]] = true
			failed = fmt.Errorf("run event of %s refused by %s: %s: %s", owners[i], p.BusName, aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage))
		}
	}
	for i, id := range owners {
		if refused[id] || (i > 0 && owners[i-1] == id) { // all of a run's events, or none, end its outbox item
			continue
		}
		p.Log.InfoContext(ctx, "run event published", "runId", id, "eventId", EventId(id, KindEnded), "bus", p.BusName)
		if err := p.Outbox.RunEventPublished(ctx, id); err != nil {
			failed = err // published again by the sweep: a duplicate consumers drop
		}
	}
	return failed
}

// entries are the PutEvents entries of runID's end; none when there is
// none to publish: its end is not in the outbox (published already, or not
// ended yet), or its record is gone (expired), whose outbox item it drops.
func (p *Publisher) entries(ctx context.Context, runID string) ([]types.PutEventsRequestEntry, error) {
	r, pending, err := p.Outbox.PendingRunEnd(ctx, runID)
	switch {
	case apperr.KindOf(err) == apperr.KindNotFound && pending:
		p.Log.WarnContext(ctx, "run event dropped: the run's record is gone", "runId", runID)
		return nil, p.Outbox.RunEventPublished(ctx, runID)
	case apperr.KindOf(err) == apperr.KindNotFound, err == nil && !pending:
		return nil, nil
	case err != nil:
		return nil, err
	}
	if err := p.report(ctx, &r); err != nil {
		return nil, err
	}
	built, err := BuildAll(r)
	if err != nil {
		return nil, err
	}
	out := make([]types.PutEventsRequestEntry, len(built))
	for i, e := range built {
		out[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(p.BusName), Source: aws.String(Source), DetailType: aws.String(e.DetailType),
			Detail: aws.String(e.Detail), Time: aws.Time(e.Time),
		}
	}
	return out, nil
}

// report assembles r's report unless its record names one already, and
// names it there; the parts are deleted afterwards, at most once per run
// (a failed cleanup leaves them to the bucket's lifecycle rule).
func (p *Publisher) report(ctx context.Context, r *run.Run) error {
	if p.Reports == nil || r.Report != nil {
		return nil
	}
	rep, err := p.Reports.Assemble(ctx, r.RunId)
	for attempt := 1; errors.Is(err, report.ErrPartGone) && attempt < assembleAttempts; attempt++ {
		// A part went after the listing: a duplicate's that counted
		// nothing, or all of them, cleaned up by an assembler that
		// finished. Its report, if any, is the run's; else list again.
		again, _, rerr := p.Outbox.PendingRunEnd(ctx, r.RunId)
		if rerr != nil {
			return rerr
		}
		if again.Report != nil {
			r.Report = again.Report
			return nil
		}
		rep, err = p.Reports.Assemble(ctx, r.RunId)
	}
	if err != nil {
		return fmt.Errorf("assemble the report of run %s: %w", r.RunId, err)
	}
	if err := p.Outbox.SetRunReport(ctx, r.RunId, rep); err != nil {
		return err
	}
	r.Report = &rep
	p.Log.InfoContext(ctx, "run report assembled", "runId", r.RunId, "files", rep.Files, "bucket", rep.Bucket, "key", rep.Csv)
	if err := p.Reports.Cleanup(ctx, r.RunId); err != nil {
		p.Log.WarnContext(ctx, "report parts left to the lifecycle rule", "runId", r.RunId, "error", err)
	}
	return nil
}
