package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// Issue 17: a dataset's zone prefix is never reused. After alice deletes
// <fin>/ledger (its files stay in the DLZ under <fin>/ledger/), nobody else
// may create <fin>/ledger again (409 naming DatasetName), and a stranger
// may create no dataset in alice's domain at all (403 naming Domain) until
// she shares it (PUT /domains/{name}).
func TestDeletedDatasetPrefixIsNeverReused(t *testing.T) {
	alice, bob, mallory := "domain-alice", "domain-bob", "domain-mallory"
	fin := uniqueName("fin")
	shared := policyConn(platformlocal.DemoBucket)
	shared["AuthorizedUsers"] = []string{bob}
	aliceConn, malloryConn := mustCreate(t, alice, shared), mustCreate(t, mallory, policyConn(platformlocal.DemoBucket))
	create := func(user, conn, name string) (int, map[string]any) {
		t.Helper()
		return call(t, user, "POST", "/datasets", map[string]any{
			"DatasetName": name, "Domain": fin, "ConnectionId": conn, "FileType": "csv", "DirectoryPath": "domain-nothing-here/",
		})
	}
	want := func(what string, status int, out map[string]any, wantStatus int, field string, words ...string) {
		t.Helper()
		msg, _ := out["Message"].(string)
		if status != wantStatus || field != "" && out["Field"] != field {
			t.Fatalf("%s: %d %v, want %d naming %q", what, status, out, wantStatus, field)
		}
		for _, w := range words {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not say %q", what, msg, w)
			}
		}
	}
	status, out := create(alice, aliceConn, "ledger")
	want("alice creates ledger", status, out, http.StatusCreated, "")
	status, out = call(t, alice, "DELETE", "/datasets/"+out["DatasetId"].(string), nil)
	want("alice deletes ledger", status, out, http.StatusNoContent, "")

	status, out = create(mallory, malloryConn, "ledger")
	want("mallory creates the deleted ledger", status, out, http.StatusConflict, "DatasetName", "deleted dataset", "remain in the lake")
	status, out = create(mallory, malloryConn, "LEDGER")
	want("mallory creates LEDGER", status, out, http.StatusConflict, "DatasetName", "deleted dataset")
	status, out = create(mallory, malloryConn, "other")
	want("mallory creates another dataset in the domain", status, out, http.StatusForbidden, "Domain", "belongs to another user")
	status, out = call(t, mallory, "GET", "/domains/"+fin, nil)
	want("mallory reads the domain", status, out, http.StatusNotFound, "")
	status, out = call(t, mallory, "PUT", "/domains/"+fin, map[string]any{"AuthorizedUsers": []string{mallory}})
	want("mallory shares the domain with herself", status, out, http.StatusNotFound, "")
	status, out = create(bob, aliceConn, "other")
	want("bob before alice shares the domain", status, out, http.StatusForbidden, "Domain")

	status, out = call(t, alice, "PUT", "/domains/"+strings.ToUpper(fin), map[string]any{"AuthorizedUsers": []string{bob}})
	want("alice shares the domain with bob", status, out, http.StatusOK, "")
	if users := authzStrings(out["AuthorizedUsers"]); out["CreatedBy"] != alice || !slices.Equal(users, []string{alice, bob}) {
		t.Errorf("the shared domain: %v", out)
	}
	status, out = call(t, bob, "GET", "/domains/"+fin, nil)
	want("bob reads the domain", status, out, http.StatusOK, "")
	status, out = call(t, bob, "PUT", "/domains/"+fin, map[string]any{"AuthorizedUsers": []string{mallory}})
	want("bob shares alice's domain", status, out, http.StatusForbidden, "")
	status, out = create(bob, aliceConn, "other")
	want("bob creates other once shared", status, out, http.StatusCreated, "")
	status, out = create(bob, aliceConn, "ledger")
	want("bob creates the deleted ledger", status, out, http.StatusConflict, "DatasetName", "deleted dataset")
	status, out = create(alice, aliceConn, "ledger")
	want("alice creates her deleted ledger again", status, out, http.StatusCreated, "")
}

// authzStrings turns a JSON list of strings into a sorted []string.
func authzStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	slices.Sort(out)
	return out
}
