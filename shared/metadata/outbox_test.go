package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// wantOutbox checks which runs' ends the outbox holds (written at any time).
func wantOutbox(t *testing.T, s *Store, runIDs ...string) {
	t.Helper()
	got, err := s.PendingRunEvents(context.Background(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(runIDs, ",") {
		t.Errorf("outbox holds %v, want %v", got, runIDs)
	}
}

// The transaction that ends a run writes its outbox item, and only the
// end that wins writes one: a second end (the run already ended) fails its
// condition and writes nothing, even after the first item was published.
func TestRunEndWritesItsOutboxItemOnce(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	r := newRun(t, newDataset(t, s, "outbox"))
	if err := s.StartRun(ctx, r, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s)
	if err := s.FinishRun(ctx, r, run.Failed, "first"); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, r.RunId)
	if err := s.RunEventPublished(ctx, r.RunId); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, r, run.Succeeded, "second"); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s)
	if got, _ := s.GetRunRecord(ctx, r.RunId); got.State != run.Failed || got.Reason != "first" {
		t.Errorf("run is %s %q, want the first end's", got.State, got.Reason)
	}
}

// Enders that race (the planner's failure, the workers' completion, the
// lease sweep) end the run once: one outbox item, of the end that won.
func TestRacingEndersWriteOneOutboxItem(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	for range 3 {
		d := newDataset(t, s, "race"+strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""))
		r := newRun(t, d)
		if err := s.StartRun(ctx, r, time.Now().Add(-time.Second)); err != nil { // expired at once: the sweep may end it too
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i, end := range []func() error{
			func() error { return s.FinishRun(ctx, r, run.Failed, "planner") },
			func() error { return s.FinishRun(ctx, r, run.Succeeded, "") },
			func() error { _, err := s.ExpireLeases(ctx, time.Now()); return err },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := end(); err != nil {
					t.Errorf("ender %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		ended, err := s.GetRunRecord(ctx, r.RunId)
		if err != nil || !ended.State.Ended() {
			t.Fatalf("run %s (%v), want ended", ended.State, err)
		}
		entries, err := queryAll[outboxEntry](ctx, s.client, s.query(outboxQuery(r.RunId)))
		if err != nil || len(entries) != 1 || entries[0].State != ended.State {
			t.Errorf("outbox items %+v (%v), want one of the %s end", entries, err, ended.State)
		}
		if err := s.RunEventPublished(ctx, r.RunId); err != nil {
			t.Fatal(err)
		}
	}
}

// eventBus is a local EventBridge with the platform's outbound bus,
// recording what it accepts.
func eventBus(t *testing.T) (*eventbridge.Client, *bytes.Buffer) {
	t.Helper()
	rec := &lockedBuffer{}
	srv := eventbridgelocal.New(eventbridgelocal.Options{Record: rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	c := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	if _, err := c.CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String("runs")}); err != nil {
		t.Fatal(err)
	}
	return c, &rec.b
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// recorded are the details of the events the bus accepted, by EventId.
func recorded(t *testing.T, rec *bytes.Buffer) map[string][]runevents.Detail {
	t.Helper()
	out := map[string][]runevents.Detail{}
	for _, line := range strings.Split(strings.TrimSpace(rec.String()), "\n") {
		if line == "" {
			continue
		}
		var ev struct {
			Event struct {
				DetailType string `json:"detail-type"`
				Detail     runevents.Detail
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		out[ev.Event.Detail.EventId] = append(out[ev.Event.Detail.EventId], ev.Event.Detail)
	}
	return out
}

// An ender that crashes after its transaction, before it publishes, still
// has its run's end announced: the sweep publishes what the outbox holds
// past runevents.PendingAge, once; an ender that publishes leaves nothing.
func TestCrashedEnderIsAnnouncedByTheSweep(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	bus, rec := eventBus(t)
	pub := &runevents.Publisher{Outbox: s, Bus: bus, BusName: "runs", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	crashed, announced := newRun(t, newDataset(t, s, "crashed")), newRun(t, newDataset(t, s, "announced"))
	for _, r := range []run.Run{crashed, announced} {
		if err := s.StartRun(ctx, r, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishRun(ctx, crashed, run.Failed, "the worker crashed"); err != nil { // and nothing publishes
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, announced, run.Succeeded, ""); err != nil {
		t.Fatal(err)
	}
	pub.Announce(ctx, announced.RunId)
	wantOutbox(t, s, crashed.RunId)
	if n, err := pub.PublishPending(ctx, time.Now()); err != nil || n != 0 {
		t.Errorf("a sweep right after the end published %d (%v): the ender may still publish it", n, err)
	}
	sweepAt := time.Now().Add(runevents.PendingAge + time.Second)
	if n, err := pub.PublishPending(ctx, sweepAt); err != nil || n != 1 {
		t.Fatalf("sweep published %d (%v), want 1", n, err)
	}
	wantOutbox(t, s)
	if n, err := pub.PublishPending(ctx, sweepAt); err != nil || n != 0 {
		t.Errorf("second sweep published %d (%v), want none", n, err)
	}
	pub.Announce(ctx, crashed.RunId, announced.RunId, newRun(t, newDataset(t, s, "running")).RunId) // published, or never ended: nothing
	got := recorded(t, rec)
	c, a := got[runevents.EventId(crashed.RunId, "ended")], got[runevents.EventId(announced.RunId, "ended")]
	if len(got) != 2 || len(c) != 1 || len(a) != 1 {
		t.Fatalf("events by EventId %+v, want one of each run", got)
	}
	if c[0].State != run.Failed || c[0].Reason != "the worker crashed" || a[0].State != run.Succeeded || c[0].DatasetId != crashed.DatasetId {
		t.Errorf("events %+v and %+v do not match their runs", c[0], a[0])
	}
}

// outboxQuery selects runID's outbox item.
func outboxQuery(runID string) expression.Builder {
	return expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(expression.Value(outboxPK)).
		And(expression.Key(attrSK).Equal(expression.Value(runPrefix + runID))))
}

// A publish the bus refuses (here: no such bus) keeps the run's end in the
// outbox, so that the sweep publishes it once the bus takes it.
func TestARefusedPublishKeepsTheOutboxItem(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	bus, rec := eventBus(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := newRun(t, newDataset(t, s, "refused"))
	if err := s.StartRun(ctx, r, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, r, run.Succeeded, ""); err != nil {
		t.Fatal(err)
	}
	(&runevents.Publisher{Outbox: s, Bus: bus, BusName: "no-such-bus", Log: log}).Announce(ctx, r.RunId)
	wantOutbox(t, s, r.RunId)
	pub := &runevents.Publisher{Outbox: s, Bus: bus, BusName: "runs", Log: log}
	if n, err := pub.PublishPending(ctx, time.Now().Add(runevents.PendingAge+time.Second)); err != nil || n != 1 {
		t.Fatalf("sweep published %d (%v), want 1", n, err)
	}
	wantOutbox(t, s)
	if got := recorded(t, rec); len(got[runevents.EventId(r.RunId, runevents.KindEnded)]) != 1 || len(got) != 1 {
		t.Errorf("events %+v, want the run's one", got)
	}
}
