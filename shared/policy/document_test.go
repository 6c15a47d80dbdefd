package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// AWS writes single values as strings, "*" as the anonymous principal and
// a lone statement as an object; Parse reads them all into one shape, and
// refuses what is not a policy or what Document cannot hold.
func TestParse(t *testing.T) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
		"Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":false},"StringEquals":{"k":["a","b"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Statement[0]
	if len(d.Statement) != 1 || !slices.Equal(s.Action, Strings{"s3:GetObject"}) || !slices.Equal(s.Principal["AWS"], Strings{"*"}) ||
		!slices.Equal(s.Condition["Bool"]["aws:SecureTransport"], Strings{"false"}) || !slices.Equal(s.Condition["StringEquals"]["k"], Strings{"a", "b"}) {
		t.Errorf("parsed %+v", d)
	}
	for doc, says := range map[string]string{
		``:   "first byte",
		`[]`: "first byte",
		`{}`: "Statement",
		`{"Statement":[{"Effect":"Maybe","Action":"s3:*"}]}`:                            "effect",
		`{"Statement":[{"Effect":"Allow"}]}`:                                            "Action",
		`{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`:          "NotAction",
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotPrincipal":{"AWS":"x"}}]}`: "NotPrincipal",
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Principal":"someone"}]}`:      "principal",
	} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Parse(%s) = %v, want an error saying %q", doc, err, says)
		}
	}
}

// The reader's identity policy reads only outside the platform's account
// and writes only the zones' objects: the statements the stack deploys and
// the local platform enforces.
func TestReaderIdentityConfinesReadsAndWrites(t *testing.T) {
	r := Reader{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Zones: []string{"lz", "dlz"}, KeyARN: "arn:aws:kms:eu-west-1:123456789012:key/k"}
	d := r.Identity()
	var allowRead, denyRead, writes bool
	for _, s := range d.Statement {
		reads := slices.ContainsFunc(s.Action, func(a string) bool { return slices.Contains(SourceRead, a) })
		switch {
		case reads && s.Effect == Allow:
			allowRead = slices.Equal(s.Condition["StringNotEquals"]["s3:ResourceAccount"], Strings{r.Account})
		case reads && s.Effect == Deny:
			denyRead = slices.Equal(s.Condition["StringEquals"]["s3:ResourceAccount"], Strings{r.Account})
		case slices.Contains(s.Action, "s3:PutObject"):
			writes = slices.Equal(s.Resource, Strings{"arn:aws:s3:::lz/*", "arn:aws:s3:::dlz/*"})
		}
		if slices.Contains(s.Action, "s3:*") || slices.Contains(s.Action, "*") {
			t.Errorf("statement %s has a wildcard action", s.Sid)
		}
	}
	if !allowRead || !denyRead || !writes {
		t.Errorf("reads allowed outside the account %v, denied inside %v, writes only to zones %v: %+v", allowRead, denyRead, writes, d)
	}
	trust, _ := json.Marshal(r.Trust([]string{"arn:aws:iam::123456789012:role/p"}))
	if !strings.Contains(string(trust), `"sts:TagSession"`) || !strings.Contains(string(trust), `role/p`) {
		t.Errorf("trust %s", trust)
	}
}
