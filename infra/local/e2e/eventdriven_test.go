package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// An event-driven dataset, end to end through the local S3's events, the
// owner's rule, the inbound bus and the events function: an object put
// into the source lands in the DLZ with no run started by hand; a
// duplicate and an older event change nothing; events of another account
// and of keys outside the dataset are dropped; the rolling run closes
// after its quiet period with exact counts; and a reconciling run copies
// the one object whose event was lost, counted Reconciled.
func TestEventDrivenDataset(t *testing.T) {
	const bucket, user = "event-driven-source", "eventful"
	ctx := context.Background()
	putObjects(t, bucket, nil)
	if err := platformlocal.SourceEvents(ctx, sourceOwner(t), bucket, plat.InboundBusARN(), platformlocal.SourceAccount); err != nil {
		t.Fatal(err)
	}
	dsID, sch := eventDataset(t, user, bucket)

	putObjects(t, bucket, []srcFile{{"in/a.csv", []byte("id\n1\n"), ""}})
	v1 := waitCatalogued(t, user, dsID, "a.csv", "")
	nextSecond()
	putObjects(t, bucket, []srcFile{{"in/a.csv", []byte("id\n1\n2\n"), ""}})
	v2 := waitCatalogued(t, user, dsID, "a.csv", v1)

	// Both events again, the older last: neither is copied again.
	created := recordedS3Events(t, bucket, "in/a.csv")
	if len(created) != 2 {
		t.Fatalf("recorded %d events of in/a.csv, want 2", len(created))
	}
	for i, ev := range []eventbridgelocal.Event{created[1], created[0]} {
		ev.ID = []string{"duplicate-of-v2", "older-v1"}[i]
		plat.Events.Emit(platformlocal.SourceAccount, ev)
	}
	// An event of another account for the same bucket and key, straight
	// to the events function, and a key outside the dataset.
	foreign := created[0]
	foreign.ID, foreign.Account = "foreign-account", "999988887777"
	invokeEvents(t, foreign)
	putObjects(t, bucket, []srcFile{{"elsewhere/b.csv", []byte("id\n3\n"), ""}})
	for id, reason := range map[string]string{"duplicate-of-v2": "a duplicate event", "older-v1": "older than the version catalogued",
		"foreign-account": "the event's account is not the S3BucketOwner"} {
		waitLog(t, `"msg":"event dropped"`, `"eventId":"`+id+`"`, reason)
	}
	waitLog(t, `"msg":"event dropped"`, `"key":"elsewhere/b.csv"`, `"reason":"the key is not a file of dataset`)
	if got := catalogETag(t, user, dsID, "a.csv"); got != v2 {
		t.Fatalf("a.csv is catalogued with ETag %s after the replays, want %s", got, v2)
	}

	rolling := closeRollingRun(t, user, sch)
	wantCounts(t, rolling, map[string]int{"Copied": 2, "TasksPlanned": 2, "TasksDone": 2, "Failed": 0})

	// An object whose event is lost: the bucket's events are off while it is written.
	setBucketEvents(t, bucket, false)
	putObjects(t, bucket, []srcFile{{"in/lost.csv", []byte("id\n4\n"), ""}})
	setBucketEvents(t, bucket, true)
	nextSecond()
	r := runToEnd(t, user, sch)
	wantCounts(t, r, map[string]int{"Copied": 1, "SkippedUnchanged": 1, "Failed": 0})
	if r["Reconciled"] != 1.0 {
		t.Fatalf("Reconciled = %v, want 1 (run %v)", r["Reconciled"], r)
	}
	if !inDLZ(t, user, dsID, "in/lost.csv") {
		t.Fatal("the reconciling run did not copy lost.csv")
	}
}

