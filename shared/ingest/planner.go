// Package ingest is the ingestion side of the platform: the planner lists a
// dataset's source and sends a copy task per new or changed file; the
// workers copy, validate and catalogue each file exactly once. The planner
// also answers connection tests, as only the ingestion functions may read
// source buckets and decrypt secrets.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
	"github.com/datalake-platform/s3connections/shared/source"
	"github.com/google/uuid"
)

// PlannerStore is what the planner reads and writes in the metadata table,
// by the steps that need it.
type PlannerStore interface {
	Definitions
	RunLedger
	PlanningLog
	Recovery
	FollowUps
	// CatalogRange reads the catalog's latest version of the names from
	// from to to, for the unchanged-file rule.
	CatalogRange(ctx context.Context, datasetID, from, to string) (map[string]dataset.File, error)
	// CatalogNames reads the catalog's latest version of names, for an
	// inventory's pages, whose names are spread over the catalog.
	CatalogNames(ctx context.Context, datasetID string, names []string) (map[string]dataset.File, error)
}

// Definitions are what users configured: the schedule that fires, the
// dataset a run ingests and its connection.
type Definitions interface {
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
	GetDataset(ctx context.Context, id string) (dataset.Dataset, error)
	GetSchedule(ctx context.Context, id string) (schedule.Schedule, error)
}

// RunLedger starts and ends runs; a run holds its dataset's lease from
// its start to its end.
type RunLedger interface {
	StartRun(ctx context.Context, r run.Run, leaseUntil time.Time) error
	RecordRun(ctx context.Context, r run.Run) error
	FinishRun(ctx context.Context, r run.Run, state run.State, reason string) error
	// RejectRun fails a run in its check pass; last is the page that
	// ended the listing, whose counts it records.
	RejectRun(ctx context.Context, r run.Run, last PlanPage, reason string) error
	CompleteIfDone(ctx context.Context, runID string) (run.Run, bool, error)
	RenewLease(ctx context.Context, datasetID, runID string, until time.Time) error
}

// PlanningLog keeps a run's planning position, page by page, so that a
// chain of invocations plans each page once.
type PlanningLog interface {
	BeginPlanning(ctx context.Context, runID string) (run.Run, error)
	// SavePlanPage records a page and the position after it; ErrLeaseLost
	// or ErrStalePosition when another invocation or run took over.
	SavePlanPage(ctx context.Context, r run.Run, p PlanPage) error
	// NotePlanningError counts a failed planner invocation and returns
	// how many failed in a row (a saved page resets the count).
	NotePlanningError(ctx context.Context, runID string) (int64, error)
	EndPlanning(ctx context.Context, runID string) (run.Run, error)
	// ListSkipped lists files among the run's skipped files, each once
	// however often it is written (the page's save counts them).
	ListSkipped(ctx context.Context, runID string, files []run.FileOutcome) error
	// ListRejected lists the files that fail a 1.6 run's check pass among
	// its failed files, likewise.
	ListRejected(ctx context.Context, runID string, files []run.FileOutcome) error
}

// ConnectionTester lists a connection's bucket with its access.
type ConnectionTester interface {
	Test(ctx context.Context, c connection.Connection) (connection.TestResult, error)
}

// TaskSender sends copy tasks to the workers' queue.
type TaskSender interface {
	Send(ctx context.Context, tasks []Task) error
}

// Continuer hands the rest of a run's planning to a new invocation.
type Continuer interface {
	ContinueRun(ctx context.Context, runID string) error
}

// Planner handles the planner function's events.
type Planner struct {
	Store    PlannerStore
	Tester   ConnectionTester
	Sources  *source.Clients
	Tasks    TaskSender
	Continue Continuer
	// Budget is how long one invocation plans before it hands over; the
	// invocation's own deadline, less Margin, caps it.
	Budget  time.Duration
	Margin  time.Duration
	Log     *slog.Logger
	Metrics *metrics.Emitter
	Now     func() time.Time
	// Events announces the runs the planner ends, and on each sweep the
	// ends left in the outbox.
	Events RunEvents
	// Reports, when set, gets a part of the run's report per listing page,
	// with the files the planner decided on (reports.go).
	Reports ReportParts
	// Rolling, when set, lets the sweep close event-driven datasets'
	// rolling runs after RollingQuiet without an event or at RollingCap
	// tasks (zero: the defaults), and scheduled runs wait for them.
	Rolling      RollingStore
	RollingQuiet time.Duration
	RollingCap   int64
}

