package eventingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// Store is what the events function reads and writes in the metadata table.
type Store interface {
	// EventDatasets are the ids of the event-driven datasets of bucket.
	EventDatasets(ctx context.Context, bucket string) ([]string, error)
	GetDataset(ctx context.Context, id string) (dataset.Dataset, error)
	GetConnection(ctx context.Context, id string) (connection.Connection, error)
	SchedulesOfDataset(ctx context.Context, id string) ([]dataset.ScheduleRef, error)
	// CatalogNames reads the catalog's latest version of names.
	CatalogNames(ctx context.Context, datasetID string, names []string) (map[string]dataset.File, error)
	// CommittedTasks returns those of names committed under r's gate or a later one.
	CommittedTasks(ctx context.Context, r run.Run, names []string) (map[string]dataset.File, error)
	// JoinRun counts n tasks on the run holding the dataset's lease, or
	// starts fresh and counts them on it; UnjoinRun takes them back.
	JoinRun(ctx context.Context, datasetID string, fresh func() (run.Run, error), n int64, now time.Time) (run.Run, error)
	UnjoinRun(ctx context.Context, runID string, n int64) error
	// CloseRollingRun closes a rolling run that reached its size cap.
	CloseRollingRun(ctx context.Context, r run.Run) (bool, error)
}

// TaskSender sends copy tasks to the workers' queue.
type TaskSender interface {
	Send(ctx context.Context, tasks []ingest.Task) error
}

// Handler is the events function's handler.
type Handler struct {
	Store   Store
	Tasks   TaskSender
	Log     *slog.Logger
	Metrics *metrics.Emitter
	// Cap closes a rolling run once it holds that many tasks (zero:
	// ingest.DefaultRollingCap).
	Cap int64
	Now func() time.Time
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// Handle ingests one event. A dropped event is no error (retrying cannot
// change it); an error is transient, and EventBridge retries the event.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	ev, err := Decode(raw)
	if err != nil {
		h.drop(ctx, Event{}, "", "", err.Error())
		return nil
	}
	bucket, key, reason := ev.object()
	if reason != "" {
		h.drop(ctx, ev, bucket, key, reason)
		return nil
	}
	ids, err := h.Store.EventDatasets(ctx, bucket)
	if err != nil {
		return err
	}
	accepted, reasons := 0, []string{"no event-driven dataset of this bucket"}
	for _, id := range ids {
		ok, why, err := h.forDataset(ctx, ev, id, key)
		if err != nil {
			return err
		}
		if ok {
			accepted++
		} else {
			reasons = append(reasons, why)
		}
	}
	if accepted == 0 {
		h.drop(ctx, ev, bucket, key, strings.Join(reasons[min(1, len(reasons)-1):], "; "))
		return nil
	}
	h.emit(ctx, metrics.EventsAccepted.Of(float64(accepted)))
	return nil
}

// forDataset sends ev's task to dataset id if it accepts the event, or
// says why it does not.
func (h *Handler) forDataset(ctx context.Context, ev Event, id, key string) (bool, string, error) {
	d, err := h.Store.GetDataset(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return false, "dataset " + id + " is gone", nil
	} else if err != nil {
		return false, "", err
	}
	c, err := h.Store.GetConnection(ctx, d.ConnectionId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return false, "the connection of dataset " + id + " is gone", nil
	} else if err != nil {
		return false, "", err
	}
	if why := accepts(ev, key, d, c); why != "" {
		return false, why, nil
	}
	t := task(ev, key, d, c)
	if why, err := h.decide(ctx, ev, t); why != "" || err != nil {
		return false, why, err
	}
	return true, "", h.send(ctx, d, t)
}

// accepts says why dataset d on connection c refuses an event for key,
// or "" when it takes it: the event's account must be the connection's
// S3BucketOwner (a bucket of another account may bear the same name in
// its event), its bucket the connection's, and the key a file of the
// dataset (under its DirectoryPath, of its FileType).
func accepts(ev Event, key string, d dataset.Dataset, c connection.Connection) string {
	switch {
	case !d.EventDriven():
		return "dataset " + d.DatasetId + " is not event-driven"
	case c.S3BucketOwner == "" || ev.Account != c.S3BucketOwner:
		return "the event's account is not the S3BucketOwner of connection " + c.ConnectionId
	case ev.Detail.Bucket.Name != c.S3Bucket:
		return "the event's bucket is not connection " + c.ConnectionId + "'s"
	case !strings.HasPrefix(key, d.DirectoryPath) || !d.FileType.Matches(key):
		return "the key is not a file of dataset " + d.DatasetId + " (DirectoryPath, FileType)"
	case !c.CanSee(d.CreatedBy):
		return "the owner of dataset " + d.DatasetId + " may no longer use connection " + c.ConnectionId
	}
	return ""
}

