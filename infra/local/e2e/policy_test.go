package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// The policies GET /connections/{id}/policies serves for real connections
// are the documents connection.PoliciesFor generates (whose IAM validity
// shared/connection's tests check) for that connection, its bucket, its
// partition and the platform's source reader role, byte for byte once
// decoded.
func TestServedPoliciesAreTheGeneratedDocuments(t *testing.T) {
	reader := plat.Config.SourceReaderRoleARN
	if !strings.HasSuffix(reader, ":role/"+plat.Names.SourceReaderRole) {
		t.Fatalf("source reader role %q is not the platform's %s", reader, plat.Names.SourceReaderRole)
	}
	roles := []string{reader}
	testCases := []struct{ bucket, region string }{
		{platformlocal.DemoBucket, ""},
		{platformlocal.DemoEUBucket, "eu-west-1"},
	}
	for _, tc := range testCases {
		t.Run(tc.bucket, func(t *testing.T) {
			body := policyConn(tc.bucket)
			if tc.region != "" {
				body["S3BucketRegion"] = tc.region
			}
			id := mustCreate(t, "policy-reader", body)
			raw := policyGetRaw(t, "policy-reader", "/connections/"+id+"/policies")

			// Strictly the Policies shape: nothing more, nothing less.
			var served connection.Policies
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&served); err != nil {
				t.Fatalf("served policies do not decode strictly: %v: %s", err, raw)
			}
			want := connection.PoliciesFor(connection.Connection{ConnectionId: id, S3Bucket: tc.bucket, S3BucketRegion: tc.region}, reader)
			if !reflect.DeepEqual(served, want) {
				t.Errorf("served policies differ from the generated ones:\n got %s\nwant %s", raw, policyJSON(t, want))
			}
			// As a bucket owner reads them: two documents, each naming the
			// platform's roles in every statement, granting only reads.
			var docs map[string]struct {
				Version   string
				Statement []struct {
					Effect    string
					Principal map[string][]string
					Action    []string
					Resource  []string
				}
			}
			if err := json.Unmarshal(raw, &docs); err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 || docs["BucketPolicy"].Version != "2012-10-17" || docs["KmsKeyPolicy"].Version != "2012-10-17" {
				t.Fatalf("documents %s", raw)
			}
			var actions []string
			for name, d := range docs {
				for _, st := range d.Statement {
					if st.Effect != "Allow" || !slices.Equal(st.Principal["AWS"], roles) || len(st.Principal) != 1 {
						t.Errorf("%s: %s to %v, want Allow to the source reader role %v", name, st.Effect, st.Principal, roles)
					}
					actions = append(actions, st.Action...)
					for _, r := range st.Resource {
						if r != "*" && r != "arn:aws:s3:::"+tc.bucket && r != "arn:aws:s3:::"+tc.bucket+"/*" {
							t.Errorf("%s: resource %s is not bucket %s", name, r, tc.bucket)
						}
					}
				}
			}
			slices.Sort(actions)
			if w := []string{"kms:Decrypt", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"}; !slices.Equal(actions, w) {
				t.Errorf("actions %v, want %v", actions, w)
			}
		})
	}
}

// policyGetRaw GETs path as user and returns the 200 body as sent.
func policyGetRaw(t *testing.T, user, path string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", plat.APIURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := plat.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("content-type"), "application/json") {
		t.Fatalf("GET %s: %d %s: %s", path, resp.StatusCode, resp.Header.Get("content-type"), raw)
	}
	return raw
}

func policyJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