// PageSize is how many keys one ListObjectsV2 call returns.
const PageSize = 1000

// maxRejected caps the files a failed 1.6 run lists.
const maxRejected int64 = 100

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Handle runs one planner event.
func (p *Planner) Handle(ctx context.Context, ev PlannerEvent) (json.RawMessage, error) {
	switch {
	case ev.Action == ActionTestConnection:
		c, err := p.Store.GetConnection(ctx, ev.ConnectionId)
		if err != nil {
			return nil, fmt.Errorf("test connection %s: %w", ev.ConnectionId, err)
		}
		res, err := p.Tester.Test(ctx, c)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case ev.Action == ActionSweepLeases:
		return nil, p.sweep(ctx)
	case ev.Action != "":
		return nil, fmt.Errorf("unknown planner action %q", ev.Action)
	case len(ev.Records) > 0:
		return json.Marshal(p.failures(ctx, ev.Records))
	case ev.RunId != "":
		return nil, p.plan(ctx, ev.RunId)
	case ev.ScheduleId != "":
		return nil, p.fire(ctx, ev.ScheduleId, ev.Firing)
	}
	return nil, errors.New("planner event names no action, schedule or run")
}

// fire starts a run for a scheduled trigger, or records it as skipped
// while another run of the dataset is in progress; a retry of the firing
// that started that run resumes it.
func (p *Planner) fire(ctx context.Context, scheduleID, firing string) error {
	sch, err := p.Store.GetSchedule(ctx, scheduleID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		p.Log.WarnContext(ctx, "schedule fired after it was deleted", "scheduleId", scheduleID)
		return nil
	}
	if err != nil {
		return err
	}
	if !sch.IsEnabled {
		p.Log.InfoContext(ctx, "disabled schedule fired: ignored", "scheduleId", scheduleID)
		return nil
	}
	now := p.now().UTC()
	r, err := run.New(sch, run.Scheduled, "scheduler", now)
	if err != nil {
		return err
	}
	r.Firing = firing
	var busy *run.InProgressError
	err = p.Store.StartRun(ctx, r, now.Add(run.Lease))
	resumes := errors.As(err, &busy) && p.startedBy(ctx, busy.RunId, firing)
	if errors.As(err, &busy) && !resumes {
		if yerr := p.yieldToRolling(ctx, busy.RunId); yerr != nil {
			return yerr
		}
	}
	switch {
	case resumes:
		return p.plan(ctx, busy.RunId)
	case errors.As(err, &busy):
		r.State, r.Reason, r.FinishedAt = run.Skipped, "run "+busy.RunId+" of this dataset was in progress", &now
		return p.Store.RecordRun(ctx, r)
	case apperr.KindOf(err) == apperr.KindNotFound:
		p.Log.WarnContext(ctx, "schedule's dataset is gone", "scheduleId", scheduleID, "datasetId", sch.DatasetId)
		return nil
	case err != nil:
		return err
	}
	return p.plan(ctx, r.RunId)
}

// planning is one invocation's part of a run's planning.
type planning struct {
	r        run.Run
	d        dataset.Dataset
	c        connection.Connection
	client   *s3.Client
	deadline time.Time // when this invocation hands over
	writer   string    // this invocation, on the pages it saves
	renewed  time.Time // the last lease renewal (zero: renew with the first page)
	listing  listing   // where the pages come from (listing.go)
}

// step says how planning goes on after a page.
type step int

const (
	nextPage step = iota // plan the next page
	planned              // the listing ended: planning is done
	stopped              // this invocation ends here, with the error it returns
)

