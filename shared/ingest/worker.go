package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/filecheck"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/source"
	"golang.org/x/sync/semaphore"
)

// WorkerStore is what workers read and write in the metadata table.
type WorkerStore interface {
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
	GetRunRecord(ctx context.Context, id string) (run.Run, error)
	CommittedTasks(ctx context.Context, r run.Run, names []string) (map[string]dataset.File, error)
	// CommitOutcomes commits results exactly once and returns those it
	// committed (a file another delivery committed first is left out).
	CommitOutcomes(ctx context.Context, r run.Run, results []run.FileResult) ([]run.FileResult, error)
	RenewLease(ctx context.Context, datasetID, runID string, until time.Time) error
	CompleteIfDone(ctx context.Context, runID string) (run.Run, bool, error)
	CompleteIfPlanned(ctx context.Context, r run.Run) (run.Run, bool, error)
	// PendingRestore reads a file's pending restore (nil if none).
	PendingRestore(ctx context.Context, datasetID, name string) (*dataset.PendingRestore, error)
}

// Sources opens a connection's bucket for reading, with its access; a
// *source.RegionError says that no retry can reach it.
type Sources interface {
	Open(ctx context.Context, c connection.Connection) (Source, error)
}

// Source is a connection's bucket as the worker reaches it.
type Source struct {
	Reader SourceReader
	// Copier makes server-side copies from the bucket into the zone
	// buckets with the connection's access (a session that may read the
	// source and write the zones, and read nothing of the platform); nil
	// when the object must be streamed instead.
	Copier TargetBuckets
	// Owner is the account that must own the bucket, "" for any.
	Owner string
}

// Queue makes received tasks visible again at once.
type Queue interface {
	Release(ctx context.Context, receiptHandles []string) error
}

// Worker handles batches of copy tasks from the queue.
type Worker struct {
	Store     WorkerStore
	Sources   Sources
	Copier    *Copier
	LZBucket  string
	DLZBucket string
	// MaxReceiveCount is the queue's redrive limit: on a task's last
	// delivery a failure is recorded in the run (and the message still goes
	// to the dead-letter queue), so the run can end.
	MaxReceiveCount int
	// Parallel is how many files one invocation copies at once.
	Parallel int
	// Queue, when set, gets back at once the tasks a batch had no time
	// to start, rather than after their visibility timeout.
	Queue   Queue
	Log     *slog.Logger
	Metrics *metrics.Emitter
	Now     func() time.Time

	// Events announces the runs the worker ends.
	Events Announcer
	// Reports, when set, gets a part of the run's report per committed
	// chunk (reports.go).
	Reports ReportParts

	// RestoreWaits are how long restores take: when the platform looks
	// for a restored copy (nil: rules.DefaultRestoreWaits).
	RestoreWaits rules.RestoreWaits

	// StreamBudget bounds the bytes that streamed copies hold at once, so
	// that a batch of large files waits rather than exhausting the
	// function's memory; 0: no bound.
	StreamBudget int64
	streams      *semaphore.Weighted
	streamsOnce  sync.Once

	conns   sync.Map // connection id -> cachedConnection
	renewed sync.Map // run id -> time.Time of the last lease renewal
	planned sync.Map // run id -> run.Run read after its planning ended
}

// connectionTTL bounds how stale a worker's copy of a connection may be
// (rotated keys take effect within it).
const connectionTTL = 30 * time.Second

// leaseRenewal is how often one worker renews a run's lease: far within
// run.Lease, far less often than once per batch.
const leaseRenewal = time.Minute

type cachedConnection struct {
	c  connection.Connection
	at time.Time
}

// connection reads a connection at most once per connectionTTL.
func (w *Worker) connection(ctx context.Context, id string) (connection.Connection, error) {
	if v, ok := w.conns.Load(id); ok && w.now().Sub(v.(cachedConnection).at) < connectionTTL {
		return v.(cachedConnection).c, nil
	}
	c, err := w.Store.GetConnection(ctx, id)
	if err == nil {
		w.conns.Store(id, cachedConnection{c: c, at: w.now()})
	}
	return c, err
}

