package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/run"
)

// Recovery is what ends the runs their planner could not: those named by
// the planner's on-failure destination records, and those whose lease
// expired.
type Recovery interface {
	// GetRunRecord reads a run's own record (KindNotFound when absent).
	GetRunRecord(ctx context.Context, id string) (run.Run, error)
	// ActiveRun is the id of the run holding the dataset's lease, or "".
	ActiveRun(ctx context.Context, datasetID string) (string, error)
	// ExpireLeases fails the runs whose lease had expired at now, frees
	// their datasets, and returns the runs it ended.
	ExpireLeases(ctx context.Context, now time.Time) ([]string, error)
}

// invocationRecord is the part of Lambda's on-failure destination record
// the planner reads: the event that failed, how often it was tried, why.
type invocationRecord struct {
	Version        string `json:"version"`
	RequestContext struct {
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// maxReasonError caps the function error a failed run's reason quotes.
const maxReasonError = 1000

// reason says why the run failed, in the words of the record.
func (rec invocationRecord) reason() string {
	var resp struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(rec.ResponsePayload, &resp) // absent when no attempt ran
	n := rec.RequestContext.ApproximateInvokeCount
	switch {
	case rec.RequestContext.Condition == "EventAgeExceeded" && resp.ErrorMessage == "":
		return fmt.Sprintf("planner event expired after %d attempts (EventAgeExceeded)", n)
	case len(resp.ErrorMessage) > maxReasonError:
		resp.ErrorMessage = resp.ErrorMessage[:maxReasonError] + "…"
	}
	return fmt.Sprintf("planner failed after %d attempts: %s", n, resp.ErrorMessage)
}

// failures handles a batch of the on-failure destination queue: each
// record ends the run its event was planning, at once, as failed with the
// record's reason. A record that cannot be handled now is reported as a
// batch item failure, so SQS delivers it again (and, in the end, to the
// queue's dead-letter queue, where an alarm waits).
func (p *Planner) failures(ctx context.Context, msgs []events.SQSMessage) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range msgs {
		if err := p.failure(ctx, m.Body); err != nil {
			p.Log.ErrorContext(ctx, "planner failure record not handled", "messageId", m.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

// failure ends the run of one record's event.
func (p *Planner) failure(ctx context.Context, body string) error {
	var rec invocationRecord
	var ev PlannerEvent
	if err := json.Unmarshal([]byte(body), &rec); err != nil || rec.Version == "" {
		return errors.New("not a Lambda invocation record")
	}
	if err := json.Unmarshal(rec.RequestPayload, &ev); err != nil {
		return fmt.Errorf("the record's requestPayload is not a planner event: %w", err)
	}
	runID, err := p.runOf(ctx, ev)
	if err != nil || runID == "" {
		return err
	}
	r, err := p.Store.GetRunRecord(ctx, runID)
	switch {
	case apperr.KindOf(err) == apperr.KindNotFound:
		return nil
	case err != nil:
		return err
	case r.State.Ended():
		p.Log.InfoContext(ctx, "planner failure of a run that had ended", "runId", r.RunId, "state", r.State)
		return nil
	}
	reason := rec.reason()
	p.Log.WarnContext(ctx, "run failed: its planner invocation failed every try", "runId", r.RunId, "reason", reason)
	if err := p.Store.FinishRun(ctx, r, run.Failed, reason); err != nil {
		return err
	}
	emit(ctx, p.Log, p.Metrics, r.RunId, metrics.RunsFailed.Of(1))
	announce(ctx, p.Events, r.RunId)
	return nil
}

// runOf is the run a failed planner event was planning: the one it names,
// or the one a scheduled firing started (its dataset's lease holder, if
// the firing started it); "" when there is none (a connection test, a
// sweep, a firing that failed before it started a run).
func (p *Planner) runOf(ctx context.Context, ev PlannerEvent) (string, error) {
	switch {
	case ev.Action != "":
		p.Log.WarnContext(ctx, "planner action failed every try", "action", ev.Action)
		return "", nil
	case ev.RunId != "":
		return ev.RunId, nil
	case ev.ScheduleId == "" || ev.Firing == "":
		p.Log.WarnContext(ctx, "scheduled firing failed every try; its run, if any, ends when its lease expires", "scheduleId", ev.ScheduleId)
		return "", nil
	}
	sch, err := p.Store.GetSchedule(ctx, ev.ScheduleId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return "", nil
	} else if err != nil {
		return "", err
	}
	holder, err := p.Store.ActiveRun(ctx, sch.DatasetId)
	if err != nil || holder == "" || !p.startedBy(ctx, holder, ev.Firing) {
		return "", err
	}
	return holder, nil
}

// startedBy says whether the scheduled firing firing started run runID.
func (p *Planner) startedBy(ctx context.Context, runID, firing string) bool {
	if firing == "" {
		return false
	}
	r, err := p.Store.GetRunRecord(ctx, runID)
	if err != nil {
		p.Log.WarnContext(ctx, "read the run holding the dataset", "runId", runID, "error", err)
		return false
	}
	return r.Firing == firing
}

// sweep ends the runs whose lease expired: a run nothing will end (its
// planner and workers gone) fails with the reason within a sweep's period
// of its lease's end, rather than at the dataset's next run. It announces
// them, then the run ends whose enders crashed before they announced them.
func (p *Planner) sweep(ctx context.Context) error {
	if err := p.closeRollingRuns(ctx); err != nil {
		p.Log.ErrorContext(ctx, "close rolling runs", "error", err) // the expired leases still get swept
	}
	ended, err := p.Store.ExpireLeases(ctx, p.now())
	for _, id := range ended {
		p.Log.WarnContext(ctx, "run failed: its lease on the dataset expired", "runId", id)
		emit(ctx, p.Log, p.Metrics, id, metrics.RunsFailed.Of(1))
	}
	announce(ctx, p.Events, ended...)
	if err != nil {
		return fmt.Errorf("sweep expired leases: %w", err)
	}
	if p.Events != nil {
		if _, err := p.Events.PublishPending(ctx, p.now()); err != nil {
			return fmt.Errorf("sweep the run-event outbox: %w", err)
		}
	}
	return p.followUpRestores(ctx)
}