// plan lists the run's source from where the run stands, page by page,
// until the listing ends or the time budget does; then it hands over.
func (p *Planner) plan(ctx context.Context, runID string) error {
	started := p.now()
	r, err := p.Store.BeginPlanning(ctx, runID)
	switch {
	case err != nil || r.State.Ended():
		return err
	case r.State != run.Planning && r.PlanningDone:
		// A retry of an invocation that ended the planning but failed
		// before it could check whether the workers had finished.
		return p.completeIfDone(ctx, r.RunId)
	case r.State != run.Planning:
		return nil // a duplicate event
	}
	pl, err := p.load(ctx, r, started)
	if pl == nil {
		return err
	}
	for {
		switch next, err := p.planPage(ctx, pl); next {
		case stopped:
			return err
		case planned:
			if _, err := p.Store.EndPlanning(ctx, r.RunId); err != nil {
				return err
			}
			return p.completeIfDone(ctx, r.RunId)
		}
		if p.now().After(pl.deadline) { // every invocation plans at least one page
			p.Log.InfoContext(ctx, "planning continues in a new invocation", "runId", r.RunId, "pages", pl.r.Pages)
			return p.Continue.ContinueRun(ctx, r.RunId)
		}
	}
}

// load reads what planning r needs: its dataset, its connection and a
// client for the source. Without them the run fails, or, on a transient
// error, is retried (nil and the error to return).
func (p *Planner) load(ctx context.Context, r run.Run, started time.Time) (*planning, error) {
	d, err := p.Store.GetDataset(ctx, r.DatasetId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return nil, p.fail(ctx, r, "dataset", err)
	} else if err != nil {
		return nil, p.retryLater(ctx, r, "dataset", err)
	}
	c, err := p.Store.GetConnection(ctx, d.ConnectionId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return nil, p.fail(ctx, r, "connection", err)
	} else if err != nil {
		return nil, p.retryLater(ctx, r, "connection", err)
	}
	if r.Pages == 0 && r.Phase == "" { // each run starts by checking its chain and the source
		if stop, err := p.startChecks(ctx, r, d, c); stop {
			return nil, err
		}
	}
	src, err := p.Sources.For(ctx, c)
	if err != nil && transient(ctx, err) {
		return nil, p.retryLater(ctx, r, "source", err)
	} else if err != nil {
		return nil, p.fail(ctx, r, "source", err) // a region not enabled, a deleted bucket, a disabled key…
	}
	if r.StartedAt == nil {
		return nil, p.fail(ctx, r, "run", errors.New("the run has no start time"))
	}
	if r.Pages == 0 && r.Phase == "" {
		emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsStarted.Of(1))
	}
	if r.Phase == "" {
		r.Phase = string(c.Version.FirstPass(d.RestoreArchived))
	}
	deadline := started.Add(p.Budget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-p.Margin).Before(deadline) {
		deadline = dl.Add(-p.Margin)
	}
	pl := &planning{r: r, d: d, c: c, client: src.Client, deadline: deadline, writer: uuid.NewString()}
	pl.listing = p.listingFor(pl, src)
	return pl, nil
}

// startChecks runs the checks of a run's start: the whole chain holds
// (chain.Run: the dataset's owner may use the connection, the schedule's
// owner the dataset and the connection, whoever the run acts for all three),
// and the source is none of the platform's own buckets. It says whether
// the run stopped, with the error to return.
func (p *Planner) startChecks(ctx context.Context, r run.Run, d dataset.Dataset, c connection.Connection) (bool, error) {
	sch, err := p.Store.GetSchedule(ctx, r.ScheduleId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return true, p.fail(ctx, r, "schedule", err)
	} else if err != nil {
		return true, p.retryLater(ctx, r, "schedule", err)
	}
	if err := chain.Run(c, d, chain.Of("schedule", sch.ScheduleId, sch.CanSee), sch.CreatedBy, r.By()); err != nil {
		return true, p.fail(ctx, r, "access", err)
	}
	if err := p.Sources.CheckNotPlatform(ctx, c); err != nil && transient(ctx, err) {
		return true, p.retryLater(ctx, r, "source", err)
	} else if err != nil {
		return true, p.fail(ctx, r, "source", err)
	}
	return false, nil
}

