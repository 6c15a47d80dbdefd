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
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
	"github.com/datalake-platform/s3connections/shared/source"
	"github.com/google/uuid"
)

// PlannerStore is what the planner reads and writes in the metadata table.
type PlannerStore interface {
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
	GetDataset(ctx context.Context, id string) (dataset.Dataset, error)
	GetSchedule(ctx context.Context, id string) (schedule.Schedule, error)
	StartRun(ctx context.Context, r run.Run, leaseUntil time.Time) error
	RecordRun(ctx context.Context, r run.Run) error
	FinishRun(ctx context.Context, r run.Run, state run.State, reason string) error
	BeginPlanning(ctx context.Context, runID string) (run.Run, error)
	SavePlanPage(ctx context.Context, r run.Run, p metadata.PlanPage) error
	// NotePlanningError counts a failed planner invocation and returns
	// how many failed in a row (a saved page resets the count).
	NotePlanningError(ctx context.Context, runID string) (int64, error)
	RenewLease(ctx context.Context, datasetID, runID string, until time.Time) error
	EndPlanning(ctx context.Context, runID string) (run.Run, error)
	CatalogRange(ctx context.Context, datasetID, from, to string) (map[string]dataset.File, error)
	RejectRun(ctx context.Context, r run.Run, files []run.FileOutcome, reason string) error
	CompleteIfDone(ctx context.Context, runID string) (run.Run, bool, error)
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
}

// PageSize is how many keys one ListObjectsV2 call returns.
const PageSize = 1000

// maxRejected caps the files a failed 1.6 run lists.
const maxRejected = 100

// Phases of planning.
const (
	phaseCheck = "check" // 1.6: every matched file must be STANDARD before anything is sent
	phasePlan  = "plan"
)

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Handle runs one planner event.
func (p *Planner) Handle(ctx context.Context, ev plannercall.Event) (json.RawMessage, error) {
	switch {
	case ev.Action == plannercall.ActionTestConnection:
		c, err := p.Store.GetConnection(ctx, ev.ConnectionId)
		if err != nil {
			return nil, fmt.Errorf("test connection %s: %w", ev.ConnectionId, err)
		}
		res, err := p.Tester.Test(ctx, c)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case ev.Action != "":
		return nil, fmt.Errorf("unknown planner action %q", ev.Action)
	case ev.RunId != "":
		return nil, p.plan(ctx, ev.RunId)
	case ev.ScheduleId != "":
		return nil, p.fire(ctx, ev.ScheduleId)
	}
	return nil, errors.New("planner event names no action, schedule or run")
}