// renewLease renews runID's lease unless this worker did so recently.
func (w *Worker) renewLease(ctx context.Context, r run.Run) {
	if v, ok := w.renewed.Load(r.RunId); ok && w.now().Sub(v.(time.Time)) < leaseRenewal {
		return
	}
	if err := w.Store.RenewLease(ctx, r.DatasetId, r.RunId, w.now().Add(run.Lease)); err != nil {
		w.Log.WarnContext(ctx, "renew lease", "runId", r.RunId, "error", err)
		return
	}
	w.renewed.Store(r.RunId, w.now())
}

type delivery struct {
	messageID, receiptHandle string
	receives                 int
	task                     Task
}

// Handle processes one SQS batch and reports the messages to retry.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	byRun := map[string][]delivery{}
	for _, m := range ev.Records {
		var t Task
		if err := json.Unmarshal([]byte(m.Body), &t); err != nil || !t.Complete() {
			w.Log.ErrorContext(ctx, "malformed task dropped", "messageId", m.MessageId)
			continue // retrying cannot fix it
		}
		n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		// By run and gate: an event-made task commits under its event's gate.
		g := t.RunId + "@" + t.RunStarted.String()
		byRun[g] = append(byRun[g], delivery{messageID: m.MessageId, receiptHandle: m.ReceiptHandle, receives: n, task: t})
	}
	for _, ds := range byRun {
		for _, id := range w.runBatch(ctx, ds[0].task.RunId, ds) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	return resp, nil
}

// runBatch ingests one run's deliveries and returns the message ids to
// retry. Files are copied Parallel at a time and their outcomes committed
// in chunks as they come, so a long batch keeps what it has done; tasks
// not started when the invocation's time runs short are handed back.
func (w *Worker) runBatch(ctx context.Context, runID string, ds []delivery) []string {
	// The tasks carry what the commit needs of the run; a run that ended
	// meanwhile finds its files committed (a late duplicate) or lets them
	// land, which harms nothing.
	started, err := w.runStarted(ctx, runID, ds[0].task)
	if err != nil {
		w.Log.ErrorContext(ctx, "read the run's start time", "runId", runID, "error", err)
		return messageIDs(ds)
	}
	r := run.Run{RunId: runID, DatasetId: ds[0].task.DatasetId, ScheduleId: ds[0].task.ScheduleId, StartedAt: &started}
	done, err := w.committed(ctx, r, ds)
	if err != nil {
		w.Log.ErrorContext(ctx, "read the catalog's gates", "runId", runID, "error", err)
		return messageIDs(ds)
	}
	b := &batch{w: w, r: r}
	b.commitAll(ctx, w.copyAll(ctx, unique(ds), done))
	if !w.finish(ctx, r, b.release) {
		return messageIDs(ds)
	}
	return b.retry
}

// messageIDs are the ids of ds: the whole batch, to retry.
func messageIDs(ds []delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.messageID
	}
	return ids
}

// unique keeps one delivery of each file: the same task twice in one batch
// (the planner's send retried after a lost answer, SQS's at-least-once
// delivery) is copied once and the others are acknowledged with it; one
// transaction cannot hold the same item twice.
func unique(ds []delivery) []delivery {
	seen := make(map[string]bool, len(ds))
	out := ds[:0:0]
	for _, d := range ds {
		if !seen[d.task.Name] {
			seen[d.task.Name] = true
			out = append(out, d)
		}
	}
	return out
}

// copyAll ingests the deliveries not committed before (done), Parallel at
// a time, and sends their outcomes; the channel closes when all are done.
func (w *Worker) copyAll(ctx context.Context, ds []delivery, done map[string]dataset.File) <-chan outcome {
	outcomes := make(chan outcome)
	go func() {
		defer close(outcomes)
		cutoff := startCutoff(ctx)
		// Parallel goroutines take the tasks in turn, rather than one
		// goroutine per task: the SDK's deep call stack grows each new
		// goroutine's stack, and those copies were a tenth of the CPU.
		jobs := make(chan delivery)
		var wg sync.WaitGroup
		for range min(max(w.Parallel, 1), len(ds)) {
			wg.Go(func() {
				for d := range jobs {
					outcomes <- w.attempt(ctx, d, cutoff)
				}
			})
		}
		for _, d := range ds {
			if f, ok := done[d.task.Name]; ok { // delivered again after it was committed
				if f.Key != d.task.TargetKey || f.State == dataset.InDLZ { // not the LZ object the catalog names (a file that failed validation stays there)
					w.clearLZ(ctx, d.task)
				}
				continue
			}
			jobs <- d
		}
		close(jobs)
		wg.Wait()
	}()
	return outcomes
}

