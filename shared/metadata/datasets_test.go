package metadata

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
	"github.com/google/uuid"
)

// A dataset's writes hold its guards, each in the transaction that could
// break it: a name unique in its domain, a connection that exists (at a
// version that allows skip-LZ, for a skip-LZ dataset), no delete while a
// schedule or a live run holds the dataset; and they keep the connection's
// counters in step.
func TestCreateDatasetGuards(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c18, c17 := conn("c18", "owner"), conn("c17", "owner")
	c17.Version = rules.V1_7
	for _, c := range []connection.Connection{c18, c17} {
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	d := datasetOn(c18, "Orders", true)
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    dataset.Dataset
		want error
	}{
		{"its name in another case", datasetOn(c18, "ORDERS", false), dataset.ErrNameTaken},
		{"no such connection", datasetOn(connection.Connection{ConnectionId: "nope"}, "other", false), dataset.ErrConnectionChanged},
		{"skip-LZ on 1.7", datasetOn(c17, "other", true), dataset.ErrConnectionChanged},
	} {
		if err := s.CreateDataset(ctx, tc.d); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	again := d
	again.DatasetName = "renamed"
	if err := s.CreateDataset(ctx, again); err == nil || errors.Is(err, dataset.ErrNameTaken) || errors.Is(err, dataset.ErrConnectionChanged) {
		t.Errorf("the same id again: %v, want an error of its own", err)
	}
	if err := s.CreateDataset(ctx, datasetOn(c17, "renamed", false)); err != nil {
		t.Errorf("a name a failed create would have claimed: %v", err)
	}
	wantUsage(t, s, c18.ConnectionId, 1, 1)
	wantUsage(t, s, c17.ConnectionId, 1, 0)
	refs, err := s.DatasetsOfConnection(ctx, c18.ConnectionId)
	if err != nil || len(refs) != 1 || refs[0].DatasetId != d.DatasetId || !refs[0].SkipLZ {
		t.Errorf("datasets of the connection: %+v (%v)", refs, err)
	}
	if got, _, err := s.ListDatasets(ctx, "reader", 10, ""); err != nil || len(got) != 2 {
		t.Errorf("a reader's datasets: %+v (%v), want the two created", got, err)
	}
}

func TestUpdateDatasetGuards(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c18, c17 := conn("c18", "owner"), conn("c17", "owner")
	c17.Version = rules.V1_7
	for _, c := range []connection.Connection{c18, c17} {
		if err := s.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	on17, on18 := datasetOn(c17, "on17", false), datasetOn(c18, "on18", false)
	for _, d := range []dataset.Dataset{on17, on18} {
		if err := s.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateDataset(ctx, on17, revised(on17, true)); !errors.Is(err, dataset.ErrConnectionChanged) {
		t.Errorf("skip-LZ on 1.7: %v, want ErrConnectionChanged", err)
	}
	skipping := revised(on18, true)
	skipping.AuthorizedUsers = []string{"owner"}
	if err := s.UpdateDataset(ctx, on18, skipping); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, c18.ConnectionId, 1, 1)
	if err := s.UpdateDataset(ctx, on18, revised(on18, false)); !errors.Is(err, dataset.ErrConcurrentChange) {
		t.Errorf("an update from a stale revision: %v, want ErrConcurrentChange", err)
	}
	if err := s.UpdateDataset(ctx, skipping, revised(skipping, false)); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, c18.ConnectionId, 1, 0)
	if got, _, err := s.ListDatasets(ctx, "reader", 10, ""); err != nil || len(got) != 1 || got[0].DatasetId != on17.DatasetId {
		t.Errorf("a reader's datasets after one update removed them: %+v (%v)", got, err)
	}
}

func TestDeleteDatasetGuardsSchedules(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	plain, scheduled := datasetOn(c, "plain", true), datasetOn(c, "scheduled", false)
	for _, d := range []dataset.Dataset{plain, scheduled} {
		if err := s.CreateDataset(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	wantUsage(t, s, c.ConnectionId, 2, 1)
	// No state item at all: no schedule, no run.
	if err := s.DeleteDataset(ctx, plain); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, s, c.ConnectionId, 1, 0)
	if err := s.CreateDataset(ctx, datasetOn(c, "PLAIN", false)); err != nil {
		t.Errorf("name claim left behind: %v", err)
	}
	sch := scheduleOf(scheduled)
	if err := s.CreateSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, scheduled); !errors.Is(err, dataset.ErrHasSchedules) {
		t.Errorf("delete with a schedule: %v, want ErrHasSchedules", err)
	}
	if err := s.DeleteSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	stale := scheduled
	stale.Revision++
	if err := s.DeleteDataset(ctx, stale); !errors.Is(err, dataset.ErrConcurrentChange) {
		t.Errorf("delete from a stale revision: %v, want ErrConcurrentChange", err)
	}
	if err := s.DeleteDataset(ctx, scheduled); err != nil {
		t.Errorf("delete once its schedule is gone (counter at 0): %v", err)
	}
	refs, err := s.DatasetsOfConnection(ctx, c.ConnectionId)
	if err != nil || len(refs) != 1 || refs[0].DatasetName != "PLAIN" {
		t.Errorf("datasets of the connection: %+v (%v), want PLAIN alone", refs, err)
	}
	wantUsage(t, s, c.ConnectionId, 1, 0)
}

func TestDeleteDatasetGuardsRuns(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	leased, expired := newDataset(t, s, "leased"), newDataset(t, s, "expired")
	r := newRun(t, leased)
	if err := s.StartRun(ctx, r, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, leased); !errors.Is(err, dataset.ErrRunInProgress) {
		t.Errorf("delete under a live lease: %v, want ErrRunInProgress", err)
	}
	if err := s.StartRun(ctx, newRun(t, expired), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, expired); err != nil {
		t.Errorf("delete under an expired lease: %v", err)
	}
	if err := s.FinishRun(ctx, r, run.Succeeded, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, leased); err != nil {
		t.Errorf("delete once the run released its lease: %v", err)
	}
}

// A schedule needs its dataset, and counts on it.
func TestScheduleGuardsAndCounter(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("c", "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := datasetOn(c, "d", false)
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSchedule(ctx, scheduleOf(dataset.Dataset{DatasetId: "nope"})); !errors.Is(err, schedule.ErrDatasetGone) {
		t.Errorf("a schedule of no dataset: %v, want ErrDatasetGone", err)
	}
	sch := scheduleOf(d)
	if err := s.CreateSchedule(ctx, sch); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSchedule(ctx, sch); err == nil || errors.Is(err, schedule.ErrDatasetGone) {
		t.Errorf("the same schedule again: %v, want an error of its own", err)
	}
	wantSchedules(t, s, d.DatasetId, 1)
	refs, err := s.SchedulesOfDataset(ctx, d.DatasetId)
	if err != nil || len(refs) != 1 || refs[0].ScheduleId != sch.ScheduleId {
		t.Errorf("schedules of the dataset: %+v (%v)", refs, err)
	}
	updated := sch
	updated.ScheduleName, updated.Revision = "renamed", sch.Revision+1
	if err := s.UpdateSchedule(ctx, sch, updated); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSchedule(ctx, sch, updated); !errors.Is(err, schedule.ErrConcurrentChange) {
		t.Errorf("an update from a stale revision: %v, want ErrConcurrentChange", err)
	}
	if err := s.DeleteSchedule(ctx, sch); !errors.Is(err, schedule.ErrConcurrentChange) {
		t.Errorf("a delete from a stale revision: %v, want ErrConcurrentChange", err)
	}
	if err := s.DeleteSchedule(ctx, updated); err != nil {
		t.Fatal(err)
	}
	wantSchedules(t, s, d.DatasetId, 0)
	if refs, err := s.SchedulesOfDataset(ctx, d.DatasetId); err != nil || len(refs) != 0 {
		t.Errorf("schedules of the dataset after the delete: %+v (%v)", refs, err)
	}
}

func datasetOn(c connection.Connection, name string, skipLZ bool) dataset.Dataset {
	return dataset.Dataset{DatasetId: uuid.NewString(), DatasetName: name, Domain: "tests", ConnectionId: c.ConnectionId,
		FileType: dataset.CSV, SkipLZ: skipLZ, CreatedBy: "owner", AuthorizedUsers: []string{"owner", "reader"}, Revision: 1}
}

func revised(d dataset.Dataset, skipLZ bool) dataset.Dataset {
	d.SkipLZ, d.Revision = skipLZ, d.Revision+1
	return d
}

// scheduleOf is a new schedule on d, with a name of its own (names are
// unique per dataset).
func scheduleOf(d dataset.Dataset) schedule.Schedule {
	id := uuid.NewString()
	return schedule.Schedule{ScheduleId: id, ScheduleName: "s-" + id[:8], DatasetId: d.DatasetId,
		CreatedBy: "owner", AuthorizedUsers: []string{"owner"}, Revision: 1}
}

func newRun(t *testing.T, d dataset.Dataset) run.Run {
	t.Helper()
	r, err := run.New(scheduleOf(d), run.OnDemand, "owner", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantUsage checks the connection's usage item: its counters and Kind.
func wantUsage(t *testing.T, s *Store, connID string, datasets, skipLZ int64) {
	t.Helper()
	var usage struct {
		Kind                     string
		Datasets, SkipLZDatasets int64
	}
	rawItem(t, s, usageKey(connID), &usage)
	if usage.Kind != "ConnectionUsage" || usage.Datasets != datasets || usage.SkipLZDatasets != skipLZ {
		t.Errorf("usage of connection %s: %+v, want %d datasets, %d skip-LZ", connID, usage, datasets, skipLZ)
	}
}

// wantSchedules checks the dataset's state item: its schedule counter and Kind.
func wantSchedules(t *testing.T, s *Store, datasetID string, n int64) {
	t.Helper()
	var st struct {
		Kind      string
		Schedules int64
	}
	rawItem(t, s, datasetStateKey(datasetID), &st)
	if st.Kind != "DatasetState" || st.Schedules != n {
		t.Errorf("state of dataset %s: %+v, want %d schedules", datasetID, st, n)
	}
}