// eventDataset makes user's event-driven csv dataset of bucket's in/
// prefix, on a connection naming the bucket's owner, with an on-demand
// schedule (its reconciling runs).
func eventDataset(t *testing.T, user, bucket string) (datasetID, scheduleID string) {
	t.Helper()
	conn := policyConn(bucket)
	conn["S3BucketOwner"] = platformlocal.SourceAccount
	cid := mustCreate(t, user, conn)
	attach(t, user, cid)
	status, ds := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("events"), "Domain": uniqueName("tests"), "ConnectionId": cid, "FileType": "csv",
		"DirectoryPath": "in/", "Trigger": "events",
	})
	if status != http.StatusCreated || ds["Trigger"] != "events" {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	status, sch := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": "reconcile", "DatasetId": ds["DatasetId"]})
	if status != http.StatusCreated {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	return ds["DatasetId"].(string), sch["ScheduleId"].(string)
}

// waitCatalogued waits until the catalog holds name with another ETag
// than before ("": any) and in the DLZ, and returns its ETag.
func waitCatalogued(t *testing.T, user, dsID, name, before string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if etag := catalogETag(t, user, dsID, name); etag != "" && etag != before && inDLZ(t, user, dsID, "in/"+name) {
			return etag
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never landed (catalogued ETag before: %q)", name, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// catalogETag is the source ETag the dataset's catalog holds for name, or "".
func catalogETag(t *testing.T, user, dsID, name string) string {
	t.Helper()
	_, out := call(t, user, "GET", "/datasets/"+dsID+"/files", nil)
	files, _ := out["Files"].([]any)
	for _, f := range files {
		if m := f.(map[string]any); m["Name"] == name {
			return m["SourceETag"].(string)
		}
	}
	return ""
}

// recordedS3Events are the Object Created events of key that the source
// account's default bus received, in order.
func recordedS3Events(t *testing.T, bucket, key string) []eventbridgelocal.Event {
	t.Helper()
	var out []eventbridgelocal.Event
	sc := bufio.NewScanner(strings.NewReader(runEventLog.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Bus   string
			Event eventbridgelocal.Event
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || !strings.HasSuffix(line.Bus, ":"+platformlocal.SourceAccount+":event-bus/default") {
			continue
		}
		d := line.Event.Detail
		if b, _ := d["bucket"].(map[string]any); b == nil || b["name"] != bucket {
			continue
		}
		if o, _ := d["object"].(map[string]any); o != nil && o["key"] == key && line.Event.DetailType == "Object Created" {
			out = append(out, line.Event)
		}
	}
	return out
}

// invokeEvents hands ev to the events function directly, as the inbound
// bus's rule would.
func invokeEvents(t *testing.T, ev eventbridgelocal.Event) {
	t.Helper()
	raw, _ := json.Marshal(ev)
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.EventsFunction, raw); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until a platform log line holds every one of parts.
func waitLog(t *testing.T, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !logHolds(parts) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line holds %q", parts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func logHolds(parts []string) bool {
	for _, line := range strings.Split(logs.String(), "\n") {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			return true
		}
	}
	return false
}

// closeRollingRun waits for the schedule's open rolling run to go quiet,
// sweeps (as the platform's lease sweep does), and returns the run ended.
func closeRollingRun(t *testing.T, user, scheduleID string) map[string]any {
	t.Helper()
	_, out := call(t, user, "GET", "/schedules/"+scheduleID+"/runs", nil)
	var rolling map[string]any
	for _, r := range out["Runs"].([]any) {
		if m := r.(map[string]any); m["Trigger"] == "events" {
			rolling = m
		}
	}
	if rolling == nil || rolling["State"] != "running" {
		t.Fatalf("no open rolling run: %v", out)
	}
	time.Sleep(2 * time.Second) // the suite's quiet period is a second
	if _, err := plat.Runtime.Invoke(context.Background(), plat.Names.PlannerFunction, []byte(`{"Action":"SweepLeases"}`)); err != nil {
		t.Fatal(err)
	}
	r := waitRun(t, user, rolling["RunId"].(string))
	if r["State"] != "succeeded" {
		t.Fatalf("the rolling run ended %v", r)
	}
	return r
}

// setBucketEvents turns the bucket's events to EventBridge on or off, as its owner.
func setBucketEvents(t *testing.T, bucket string, on bool) {
	t.Helper()
	cfg := &s3types.NotificationConfiguration{}
	if on {
		cfg.EventBridgeConfiguration = &s3types.EventBridgeConfiguration{}
	}
	if _, err := sourceS3(t).PutBucketNotificationConfiguration(context.Background(), &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket), NotificationConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
}

// Who may make a dataset event-driven, and on what: only on a connection
// the caller may use and that names its bucket's owner (400 naming
// Trigger otherwise, and for a Trigger that is neither value), only the
// dataset's owner may change it, and the connection's owner cannot drop
// S3BucketOwner under an event-driven dataset (409). The owner's events
// setup is in the connection's policies, for those who may see it only.
func TestEventDrivenDatasetAuthorization(t *testing.T) {
	const bucket, owner, other = "event-driven-authz", "trigger-owner", "trigger-other"
	putObjects(t, bucket, nil)
	plain := mustCreate(t, owner, policyConn(bucket))
	body := func(conn string, trigger any) map[string]any {
		return map[string]any{"DatasetName": uniqueName("trig"), "Domain": uniqueName("tests"), "ConnectionId": conn,
			"FileType": "csv", "DirectoryPath": "in/", "Trigger": trigger}
	}
	for _, c := range []struct {
		user    string
		body    map[string]any
		status  int
		field   string
		message string
	}{
		{owner, body(plain, "events"), 400, "Trigger", "S3BucketOwner"},
		{owner, body(plain, "sometimes"), 400, "Trigger", "must be"},
		{other, body(plain, "events"), 400, "ConnectionId", "no connection"},
	} {
		status, out := call(t, c.user, "POST", "/datasets", c.body)
		if status != c.status || out["Field"] != c.field || !strings.Contains(fmt.Sprint(out["Message"]), c.message) {
			t.Errorf("%s creates %v: %d %v, want %d naming %s", c.user, c.body["Trigger"], status, out, c.status, c.field)
		}
	}
	conn := policyConn(bucket)
	conn["S3BucketOwner"], conn["AuthorizedUsers"] = platformlocal.SourceAccount, []string{other}
	cid := mustCreate(t, owner, conn)
	status, ds := call(t, owner, "POST", "/datasets", map[string]any{"DatasetName": uniqueName("trig"), "Domain": uniqueName("tests"),
		"ConnectionId": cid, "FileType": "csv", "DirectoryPath": "in/", "AuthorizedUsers": []string{other}})
	if status != 201 || ds["Trigger"] != "schedule" {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	path := "/datasets/" + ds["DatasetId"].(string)
	if status, out := call(t, other, "PUT", path, map[string]any{"Trigger": "events"}); status != 403 && status != 404 {
		t.Errorf("a user the dataset is shared with changed its Trigger: %d %v", status, out)
	}
	if status, out := call(t, owner, "PUT", path, map[string]any{"Trigger": "events"}); status != 200 || out["Trigger"] != "events" {
		t.Fatalf("the owner's Trigger change: %d %v", status, out)
	}
	status, out := call(t, owner, "PUT", "/connections/"+cid, map[string]any{"S3BucketOwner": ""})
	if status != 409 || out["Field"] != "S3BucketOwner" {
		t.Errorf("dropping S3BucketOwner under an event-driven dataset: %d %v", status, out)
	}
	if status, out := call(t, "trigger-stranger", "GET", "/connections/"+cid+"/policies", nil); status != 404 {
		t.Errorf("a stranger read the policies: %d %v", status, out)
	}
	_, pol := call(t, owner, "GET", "/connections/"+cid+"/policies", nil)
	setup, _ := pol["Events"].(map[string]any)
	raw, _ := json.Marshal(setup)
	if setup == nil || !strings.Contains(string(raw), plat.InboundBusARN()) || !strings.Contains(string(raw), `{"prefix":"in/"}`) ||
		!strings.Contains(string(raw), `"name":["`+bucket+`"]`) {
		t.Errorf("the owner's events setup: %s", raw)
	}
	if status, out := call(t, owner, "PUT", path, map[string]any{"Trigger": "schedule"}); status != 200 || out["Trigger"] != "schedule" {
		t.Fatalf("back to schedule: %d %v", status, out)
	}
	if status, out := call(t, owner, "PUT", "/connections/"+cid, map[string]any{"S3BucketOwner": ""}); status != 200 {
		t.Errorf("dropping S3BucketOwner with no event-driven dataset: %d %v", status, out)
	}
}