// batch gathers the outcomes of one run's deliveries and commits them in
// chunks of CommitChunk.
type batch struct {
	w              *Worker
	r              run.Run
	pending        []run.FileResult
	listed         []report.Listed // what the listing said of pending's files
	pendingIDs     []string        // the messages that pending settles
	retry, release []string        // message ids to retry; receipt handles to release at once
}

// commitAll commits every outcome, a chunk at a time.
func (b *batch) commitAll(ctx context.Context, outcomes <-chan outcome) {
	for o := range outcomes {
		if o.notStarted && o.res == nil && o.d.receiptHandle != "" {
			b.release = append(b.release, o.d.receiptHandle)
		}
		if o.err != nil {
			b.w.Log.WarnContext(ctx, "task will be retried", "runId", b.r.RunId, "key", o.d.task.Key, "receives", o.d.receives, "error", o.err)
			b.retry = append(b.retry, o.d.messageID)
		}
		if o.res != nil {
			b.pending = append(b.pending, *o.res)
			b.listed = append(b.listed, listedOf(o.d.task))
			if o.err == nil {
				b.pendingIDs = append(b.pendingIDs, o.d.messageID)
			}
		}
		if len(b.pending) >= CommitChunk {
			b.commit(ctx)
		}
	}
	b.commit(ctx)
}

// commit commits the pending outcomes; if it fails, their messages are retried.
func (b *batch) commit(ctx context.Context) {
	if len(b.pending) == 0 {
		return
	}
	part, err := b.w.beginPart(ctx, b.r.RunId, b.pending, b.listed)
	if err != nil { // no commit without its report rows
		b.w.Log.ErrorContext(ctx, "write report part", "runId", b.r.RunId, "files", len(b.pending), "error", err)
		b.retry = append(b.retry, b.pendingIDs...)
	} else if committed, err := b.w.Store.CommitOutcomes(ctx, b.r, b.pending); err != nil {
		b.w.settlePart(ctx, part, committed, err)
		b.w.Log.ErrorContext(ctx, "commit files", "runId", b.r.RunId, "files", len(b.pending), "error", err)
		b.retry = append(b.retry, b.pendingIDs...)
	} else {
		b.w.settlePart(ctx, part, committed, nil)
		b.w.emitCommitted(ctx, b.r.RunId, b.pending)
	}
	b.pending, b.listed, b.pendingIDs = b.pending[:0], b.listed[:0], b.pendingIDs[:0]
}

// finish hands back the tasks not started, renews the run's lease and ends
// the run if this batch was its last; false if that check failed, so the
// batch is retried.
func (w *Worker) finish(ctx context.Context, r run.Run, release []string) bool {
	if len(release) > 0 && w.Queue != nil {
		if err := w.Queue.Release(context.WithoutCancel(ctx), release); err != nil {
			w.Log.WarnContext(ctx, "release tasks not started", "runId", r.RunId, "tasks", len(release), "error", err)
		}
	}
	w.renewLease(ctx, r)
	done, ended, err := w.complete(ctx, r.RunId)
	if err != nil {
		// This batch may have been the run's last: its redelivery, which
		// finds it committed, checks again.
		w.Log.ErrorContext(ctx, "complete run", "runId", r.RunId, "error", err)
		return false
	}
	if ended {
		emitEnd(ctx, w.Log, w.Metrics, done)
		announce(ctx, w.Events, done.RunId)
	}
	return true
}