// planPage lists one page of the source and acts on it in the run's pass,
// then saves the run's new position.
func (p *Planner) planPage(ctx context.Context, pl *planning) (step, error) {
	r, c := &pl.r, pl.c
	out, err := pl.listing.page(ctx, r.Continuation)
	if err != nil {
		return stopped, p.listingFailed(ctx, pl, err)
	}
	pass, ended := rules.Pass(r.Phase), out.ended
	page := PlanPage{Phase: r.Phase, Next: out.next, Listed: int64(len(out.objects)), Writer: pl.writer}
	matched, deferred := p.match(pl, out.objects)
	page.Matched = int64(len(matched) + len(deferred))
	var stop bool
	switch pass {
	case rules.CheckPass:
		stop, err = p.checkPage(ctx, pl, matched, &page, ended)
	case rules.EstimatePass:
		stop, err = p.estimatePage(ctx, pl, matched, &page, ended)
	default:
		if c.Version.FirstPass(pl.d.RestoreArchived) != rules.PlanPass {
			page.Listed, page.Matched = 0, 0 // the first pass counted them
		}
		stop, err = p.sendPage(ctx, pl, matched, deferred, &page)
		page.Deferred = int64(len(deferred)) // counted in the plan pass, which every version has
	}
	if stop {
		return stopped, err
	}
	if next, err := p.savePage(ctx, pl, page); next == stopped {
		return stopped, err
	}
	r.Pages++
	r.Rejected += page.Rejected
	r.RestoreEstimateMicroUSD += page.RestoreEstimate
	if page.RestoresWithheld != "" {
		r.RestoresWithheld = page.RestoresWithheld
	}
	r.Phase, r.Continuation = page.Phase, page.Next
	if ended && pass == rules.PlanPass {
		return planned, nil
	}
	return nextPage, nil
}

// sendPage sends the tasks of a page's files that the rules do not skip,
// writes the page's part of the run's report and lists the files skipped
// as unsafe; it says whether planning stopped.
func (p *Planner) sendPage(ctx context.Context, pl *planning, matched, deferred []Task, page *PlanPage) (bool, error) {
	r := pl.r
	send, unchanged, unsafe, err := p.changed(ctx, pl, matched)
	if err != nil {
		return true, p.retryLater(ctx, r, "catalog", err)
	}
	if err := p.reportPage(ctx, r, planRows(unchanged, unsafe, deferred, matched)); err != nil {
		return true, p.retryLater(ctx, r, "writing the report", err)
	}
	if err := p.Store.ListSkipped(ctx, r.RunId, unsafe); err != nil {
		return true, p.retryLater(ctx, r, "listing skipped files", err)
	}
	if err := p.Tasks.Send(ctx, send); err != nil {
		return true, p.retryLater(ctx, r, "sending tasks", err)
	}
	page.SkippedUnchanged, page.SkippedUnsafeKey, page.Tasks = int64(len(unchanged)), int64(len(unsafe)), int64(len(send))
	return false, nil
}

// estimatePage adds to the run's restore estimate the archived files of a
// page that the plan pass would send; at the listing's end it decides
// whether the run requests restores (rules.RestoreArchived.Withheld) and
// moves on to the plan pass. It says whether planning stopped.
func (p *Planner) estimatePage(ctx context.Context, pl *planning, matched []Task, page *PlanPage, ended bool) (bool, error) {
	send, _, _, err := p.changed(ctx, pl, matched)
	if err != nil {
		return true, p.retryLater(ctx, pl.r, "catalog", err)
	}
	for _, t := range send {
		page.RestoreEstimate += rules.ListedRestoreCost(t.object(), *pl.d.RestoreArchived)
	}
	if ended {
		page.RestoresWithheld = pl.d.RestoreArchived.Withheld(pl.r.RestoreEstimateMicroUSD + page.RestoreEstimate)
		page.Phase, page.Next = string(rules.PlanPass), pl.listing.restart()
	}
	return false, nil
}

