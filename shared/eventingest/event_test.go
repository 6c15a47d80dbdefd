package eventingest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

func event(at time.Time, key, seq string) Event {
	ev := Event{Source: "aws.s3", DetailType: "Object Created", Account: "111122223333", Time: at}
	ev.Detail.Bucket.Name, ev.Detail.Object.Key, ev.Detail.Object.Sequencer = "src", key, seq
	return ev
}

// The gate orders the versions of a key as their events do: a later
// second or, within one, a larger sequencer is a later gate; a duplicate
// has the same; and every gate is past the second the object was written
// in, so its task does not defer the version it announces.
func TestGateOrdersAKeysVersions(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	first := event(t0, "in/a.csv", "0000000000000001")
	for _, c := range []struct {
		name  string
		later Event
		want  int // compare(later's gate, first's gate)
	}{
		{"a duplicate", first, 0},
		{"a later second", event(t0.Add(time.Second), "in/a.csv", "0000000000000000"), 1},
		{"the same second, a later sequencer", event(t0, "in/a.csv", "0000000000000002"), 1},
		{"the same second, an earlier sequencer", event(t0, "in/a.csv", "0000000000000000"), -1},
	} {
		if got := c.later.Gate().Compare(first.Gate()); got != c.want {
			t.Errorf("%s: gate compares %d, want %d", c.name, got, c.want)
		}
	}
	if g := first.Gate(); !g.Truncate(time.Second).After(t0) {
		t.Errorf("gate %v is not past the event's second %v", g, t0)
	}
}

// An event is taken by a dataset only from its connection's bucket owner,
// for its bucket, under its DirectoryPath, of its FileType.
func TestAccepts(t *testing.T) {
	d := dataset.Dataset{DatasetId: "d", DirectoryPath: "in/", FileType: dataset.CSV, Trigger: dataset.OnEvents, CreatedBy: "alice"}
	c := connection.Connection{ConnectionId: "c", S3Bucket: "src", S3BucketOwner: "111122223333", CreatedBy: "alice"}
	ok := event(time.Now(), "in/a.csv", "1")
	for _, tc := range []struct {
		name   string
		mutate func(*Event, *dataset.Dataset, *connection.Connection)
		accept bool
	}{
		{"the owner's event for the dataset", func(*Event, *dataset.Dataset, *connection.Connection) {}, true},
		{"another account", func(e *Event, _ *dataset.Dataset, _ *connection.Connection) { e.Account = "999988887777" }, false},
		{"a connection without an owner", func(_ *Event, _ *dataset.Dataset, c *connection.Connection) { c.S3BucketOwner = "" }, false},
		{"another bucket", func(e *Event, _ *dataset.Dataset, _ *connection.Connection) { e.Detail.Bucket.Name = "other" }, false},
		{"a scheduled dataset", func(_ *Event, d *dataset.Dataset, _ *connection.Connection) { d.Trigger = "" }, false},
		{"outside the DirectoryPath", func(e *Event, _ *dataset.Dataset, _ *connection.Connection) { e.Detail.Object.Key = "out/a.csv" }, false},
		{"another file type", func(e *Event, _ *dataset.Dataset, _ *connection.Connection) { e.Detail.Object.Key = "in/a.json" }, false},
	} {
		e, dd, cc := ok, d, c
		tc.mutate(&e, &dd, &cc)
		_, key, reason := e.object()
		if reason == "" {
			reason = accepts(e, key, dd, cc)
		}
		if (reason == "") != tc.accept {
			t.Errorf("%s: refused %q, want accepted %v", tc.name, reason, tc.accept)
		}
	}
}

// Only S3's Object Created events with an account, bucket, key and time
// are read; keys are URL-decoded.
func TestObject(t *testing.T) {
	ev := event(time.Now(), "in/red+flower%3A1.csv", "1")
	if _, key, reason := ev.object(); reason != "" || key != "in/red flower:1.csv" {
		t.Errorf("key %q (%s)", key, reason)
	}
	for _, bad := range []func(*Event){
		func(e *Event) { e.Source = "s3connections" },
		func(e *Event) { e.DetailType = "Object Deleted" },
		func(e *Event) { e.Account = "" },
		func(e *Event) { e.Detail.Object.Key = "%zz" },
	} {
		e := ev
		bad(&e)
		if _, _, reason := e.object(); reason == "" {
			t.Errorf("%+v was read", e)
		}
	}
}

// The sample event in events/events (S3's shape, AWS-FACTS §4.2) decodes
// to what it says, and its key is decoded.
func TestObjectCreatedFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "events", "object-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	bucket, key, reason := ev.object()
	if reason != "" || bucket != "s3connections-demo-source" || key != "incoming/orders 1.csv" || ev.Account != "111122223333" ||
		ev.Detail.Object.Size != 52 || ev.Detail.Object.ETag != "b1946ac92492d2347c6235b4d2611184" || ev.Detail.Reason != "PutObject" ||
		!ev.Time.Equal(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("decoded %+v: bucket %q key %q (%s)", ev, bucket, key, reason)
	}
}