// outcome is what became of one delivery in a batch.
type outcome struct {
	d          delivery
	res        *run.FileResult // the outcome to commit, if any
	err        error           // why the message goes back to the queue, if it does
	notStarted bool
}

// attempt ingests d's file, unless the batch's time to start copies has
// passed. On d's last delivery a failure becomes the file's outcome.
func (w *Worker) attempt(ctx context.Context, d delivery, cutoff time.Time) outcome {
	if time.Now().After(cutoff) {
		o := outcome{d: d, err: errors.New("not started: the invocation's time ran short"), notStarted: true}
		if w.lastDelivery(d) { // no later delivery would try it: the run records it and ends
			res := failedFile(d.task, "not copied: the worker ran out of time on the last of "+rules.Count(d.receives, "delivery", "deliveries"))
			o.res = &res
		}
		return o
	}
	res, err := w.ingest(ctx, d.task)
	switch {
	case err != nil && w.lastDelivery(d):
		res = failedFile(d.task, fmt.Sprintf("gave up after %s: %v", rules.Count(d.receives, "attempt", "attempts"), err))
		return outcome{d: d, res: &res, err: err} // recorded, and to the dead-letter queue too
	case err != nil:
		return outcome{d: d, err: err}
	}
	return outcome{d: d, res: &res}
}

// runStarted is the start time t's run commits under: the task's, or, for
// a task the planner sent before tasks carried it, the run record's (an
// ended run that never had one commits under its creation time; a run
// still planning gets one from the planner, so its tasks wait for it).
func (w *Worker) runStarted(ctx context.Context, runID string, t Task) (time.Time, error) {
	if !t.RunStarted.IsZero() {
		return t.RunStarted, nil
	}
	r, err := w.Store.GetRunRecord(ctx, runID)
	switch {
	case err != nil:
		return time.Time{}, err
	case r.StartedAt != nil:
		return *r.StartedAt, nil
	case r.State.Ended():
		return r.CreatedAt, nil
	}
	return time.Time{}, fmt.Errorf("run %s has no start time yet", runID)
}

// clearLZ removes what a delivery of a committed task may have left in
// the LZ: a duplicate that copied the file in after the committed one had
// moved it on, then failed before its own move. Nothing else writes that
// key, and a delete of nothing is harmless.
func (w *Worker) clearLZ(ctx context.Context, t Task) {
	if landing(t) != rules.LZ || w.Copier == nil {
		return
	}
	if _, err := w.Copier.Target.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(w.LZBucket), Key: aws.String(t.TargetKey)}); err != nil {
		w.Log.WarnContext(ctx, "clear the LZ of a committed task", "runId", t.RunId, "key", t.TargetKey, "error", err)
	}
}

// lastDelivery says whether the queue will not deliver d again: its
// failure goes to the dead-letter queue, so the run must record it.
func (w *Worker) lastDelivery(d delivery) bool {
	return w.MaxReceiveCount > 0 && d.receives >= w.MaxReceiveCount
}

// MaxKeyBytes is S3's limit on an object key.
const MaxKeyBytes = 1024

// CommitChunk is how many outcomes the worker commits at once. A copied
// file's catalog entry is a conditional PutItem of its own and takes no
// item of the commit's transaction (which holds the commit's record and
// the run's counter item); a skipped or failed file takes two (its gate
// and its listing) of a transaction's 100, and CommitOutcomes splits a
// chunk that needs more.
const CommitChunk = 99

// startCutoff is when a batch stops starting copies: a quarter of the
// invocation's remaining time (at least 10 s) is kept for the copies in
// flight and the commit.
func startCutoff(ctx context.Context) time.Time {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(24 * time.Hour)
	}
	left := time.Until(dl)
	return dl.Add(-max(left/4, 10*time.Second))
}

// emitCommitted writes the metrics of committed outcomes.
func (w *Worker) emitCommitted(ctx context.Context, runID string, committed []run.FileResult) {
	c := run.CountsOf(committed)
	emit(ctx, w.Log, w.Metrics, runID, metrics.ObjectsCopied.Of(float64(c.Copied)), metrics.BytesCopied.Of(float64(c.BytesCopied)),
		metrics.FilesSkippedStorageClass.Of(float64(c.SkippedStorageClass)), metrics.FilesFailed.Of(float64(c.Failed+c.FailedValidation)))
}

