package e2e

import (
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// A Requester Pays source refuses a connection that does not say it pays:
// its test says why (and what to set), its runs fail at the listing. With
// RequesterPays, set by the connection's owner only, every request pays,
// server-side copies too, and the files land.
func TestRequesterPaysSource(t *testing.T) {
	const user, other = "payer", "payer-friend"
	conn := policyConn(platformlocal.DemoRequesterPaysBucket)
	conn["AuthorizedUsers"] = []string{other}
	id := connect(t, user, conn)
	wantTestRefused(t, user, id, "Requester Pays bucket")
	wantRunRefused(t, user, id, "access denied")

	if status, out := call(t, other, "PUT", "/connections/"+id, map[string]any{"RequesterPays": true}); status != 403 {
		t.Fatalf("a user the connection is shared with sets RequesterPays: %d %v", status, out)
	}
	if status, out := call(t, user, "PUT", "/connections/"+id, map[string]any{"RequesterPays": true}); status != 200 || out["RequesterPays"] != true {
		t.Fatalf("the owner sets RequesterPays: %d %v", status, out)
	}
	status, out := call(t, user, "POST", "/connections/"+id+"/test", nil)
	if status != 200 || out["Ok"] != true {
		t.Fatalf("test with RequesterPays: %d %v", status, out)
	}
	_, ds := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("paid"), "Domain": uniqueName("payer"), "ConnectionId": id, "FileType": "others",
	})
	_, sch := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": "paid", "DatasetId": ds["DatasetId"]})
	r := runToEnd(t, user, sch["ScheduleId"].(string))
	// The demo bucket's first files: a folder marker and two orders files.
	wantCounts(t, r, map[string]int{"Listed": 3, "Matched": 2, "Copied": 2, "Failed": 0})
	if r["State"] != "succeeded" {
		t.Fatalf("run with RequesterPays: %v", r)
	}
}
