package connection

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/policy"
)

func TestPoliciesForGrantOnlyListLocationGetToTheConnectionsSessions(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/s3connections-source-reader"
	testCases := []struct {
		region, arn string
	}{
		{"", "arn:aws:s3:::acme-sales"},
		{"eu-west-1", "arn:aws:s3:::acme-sales"},
		{"cn-north-1", "arn:aws-cn:s3:::acme-sales"},
	}
	for _, tc := range testCases {
		t.Run(tc.region, func(t *testing.T) {
			p := PoliciesFor(Connection{ConnectionId: "c1", S3Bucket: "acme-sales", S3BucketRegion: tc.region}, role)
			var actions []string
			for _, st := range p.BucketPolicy.Statement {
				if st.Effect != "Allow" || !slices.Equal(st.Principal["AWS"], policy.Strings{role}) {
					t.Errorf("statement %s: effect %s principal %v", st.Sid, st.Effect, st.Principal)
				}
				if got := st.Condition["StringEquals"]["aws:PrincipalTag/ConnectionId"]; !slices.Equal(got, policy.Strings{"c1"}) {
					t.Errorf("statement %s admits connections %v, want only c1", st.Sid, got)
				}
				for _, a := range st.Action {
					actions = append(actions, a+" on "+strings.Join(st.Resource, ","))
				}
			}
			want := []string{
				"s3:ListBucket on " + tc.arn, "s3:GetBucketLocation on " + tc.arn, "s3:GetObject on " + tc.arn + "/*",
			}
			if !slices.Equal(actions, want) {
				t.Errorf("bucket policy grants %v, want %v", actions, want)
			}
			k := p.KmsKeyPolicy.Statement
			if len(k) != 1 || !slices.Equal(k[0].Action, policy.Strings{"kms:Decrypt"}) || !slices.Equal(k[0].Principal["AWS"], policy.Strings{role}) ||
				!slices.Equal(k[0].Condition["StringEquals"]["aws:PrincipalTag/ConnectionId"], policy.Strings{"c1"}) {
				t.Fatalf("key policy: %+v", k)
			}
			if got := k[0].Condition["StringLike"]["kms:EncryptionContext:aws:s3:arn"]; !slices.Equal(got, policy.Strings{tc.arn, tc.arn + "/*"}) {
				t.Errorf("key policy not bound to the bucket: %v", got)
			}
			b, _ := json.Marshal(p)
			if strings.Contains(string(b), `"s3:*"`) || strings.Contains(string(b), `"kms:*"`) {
				t.Errorf("wildcard action in %s", b)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	in := CreateInput{SecretAccessKey: s}
	b, _ := json.Marshal(in)
	for _, out := range []string{string(b), s.String(), s.GoString(), s.LogValue().String()} {
		if strings.Contains(out, s.Reveal()) {
			t.Errorf("secret printed: %s", out)
		}
	}
}

// RestoreObject is granted on the prefixes of the datasets that restore
// archived files, to this connection's sessions only, and the policies say
// who pays.
func TestRestoreGrants(t *testing.T) {
	refs := []DatasetRef{
		{DatasetId: "d1", DirectoryPath: "sales/archive/", RestoreArchived: true},
		{DatasetId: "d2", DirectoryPath: "sales/live/"},
		{DatasetId: "d3", DirectoryPath: "sales/archive/", RestoreArchived: true},
	}
	if got := RestorePrefixes(refs); len(got) != 1 || got[0] != "sales/archive/" {
		t.Fatalf("prefixes %v", got)
	}
	c := Connection{ConnectionId: "11111111-2222-3333-4444-555555555555", S3Bucket: "acme", S3BucketRegion: "eu-west-1", ConnectionAccessType: BucketPolicy}
	reader := "arn:aws:iam::000000000000:role/reader"
	p := withRestores(PoliciesFor(c, reader), c, reader, RestorePrefixes(refs))
	last := p.BucketPolicy.Statement[len(p.BucketPolicy.Statement)-1]
	if last.Action[0] != "s3:RestoreObject" || len(last.Resource) != 1 || last.Resource[0] != "arn:aws:s3:::acme/sales/archive/*" ||
		last.Condition["StringEquals"]["aws:PrincipalTag/"+"ConnectionId"][0] != c.ConnectionId {
		t.Errorf("restore grant %+v", last)
	}
	if !strings.Contains(p.RestoresPaidBy, "bucket owner") {
		t.Errorf("paid by %q", p.RestoresPaidBy)
	}
	for _, st := range PoliciesFor(c, reader).BucketPolicy.Statement {
		if slices.Contains(st.Action, "s3:RestoreObject") {
			t.Errorf("RestoreObject granted with no dataset restoring: %+v", st)
		}
	}
	c.ConnectionAccessType, c.RequesterPays = AssumeRole, true
	p = withRestores(RolePoliciesFor(c, reader), c, reader, []string{""})
	last = p.PermissionsPolicy.Statement[len(p.PermissionsPolicy.Statement)-1]
	if last.Resource[0] != "arn:aws:s3:::acme/*" || last.Principal != nil || !strings.Contains(p.RestoresPaidBy, "Requester Pays") {
		t.Errorf("role grant %+v, paid by %q", last, p.RestoresPaidBy)
	}
}