// committed returns which tasks were committed before: only redelivered
// messages may have been, so a batch of first deliveries reads nothing.
// (A duplicate first delivery redoes the copy, which lands on the same
// keys, and its commit is refused: counts stay exact.)
func (w *Worker) committed(ctx context.Context, r run.Run, ds []delivery) (map[string]dataset.File, error) {
	var names []string
	for _, d := range ds {
		if d.receives > 1 {
			names = append(names, d.task.Name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	return w.Store.CommittedTasks(ctx, r, names)
}

// complete ends the run if this batch was its last. Once a worker has seen
// the run's planning end, it reads only the counters from then on.
func (w *Worker) complete(ctx context.Context, runID string) (run.Run, bool, error) {
	if v, ok := w.planned.Load(runID); ok {
		return w.Store.CompleteIfPlanned(ctx, v.(run.Run))
	}
	r, ended, err := w.Store.CompleteIfDone(ctx, runID)
	if err == nil && r.PlanningDone && !r.State.Ended() {
		w.planned.Store(runID, r)
	}
	return r, ended, err
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// ingest copies one file per the version rules and returns its outcome; an
// error means "retry later".
func (w *Worker) ingest(ctx context.Context, t Task) (run.FileResult, error) {
	conn, err := w.connection(ctx, t.ConnectionId)
	if err != nil {
		return run.FileResult{Name: t.Name, SourceKey: t.Key}, err
	}
	src, err := w.Sources.Open(ctx, conn)
	var re *source.RegionError
	if errors.As(err, &re) {
		return failedFile(t, re.Reason), nil
	}
	if err != nil {
		return run.FileResult{Name: t.Name, SourceKey: t.Key}, err
	}
	if reason := unsafeTask(t); reason != "" {
		return failedFile(t, reason), nil // the planner sends no such task: refuse it, copying nothing
	}
	res, obj, err := w.copyIn(ctx, src, conn, t)
	res.Reconciled, res.FromEvent = t.Reconcile, t.Event
	if err != nil || res.Outcome != "" {
		return res, err
	}
	file := &dataset.File{
		Name: t.Name, SourceKey: t.Key, Size: obj.Size, SourceETag: obj.ETag, RunId: t.RunId,
		IngestedAt: w.now().UTC(), State: dataset.InDLZ, Key: t.TargetKey, Checksum: copiedChecksum(res),
	}
	res.File, res.Bytes, res.NoEntry = file, obj.Size, t.NoEntry
	res.Restored = obj.Restored()
	res.EndsRestore = t.Restore != nil && obj.Class.MayNeedRestore() // Intelligent-Tiering shows no restored copy
	if landing(t) == rules.DLZ {
		return res, nil
	}
	return w.settle(ctx, t, res)
}

// copyIn copies t's object into the zone it lands in, if the rules copy
// it, and returns the outcome (Outcome set if it was not copied) and the
// object as copied. The listing gave the object's class, size and ETag.
// Objects of a class that can be read at once are copied on that word,
// the copy conditional on the ETag (a server-side copy: the platform's
// role reads the source); archived classes and streamed copies read the
// object's current state first, and so does a copy whose ETag no longer
// matches (the object changed after the listing).
func (w *Worker) copyIn(ctx context.Context, src Source, conn connection.Connection, t Task) (run.FileResult, rules.Object, error) {
	res := run.FileResult{Name: t.Name, SourceKey: t.Key}
	obj := t.object()
	serverSide := src.Copier != nil
	fresh := !serverSide || obj.Class.MayNeedRestore() || obj.ETag == ""
	zone := w.bucket(landing(t))
	var err error
	var sum Sum
	for {
		if fresh {
			if obj, err = w.head(ctx, src.Reader, t); err != nil {
				res, err := headFailed(t, conn, err)
				return res, obj, err
			}
			if rules.Deferred(obj.LastModified, t.RunStarted) { // overwritten since the run started
				res.Outcome, res.Reason = run.OutcomeDeferred, rules.DeferredReason
				return res, obj, nil
			}
		}
		res.StorageClass = string(obj.Class)
		switch action, reason := t.Version.AtCopy(obj, t.Restore); action {
		case rules.Restore, rules.Restoring:
			res, err := w.restore(ctx, src, conn, t, obj, action == rules.Restore)
			return res, obj, err
		case rules.Skip:
			res.Outcome, res.Reason = run.OutcomeSkippedStorageClass, reason
			return res, obj, nil
		case rules.Fail:
			res.Outcome, res.Reason = run.OutcomeFailed, reason
			return res, obj, nil
		}
		if len(t.TargetKey) > MaxKeyBytes { // S3 would refuse it: no copy can succeed
			res.Outcome, res.Reason = run.OutcomeFailed, fmt.Sprintf("its key in the data lake would be %d bytes long; S3 allows %d", len(t.TargetKey), MaxKeyBytes)
			return res, obj, nil
		}
		if serverSide {
			sum, err = w.Copier.From(src.Copier, src.Owner).ServerSide(ctx, t.Bucket, t.Key, obj.Size, obj.ETag, Sum{}, zone, t.TargetKey)
		} else {
			sum, err = w.stream(ctx, src.Reader, t, obj, zone)
		}
		// Changed since the listing (another ETag), or archived since:
		// read its current state and apply the rules again.
		if code := errorCode(err); fresh || (code != "PreconditionFailed" && code != "InvalidObjectState") {
			break
		}
		fresh = true
	}
	if vanished(err) {
		res.Outcome, res.Reason = run.OutcomeVanished, rules.VanishedReason
		return res, obj, nil
	} else if reason, ok := permanent(err, conn); err != nil && ok {
		res.Outcome, res.Reason = run.OutcomeFailed, reason
		return res, obj, nil
	} else if err != nil {
		return res, obj, fmt.Errorf("copy: %w", err)
	}
	res.File = &dataset.File{Checksum: sum.String()} // ingest completes the catalog entry
	return res, obj, nil
}

// settle validates a file landed in the LZ and moves it on to the DLZ; a
// file that fails validation stays in the LZ, out of the DLZ.
func (w *Worker) settle(ctx context.Context, t Task, res run.FileResult) (run.FileResult, error) {
	if err := w.validate(ctx, t, res.Bytes); err != nil {
		var invalid *filecheck.Error
		if !errors.As(err, &invalid) {
			return res, fmt.Errorf("validate: %w", err)
		}
		res.File.State, res.File.Reason = dataset.FailedValidation, invalid.Reason
		res.Outcome, res.Reason = run.OutcomeFailedValidation, invalid.Reason
		return res, nil
	}
	moved, err := w.Copier.ServerSide(ctx, w.LZBucket, t.TargetKey, res.Bytes, "", ParseSum(res.File.Checksum), w.DLZBucket, t.TargetKey)
	if reason, ok := mismatchReason(err); ok {
		return w.moveFailed(ctx, t, reason)
	} else if err != nil {
		return res, fmt.Errorf("move to DLZ: %w", err)
	}
	if moved.Known() {
		res.File.Checksum = moved.String()
	}
	if _, err := w.Copier.Target.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(w.LZBucket), Key: aws.String(t.TargetKey)}); err != nil {
		return res, fmt.Errorf("remove from LZ: %w", err)
	}
	return res, nil
}

// validate reads the landed file from the LZ and checks it against the
// dataset's file type; Parquet needs only both ends.
func (w *Worker) validate(ctx context.Context, t Task, size int64) error {
	get := func(rng string) (io.ReadCloser, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(w.LZBucket), Key: aws.String(t.TargetKey)}
		if rng != "" {
			in.Range = aws.String(rng)
		}
		out, err := w.Copier.Target.GetObject(ctx, in)
		if err != nil {
			return nil, err
		}
		return out.Body, nil
	}
	if t.FileType == dataset.Parquet && size >= 8 {
		head, err := readAll(get(fmt.Sprintf("bytes=0-%d", 3)))
		if err != nil {
			return err
		}
		tail, err := readAll(get(fmt.Sprintf("bytes=%d-%d", size-4, size-1)))
		if err != nil {
			return err
		}
		return filecheck.ParquetEnds(head, tail, size)
	}
	body, err := get("")
	if err != nil {
		return err
	}
	defer body.Close()
	return filecheck.File(string(t.FileType), body, size)
}

func readAll(r io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 16))
}

