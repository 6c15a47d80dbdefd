package metadata

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/run"
)

// An expired lease is cleared without waiting for the dataset's next
// run: the sweep fails its run with the reason and frees the dataset,
// once; a live lease and a run that ended are left alone.
func TestExpireLeasesEndsOnlyExpiredRuns(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	now := time.Now()
	expired, live, done := newDataset(t, s, "expired"), newDataset(t, s, "live"), newDataset(t, s, "done")
	rExpired, rLive, rDone := newRun(t, expired), newRun(t, live), newRun(t, done)
	for r, until := range map[*run.Run]time.Time{&rExpired: now.Add(-time.Minute), &rLive: now.Add(time.Hour), &rDone: now.Add(time.Hour)} {
		if err := s.StartRun(ctx, *r, until); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishRun(ctx, rDone, run.Succeeded, ""); err != nil {
		t.Fatal(err)
	}
	if id, err := s.ActiveRun(ctx, expired.DatasetId); err != nil || id != rExpired.RunId {
		t.Errorf("ActiveRun = %q, %v; want %s", id, err, rExpired.RunId)
	}

	ended, err := s.ExpireLeases(ctx, now)
	if err != nil || !slices.Equal(ended, []string{rExpired.RunId}) {
		t.Fatalf("ExpireLeases = %v, %v; want only %s", ended, err, rExpired.RunId)
	}
	got, err := s.GetRunRecord(ctx, rExpired.RunId)
	if err != nil || got.State != run.Failed || got.Reason != LeaseExpiredReason || got.FinishedAt == nil {
		t.Errorf("expired run: %s %q at %v (%v), want failed: %s", got.State, got.Reason, got.FinishedAt, err, LeaseExpiredReason)
	}
	wantLease(t, s, expired.DatasetId, "", time.Time{})
	wantLease(t, s, live.DatasetId, rLive.RunId, now.Add(time.Hour))
	if got, _ := s.GetRunRecord(ctx, rLive.RunId); got.State.Ended() {
		t.Errorf("the live run ended: %s", got.State)
	}
	if got, _ := s.GetRunRecord(ctx, rDone.RunId); got.State != run.Succeeded {
		t.Errorf("the finished run is %s now, want succeeded", got.State)
	}

	// Again: nothing left to end; the entries of free datasets are gone.
	if ended, err := s.ExpireLeases(ctx, now); err != nil || len(ended) != 0 {
		t.Errorf("second sweep = %v, %v; want nothing", ended, err)
	}
	entries, err := queryAll[leaseEntry](ctx, s.client, s.query(leaseIndexQuery()))
	if err != nil || len(entries) != 1 || entries[0].RunId != rLive.RunId {
		t.Errorf("lease index %+v (%v), want only the live run's entry", entries, err)
	}
	// The dataset is free for a new run, which the sweep leaves alone.
	next := newRun(t, expired)
	if err := s.StartRun(ctx, next, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ended, err := s.ExpireLeases(ctx, now); err != nil || len(ended) != 0 {
		t.Errorf("sweep after a new run = %v, %v; want nothing", ended, err)
	}
	wantLease(t, s, expired.DatasetId, next.RunId, now.Add(time.Hour))
}
