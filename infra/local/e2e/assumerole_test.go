package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// roleConn is an assume_role connection to bucket through role name of the
// source account.
func roleConn(bucket, name string) map[string]any {
	return map[string]any{
		"ConnectionName": uniqueName("role"), "S3Bucket": bucket, "ConnectionAccessType": "assume_role",
		"RoleArn": "arn:aws:iam::" + platformlocal.SourceAccount + ":role/" + name,
	}
}

// runWith makes a dataset of connection and runs it to its end.
func runWith(t *testing.T, user, connection, dir string, skipLZ bool) map[string]any {
	t.Helper()
	status, ds := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("ds"), "Domain": uniqueName("tests"), "ConnectionId": connection, "FileType": "csv", "DirectoryPath": dir, "SkipLZ": skipLZ,
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	_, sch := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": "s", "DatasetId": ds["DatasetId"]})
	return runToEnd(t, user, sch["ScheduleId"].(string))
}

// An assume-role connection, from the owner's side: the test explains a
// role that cannot be assumed, the owner creates the role with the served
// policies, and the connection then ingests like a bucket-policy one, rule
// for rule, copies streamed through the worker.
func TestAssumeRoleConnectionIngestsLikeTheOthers(t *testing.T) {
	const bucket = "assume-role-source"
	putFiles(t, bucket, sourceFiles())
	id := mustCreate(t, "role-user", roleConn(bucket, "e2e-reader"))
	wantTestRefused(t, "role-user", id, "could not assume role")
	wantTestRefused(t, "role-user", id, "trust policy does not admit the platform's source reader role")
	attach(t, "role-user", id)
	status, out := call(t, "role-user", "POST", "/connections/"+id+"/test", nil)
	if status != 200 || out["Ok"] != true || !strings.Contains(fmt.Sprint(out["Detail"]), "e2e-reader") {
		t.Fatalf("test after the role was made: %d %v", status, out)
	}
	// Versions move on the new type as on the others.
	old := roleConn(bucket, "e2e-reader")
	old["Version"] = "1.6"
	v := mustCreate(t, "role-user", old)
	for _, step := range []struct{ action, version string }{{"upgrade", "1.8"}, {"downgrade", "1.6"}} {
		if status, out := call(t, "role-user", "POST", "/connections/"+v+"/"+step.action, nil); status != 200 || out["Version"] != step.version {
			t.Errorf("%s: %d %v, want version %s", step.action, status, out, step.version)
		}
	}
	for _, tc := range []struct {
		version, dir string
		skipLZ       bool
	}{{"1.6", "data/", false}, {"1.7", "data/", false}, {"1.8", "data/", true}} {
		t.Run(tc.version, func(t *testing.T) {
			// A pair of connections at the version: the owner's role admits
			// every connection attached to it (statements merged by Sid).
			roleBody, policyBody := roleConn(bucket, "e2e-reader"), policyConn(bucket)
			roleBody["Version"], policyBody["Version"] = tc.version, tc.version
			role, policy := mustCreate(t, "role-user", roleBody), connect(t, "role-user", policyBody)
			attach(t, "role-user", role)
			got, want := runWith(t, "role-user", role, tc.dir, tc.skipLZ), runWith(t, "role-user", policy, tc.dir, tc.skipLZ)
			for _, k := range []string{"State", "Listed", "Matched", "Copied", "SkippedStorageClass", "FailedValidation", "Failed", "BytesCopied"} {
				if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
					t.Errorf("%s: %v through the role, %v through the bucket policy", k, got[k], want[k])
				}
			}
		})
	}
}

// Threat: another user names the same role. Their connection has its own
// ExternalId (and session tag), which the role's trust does not name: STS
// refuses it, and their run copies nothing.
func TestAssumeRoleConnectionsAreBoundToTheirExternalId(t *testing.T) {
	const bucket = "assume-role-shared"
	putFiles(t, bucket, []srcFile{{"in/a.csv", []byte("a\n1\n"), ""}})
	mine := mustCreate(t, "role-owner", roleConn(bucket, "e2e-shared-reader"))
	attach(t, "role-owner", mine)
	if status, out := call(t, "role-owner", "POST", "/connections/"+mine+"/test", nil); status != 200 || out["Ok"] != true {
		t.Fatalf("the role's own connection: %d %v", status, out)
	}
	theirs := mustCreate(t, "role-thief", roleConn(bucket, "e2e-shared-reader"))
	_, a := call(t, "role-owner", "GET", "/connections/"+mine, nil)
	_, b := call(t, "role-thief", "GET", "/connections/"+theirs, nil)
	if a["ExternalId"] == b["ExternalId"] || a["ExternalId"] == nil {
		t.Fatalf("external ids %v and %v", a["ExternalId"], b["ExternalId"])
	}
	wantTestRefused(t, "role-thief", theirs, "could not assume role")
	wantRunRefused(t, "role-thief", theirs, "could not assume role")
	// A caller cannot choose an ExternalId, nor a role of the platform.
	body := roleConn(bucket, "e2e-shared-reader")
	body["ExternalId"] = a["ExternalId"]
	if status, out := call(t, "role-thief", "POST", "/connections", body); status != 400 || out["Field"] != "ExternalId" {
		t.Errorf("an ExternalId sent: %d %v, want 400 naming ExternalId", status, out)
	}
	body = roleConn(bucket, "x")
	body["RoleArn"] = plat.ReaderRoleARN()
	if status, out := call(t, "role-thief", "POST", "/connections", body); status != 400 || out["Field"] != "RoleArn" {
		t.Errorf("the platform's own role: %d %v, want 400 naming RoleArn", status, out)
	}
}