// stream copies with the source's credentials within the worker's memory
// budget: a streamed file holds up to PartSize × Copier.Parallel bytes.
func (w *Worker) stream(ctx context.Context, src SourceReader, t Task, obj rules.Object, zone string) (Sum, error) {
	if w.StreamBudget > 0 {
		w.streamsOnce.Do(func() { w.streams = semaphore.NewWeighted(w.StreamBudget) })
		need := min(max(obj.Size, 1), w.Copier.PartSize*int64(max(w.Copier.Parallel, 1)), w.StreamBudget)
		if err := w.streams.Acquire(ctx, need); err != nil {
			return Sum{}, err
		}
		defer w.streams.Release(need)
	}
	return w.Copier.Stream(ctx, src, t.Bucket, t.Key, obj.Size, obj.ETag, zone, t.TargetKey)
}

// landing is the zone t's file lands in first.
func landing(t Task) rules.Zone {
	return t.Version.Zone(t.SkipLZ, filecheck.Inspects(string(t.FileType)))
}

// bucket is the platform's bucket of zone z.
func (w *Worker) bucket(z rules.Zone) string {
	if z == rules.DLZ {
		return w.DLZBucket
	}
	return w.LZBucket
}

// head reads the object's current state.
func (w *Worker) head(ctx context.Context, src SourceReader, t Task) (rules.Object, error) {
	h, err := src.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(t.Bucket), Key: aws.String(t.Key)})
	if err != nil {
		return rules.Object{}, err
	}
	return rules.Object{
		Class: rules.Class(string(h.StorageClass)), Size: aws.ToInt64(h.ContentLength), ETag: strings.Trim(aws.ToString(h.ETag), `"`),
		ArchiveStatus: string(h.ArchiveStatus), Restore: aws.ToString(h.Restore), LastModified: aws.ToTime(h.LastModified),
	}, nil
}