// task is the copy task of ev for d, before it joins a run.
func task(ev Event, key string, d dataset.Dataset, c connection.Connection) ingest.Task {
	return ingest.Task{
		DatasetId: d.DatasetId, ConnectionId: c.ConnectionId, Bucket: c.S3Bucket, Key: key, Name: d.Name(key),
		Size: ev.Detail.Object.Size, ETag: strings.Trim(ev.Detail.Object.ETag, `"`), Version: c.Version,
		FileType: d.FileType, SkipLZ: d.SkipLZ, RunStarted: ev.Gate(), Event: true,
	}
}

// decide applies the planner's rules to t (rules.Version.Listed: unsafe
// names, unchanged files) and the catalog's gate: a name committed under
// the event's gate or a later one is a duplicate or an older event. It
// says why t is not sent, "" to send it.
func (h *Handler) decide(ctx context.Context, ev Event, t ingest.Task) (string, error) {
	gate := t.RunStarted
	done, err := h.Store.CommittedTasks(ctx, run.Run{RunId: "event-" + ev.ID, DatasetId: t.DatasetId, StartedAt: &gate}, []string{t.Name})
	if err != nil {
		return "", err
	}
	if _, ok := done[t.Name]; ok {
		return "a duplicate event, or older than the version catalogued", nil
	}
	catalog, err := h.Store.CatalogNames(ctx, t.DatasetId, []string{t.Name})
	if err != nil {
		return "", err
	}
	var latest *rules.Catalogued
	if f, ok := catalog[t.Name]; ok {
		latest = &rules.Catalogued{Size: f.Size, ETag: f.SourceETag, RunId: f.RunId}
	}
	obj := rules.Object{Name: t.Name, Size: t.Size, ETag: t.ETag}
	switch plan, reason := t.Version.Listed(rules.PlanPass, obj, latest, ""); plan {
	case rules.SkipUnchanged:
		return "unchanged: the catalog holds this name with the same size and ETag", nil
	case rules.SkipUnsafeKey:
		return reason, nil
	}
	return "", nil
}

// send adds t to the run holding d's lease (or a new rolling run) and
// sends it; a rolling run that reaches the cap is closed.
func (h *Handler) send(ctx context.Context, d dataset.Dataset, t ingest.Task) error {
	fresh := func() (run.Run, error) { return h.rollingRun(ctx, d) }
	r, err := h.Store.JoinRun(ctx, d.DatasetId, fresh, 1, h.now())
	if err != nil {
		return err
	}
	t.RunId, t.TargetKey = r.RunId, d.TargetKey(r.UploadDate(), t.Name)
	t.ScheduleId, t.Restore = r.ScheduleId, d.RestoreArchived // a rolling run has no schedule: its restores wait for the next reconciling run
	if err := h.Tasks.Send(ctx, []ingest.Task{t}); err != nil {
		if uerr := h.Store.UnjoinRun(context.WithoutCancel(ctx), r.RunId, 1); uerr != nil {
			h.Log.ErrorContext(ctx, "take back an unsent event task", "runId", r.RunId, "error", uerr)
		}
		return fmt.Errorf("send the task of dataset %s: %w", d.DatasetId, err)
	}
	limit := h.Cap
	if limit <= 0 {
		limit = ingest.DefaultRollingCap
	}
	if r.Trigger == run.Events && !r.PlanningDone && r.TasksPlanned >= limit {
		if _, err := h.Store.CloseRollingRun(ctx, r); err != nil {
			h.Log.WarnContext(ctx, "close a full rolling run", "runId", r.RunId, "error", err)
		}
	}
	return nil
}

// rollingRun is the run d's event starts when no run holds d: an open
// rolling run, listed under d's first schedule (if any), visible to
// those who may see d.
func (h *Handler) rollingRun(ctx context.Context, d dataset.Dataset) (run.Run, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return run.Run{}, err
	}
	refs, err := h.Store.SchedulesOfDataset(ctx, d.DatasetId)
	if err != nil {
		return run.Run{}, err
	}
	scheduleID := ""
	if len(refs) > 0 {
		scheduleID = refs[0].ScheduleId
	}
	now := h.now()
	return run.Run{
		RunId: id.String(), ScheduleId: scheduleID, DatasetId: d.DatasetId, Trigger: run.Events, TriggeredBy: "events",
		State: run.Running, Phase: string(rules.PlanPass), CreatedBy: d.CreatedBy, AuthorizedUsers: d.AuthorizedUsers,
		CreatedAt: now.Truncate(time.Second), StartedAt: &now,
	}, nil
}

// drop logs and counts a refused event: what it named, never a secret.
func (h *Handler) drop(ctx context.Context, ev Event, bucket, key, reason string) {
	h.Log.InfoContext(ctx, "event dropped", "eventId", ev.ID, "account", ev.Account, "bucket", bucket, "key", key, "reason", reason)
	h.emit(ctx, metrics.EventsDropped.Of(1))
}

func (h *Handler) emit(ctx context.Context, values ...metrics.Value) {
	if h.Metrics == nil {
		return
	}
	if err := h.Metrics.Emit(nil, values...); err != nil {
		h.Log.WarnContext(ctx, "metrics", "error", err)
	}
}