// match makes a task of every listed file of the dataset's type, but for
// those written after the run started (rules.Deferred), which it returns
// apart: the run does not see them, the next one does.
func (p *Planner) match(pl *planning, listed []s3types.Object) (tasks, deferred []Task) {
	r, d, c := pl.r, pl.d, pl.c
	restore := d.RestoreArchived
	if r.RestoresWithheld != "" {
		restore = nil // over the dataset's cap: archived files are skipped and reported
	}
	for _, o := range listed {
		key := aws.ToString(o.Key)
		if !d.FileType.Matches(key) {
			continue
		}
		t := Task{
			RunId: r.RunId, DatasetId: d.DatasetId, ConnectionId: c.ConnectionId, Bucket: c.S3Bucket,
			Key: key, Name: d.Name(key), Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`),
			StorageClass: string(o.StorageClass), Version: c.Version, FileType: d.FileType, SkipLZ: d.SkipLZ,
			TargetKey: d.TargetKey(r.UploadDate(), d.Name(key)), RunStarted: *r.StartedAt, Reconcile: d.EventDriven(),
			ScheduleId: r.ScheduleId, Restore: restore,
		}
		if rules.Deferred(aws.ToTime(o.LastModified), *r.StartedAt) {
			deferred = append(deferred, t)
			continue
		}
		tasks = append(tasks, t)
	}
	return tasks, deferred
}

// checkPage runs the check pass over a page: it lists the page's files
// that fail the run (up to the run's first maxRejected) and counts them on
// page, so that a check pass of many invocations, or retried, finds them
// all. At the listing's end it fails the run if any page had one, or
// moves on to the plan pass. It says whether planning stopped.
func (p *Planner) checkPage(ctx context.Context, pl *planning, matched []Task, page *PlanPage, ended bool) (bool, error) {
	r := &pl.r
	rejected := check(pl.c.Version, matched)
	page.Rejected = int64(len(rejected))
	if err := p.reportPage(ctx, *r, outcomeRows(rejected, matched)); err != nil {
		return true, p.retryLater(ctx, *r, "writing the report", err)
	}
	room := max(0, maxRejected-r.Rejected)
	if err := p.Store.ListRejected(ctx, r.RunId, rejected[:min(int64(len(rejected)), room)]); err != nil {
		return true, p.retryLater(ctx, *r, "listing rejected files", err)
	}
	switch total := r.Rejected + page.Rejected; {
	case ended && total > 0:
		emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsFailed.Of(1))
		err := p.Store.RejectRun(ctx, *r, *page, rules.RejectedRun(total, min(total, maxRejected)))
		announce(ctx, p.Events, r.RunId)
		return true, err
	case ended:
		page.Phase, page.Next = string(rules.PlanPass), pl.listing.restart()
	}
	return false, nil
}

// check returns the files that fail the run in the check pass.
func check(v rules.Version, tasks []Task) []run.FileOutcome {
	var rejected []run.FileOutcome
	for _, t := range tasks {
		if plan, reason := v.Listed(rules.CheckPass, t.object(), nil, t.RunId); plan == rules.FailRun {
			rejected = append(rejected, run.FileOutcome{
				Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeRejectedStorageClass, StorageClass: t.StorageClass, Reason: reason,
			})
		}
	}
	return rejected
}

// savePage saves the run's position after page (and renews the run's
// lease about once a minute); a run that another invocation or run took
// over stops this invocation quietly.
func (p *Planner) savePage(ctx context.Context, pl *planning, page PlanPage) (step, error) {
	r := pl.r
	err := p.Store.SavePlanPage(ctx, r, page)
	if err == nil && p.now().Sub(pl.renewed) > leaseRenewal {
		if err = p.Store.RenewLease(ctx, r.DatasetId, r.RunId, p.now().Add(run.Lease)); err == nil {
			pl.renewed = p.now()
		}
	}
	if errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrStalePosition) {
		p.Log.WarnContext(ctx, "planning stopped", "runId", r.RunId, "reason", err.Error())
		return stopped, nil
	} else if err != nil {
		return stopped, p.retryLater(ctx, r, "saving the position", err)
	}
	if page.Listed > 0 {
		emit(ctx, p.Log, p.Metrics, r.RunId, metrics.ObjectsListed.Of(float64(page.Listed)),
			metrics.FilesSkippedUnchanged.Of(float64(page.SkippedUnchanged)))
	}
	if page.SkippedUnsafeKey > 0 {
		emit(ctx, p.Log, p.Metrics, r.RunId, metrics.FilesSkippedUnsafeKey.Of(float64(page.SkippedUnsafeKey)))
	}
	return nextPage, nil
}

// completeIfDone ends the run if the workers finished before its planning did.
func (p *Planner) completeIfDone(ctx context.Context, runID string) error {
	done, ended, err := p.Store.CompleteIfDone(ctx, runID)
	if ended {
		emitEnd(ctx, p.Log, p.Metrics, done)
		announce(ctx, p.Events, runID)
	}
	return err
}

// changed keeps the tasks that the rules do not skip as unchanged or as
// unsafe names (returned as the run's skipped files), merging the sorted
// page with the sorted catalog in one range query rather than a read per
// file (an inventory's page reads its names in batches: catalogOf).
func (p *Planner) changed(ctx context.Context, pl *planning, tasks []Task) ([]Task, []report.Row, []run.FileOutcome, error) {
	if len(tasks) == 0 {
		return nil, nil, nil, nil
	}
	catalog, err := p.catalogOf(ctx, pl, tasks)
	if err != nil {
		return nil, nil, nil, err
	}
	send := tasks[:0:0] // tasks stay whole: the report's rows read them
	var unchanged []report.Row
	var unsafe []run.FileOutcome
	for _, t := range tasks {
		var latest *rules.Catalogued
		if f, ok := catalog[t.Name]; ok {
			latest = &rules.Catalogued{Size: f.Size, ETag: f.SourceETag, RunId: f.RunId}
		}
		switch plan, reason := t.Version.Listed(rules.PlanPass, t.object(), latest, t.RunId); plan {
		case rules.SkipUnchanged:
			unchanged = append(unchanged, report.OfUnchanged(t.Name, t.Key, listedOf(t), catalog[t.Name]))
		case rules.SkipUnsafeKey:
			unsafe = append(unsafe, run.FileOutcome{Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeSkippedUnsafeKey, Reason: reason})
		default:
			t.NoEntry = latest == nil
			send = append(send, t)
		}
	}
	return send, unchanged, unsafe, nil
}

// PlanningAttempts is how many planner invocations in a row may fail with
// a transient error before the run fails: Lambda tries an asynchronous
// invocation three times, after which no one would plan the run again.
const PlanningAttempts = 3

// retryLater hands a transient failure to Lambda's retries, counting it on
// the run; the invocation that fails PlanningAttempts times in a row fails
// the run with the reason instead, so that it ends.
func (p *Planner) retryLater(ctx context.Context, r run.Run, what string, cause error) error {
	err := fmt.Errorf("%s of run %s: %w", what, r.RunId, cause)
	if ctx.Err() != nil {
		return err // timed out or killed: nothing can be written now
	}
	n, nerr := p.Store.NotePlanningError(ctx, r.RunId)
	if nerr != nil {
		p.Log.WarnContext(ctx, "count planning errors", "runId", r.RunId, "error", nerr)
		return err
	}
	if n >= PlanningAttempts {
		return p.fail(ctx, r, what, fmt.Errorf("%w (%d planner invocations in a row failed)", cause, n))
	}
	p.Log.WarnContext(ctx, "planning will be retried", "runId", r.RunId, "attempt", n, "error", err)
	return err
}

// fail ends the run with a reason that names what went wrong.
func (p *Planner) fail(ctx context.Context, r run.Run, what string, cause error) error {
	var re *source.RegionError
	var refused *source.RefusedError
	reason := fmt.Sprintf("%s: %v", what, cause)
	if errors.As(cause, &re) {
		reason = re.Reason
	} else if errors.As(cause, &refused) {
		reason = refused.Reason
	}
	p.Log.WarnContext(ctx, "run failed in planning", "runId", r.RunId, "reason", reason)
	emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsFailed.Of(1))
	err := p.Store.FinishRun(ctx, r, run.Failed, reason)
	announce(ctx, p.Events, r.RunId)
	return err
}

// transient says whether err may heal if the invocation is retried: the
// SDK's retryable errors (which it already retried) and a context that
// ended (a timeout or a dying sandbox); anything else fails the run.
func transient(ctx context.Context, err error) bool {
	return ctx.Err() != nil || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// emit writes metrics of a run in the function's log; a failure to write
// them is logged, never fatal.
func emit(ctx context.Context, log *slog.Logger, m *metrics.Emitter, runID string, values ...metrics.Value) {
	if m == nil {
		return
	}
	if err := m.Emit(map[string]any{"RunId": runID}, values...); err != nil {
		log.WarnContext(ctx, "metrics", "error", err)
	}
}

// emitEnd logs and counts a run that just ended, with its counts.
func emitEnd(ctx context.Context, log *slog.Logger, m *metrics.Emitter, r run.Run) {
	log.InfoContext(ctx, "run ended", "runId", r.RunId, "state", r.State, "reason", r.Reason,
		"counts", r.Counts, "tasksPlanned", r.TasksPlanned, "tasksDone", r.TasksDone)
	if r.State == run.Succeeded {
		emit(ctx, log, m, r.RunId, metrics.RunsSucceeded.Of(1))
	} else {
		emit(ctx, log, m, r.RunId, metrics.RunsFailed.Of(1))
	}
}