// headFailed turns a failed HeadObject into the file's outcome or a retry.
func headFailed(t Task, conn connection.Connection, err error) (run.FileResult, error) {
	if vanished(err) {
		return run.FileResult{Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeVanished, Reason: rules.VanishedReason}, nil
	}
	if reason, ok := permanent(err, conn); ok {
		return failedFile(t, reason), nil
	}
	return run.FileResult{Name: t.Name, SourceKey: t.Key}, err
}

// failedFile is the outcome of a file that could not be copied.
// unsafeTask says why t must not be copied though it decoded: a task is
// data from the queue, so the worker checks again what the planner checked
// (rules.UnsafeName), and that the target key is a safe path.
func unsafeTask(t Task) string {
	if reason := rules.UnsafeName(t.Name); reason != "" {
		return "refused: its name is unsafe in a data lake key: " + reason
	}
	if reason := rules.UnsafePath(t.TargetKey); reason != "" {
		return "refused: its target key is unsafe: " + reason
	}
	return ""
}

func failedFile(t Task, reason string) run.FileResult {
	return run.FileResult{Name: t.Name, SourceKey: t.Key, Outcome: run.OutcomeFailed, Reason: reason}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// vanished says whether err says the source object is gone: deleted after
// the listing (a copy's or a read's NoSuchKey, a HEAD's 404).
func vanished(err error) bool {
	code := errorCode(err)
	return code == "NoSuchKey" || code == "NotFound"
}

// permanent says whether err cannot heal by retrying, and why in words.
func permanent(err error, c connection.Connection) (string, bool) {
	if reason, ok := mismatchReason(err); ok { // the copy was removed
		return reason, true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AllAccessDisabled":
		return source.Explain(err, c), true
	case "InvalidObjectState":
		return "the file is archived and not restored", true
	}
	return "", false
}