// fire starts a run for a scheduled trigger, or records it as skipped
// while another run of the dataset is in progress.
func (p *Planner) fire(ctx context.Context, scheduleID string) error {
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
	var busy *run.InProgressError
	switch err := p.Store.StartRun(ctx, r, now.Add(run.Lease)); {
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
	d, err := p.Store.GetDataset(ctx, r.DatasetId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return p.fail(ctx, r, "dataset", err)
	} else if err != nil {
		return p.retryLater(ctx, r, "dataset", err)
	}
	c, err := p.Store.GetConnection(ctx, d.ConnectionId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return p.fail(ctx, r, "connection", err)
	} else if err != nil {
		return p.retryLater(ctx, r, "connection", err)
	}
	client, _, err := p.Sources.For(ctx, c)
	if err != nil && transient(ctx, err) {
		return p.retryLater(ctx, r, "source", err)
	} else if err != nil {
		return p.fail(ctx, r, "source", err) // a region not enabled, a deleted bucket, a disabled key…
	}
	if r.StartedAt == nil {
		return p.fail(ctx, r, "run", errors.New("the run has no start time"))
	}
	runStarted := *r.StartedAt
	if r.Pages == 0 && r.Phase == "" {
		emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsStarted.Of(1))
	}
	if r.Phase == "" {
		r.Phase = phasePlan
		if !c.Version.SkipsGlacier() {
			r.Phase = phaseCheck
		}
	}
	deadline := started.Add(p.Budget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-p.Margin).Before(deadline) {
		deadline = dl.Add(-p.Margin)
	}
	var rejected []run.FileOutcome
	var rejectedTotal int
	writer, renewed := uuid.NewString(), time.Time{} // a lease renewal with the first page

	for {
		out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(c.S3Bucket), Prefix: aws.String(d.DirectoryPath),
			ContinuationToken: nonEmpty(r.Continuation), MaxKeys: aws.Int32(PageSize),
		})
		if err != nil && transient(ctx, err) {
			return p.retryLater(ctx, r, "listing", errors.New(source.Explain(err, c)))
		} else if err != nil {
			return p.fail(ctx, r, "listing", errors.New(source.Explain(err, c)))
		}
		page := metadata.PlanPage{Phase: r.Phase, Next: aws.ToString(out.NextContinuationToken), Listed: int64(len(out.Contents))}
		var matched []Task
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			if !d.FileType.Matches(key) {
				continue
			}
			page.Matched++
			matched = append(matched, Task{
				RunId: r.RunId, DatasetId: d.DatasetId, ConnectionId: c.ConnectionId, Bucket: c.S3Bucket,
				Key: key, Name: d.Name(key), Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`),
				StorageClass: string(o.StorageClass), Version: c.Version, FileType: d.FileType, SkipLZ: d.SkipLZ,
				TargetKey: d.TargetKey(r.StartTime(), d.Name(key)), RunStart: r.StartTime(), RunStarted: runStarted,
			})
		}
		if r.Phase == phaseCheck {
			for _, t := range matched {
				if t.StorageClass != "" && t.StorageClass != "STANDARD" {
					rejectedTotal++
					if len(rejected) < maxRejected {
						rejected = append(rejected, run.FileOutcome{
							Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeRejectedStorageClass, StorageClass: t.StorageClass,
							Reason: "version 1.6 ingests only the S3 Standard storage class",
						})
					}
				}
			}
		} else {
			if !c.Version.SkipsGlacier() {
				page.Listed, page.Matched = 0, 0 // the check phase counted them
			}
			send, unchanged, err := p.changed(ctx, d.DatasetId, matched)
			if err != nil {
				return p.retryLater(ctx, r, "catalog", err)
			}
			page.SkippedUnchanged = unchanged
			if err := p.Tasks.Send(ctx, send); err != nil {
				return p.retryLater(ctx, r, "sending tasks", err)
			}
			page.Tasks = int64(len(send))
		}
		if out.NextContinuationToken == nil { // the listing ended
			if r.Phase == phaseCheck {
				if rejectedTotal > 0 {
					emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsFailed.Of(1))
					return p.Store.RejectRun(ctx, r, rejected, fmt.Sprintf(
						"version 1.6 ingests only the S3 Standard storage class: %d matched files are in other classes (FailedFiles lists the first %d); upgrade the connection to 1.7 to skip them",
						rejectedTotal, len(rejected)))
				}
				page.Phase, page.Next = phasePlan, ""
			}
		}
		page.Writer = writer
		err = p.Store.SavePlanPage(ctx, r, page)
		if err == nil && p.now().Sub(renewed) > leaseRenewal {
			if err = p.Store.RenewLease(ctx, r.DatasetId, r.RunId, p.now().Add(run.Lease)); err == nil {
				renewed = p.now()
			}
		}
		if errors.Is(err, metadata.ErrLeaseLost) || errors.Is(err, metadata.ErrStalePosition) {
			p.Log.WarnContext(ctx, "planning stopped", "runId", r.RunId, "reason", err.Error())
			return nil
		} else if err != nil {
			return p.retryLater(ctx, r, "saving the position", err)
		}
		if page.Listed > 0 {
			emit(ctx, p.Log, p.Metrics, r.RunId, metrics.ObjectsListed.Of(float64(page.Listed)),
				metrics.FilesSkippedUnchanged.Of(float64(page.SkippedUnchanged)))
		}
		finishedPhase := r.Phase
		r.Pages++
		r.Phase, r.Continuation = page.Phase, page.Next
		if out.NextContinuationToken == nil && finishedPhase == phasePlan {
			break
		}
		if p.now().After(deadline) { // every invocation plans at least one page
			p.Log.InfoContext(ctx, "planning continues in a new invocation", "runId", r.RunId, "pages", r.Pages)
			return p.Continue.ContinueRun(ctx, r.RunId)
		}
	}
	if _, err := p.Store.EndPlanning(ctx, r.RunId); err != nil {
		return err
	}
	return p.completeIfDone(ctx, r.RunId)
}

// completeIfDone ends the run if the workers finished before its planning did.
func (p *Planner) completeIfDone(ctx context.Context, runID string) error {
	done, ended, err := p.Store.CompleteIfDone(ctx, runID)
	if ended {
		emitEnd(ctx, p.Log, p.Metrics, done)
	}
	return err
}

// changed keeps the tasks whose file the catalog does not hold with the
// same size and ETag, merging the sorted page with the sorted catalog in
// one range query rather than a read per file. A file this very run
// catalogued is planned again: that happens when a planner died after
// sending part of the page, and the page must count all its tasks (the
// workers commit each file once).
func (p *Planner) changed(ctx context.Context, datasetID string, tasks []Task) ([]Task, int64, error) {
	if len(tasks) == 0 {
		return nil, 0, nil
	}
	catalog, err := p.Store.CatalogRange(ctx, datasetID, tasks[0].Name, tasks[len(tasks)-1].Name)
	if err != nil {
		return nil, 0, err
	}
	send := tasks[:0]
	var unchanged int64
	for _, t := range tasks {
		if f, ok := catalog[t.Name]; ok && f.Size == t.Size && f.SourceETag == t.ETag && f.RunId != t.RunId {
			unchanged++
			continue
		}
		send = append(send, t)
	}
	return send, unchanged, nil
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
	reason := fmt.Sprintf("%s: %v", what, cause)
	if errors.As(cause, &re) {
		reason = re.Reason
	}
	p.Log.WarnContext(ctx, "run failed in planning", "runId", r.RunId, "reason", reason)
	emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsFailed.Of(1))
	return p.Store.FinishRun(ctx, r, run.Failed, reason)
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

// emitEnd counts a run that just ended.
func emitEnd(ctx context.Context, log *slog.Logger, m *metrics.Emitter, r run.Run) {
	if r.State == run.Succeeded {
		emit(ctx, log, m, r.RunId, metrics.RunsSucceeded.Of(1))
	} else {
		emit(ctx, log, m, r.RunId, metrics.RunsFailed.Of(1))
	}
}
