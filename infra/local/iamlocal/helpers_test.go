package iamlocal

import (
	"testing"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// The accounts of the tests: the platform's, a customer's and a stranger's.
const (
	platform = "111111111111"
	customer = "222222222222"
	stranger = "333333333333"
)

var (
	aliceARN   = "arn:aws:iam::" + platform + ":user/alice"
	readerARN  = "arn:aws:iam::" + platform + ":role/source-reader"
	ingestARN  = "arn:aws:iam::" + platform + ":role/ingest"
	sessionARN = "arn:aws:sts::" + platform + ":assumed-role/source-reader/conn-1"
)

// doc parses an IAM policy document, failing the test if it is not one.
func doc(t *testing.T, js string) policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(js))
	if err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	return d
}

// docs parses several documents; "" stands for none.
func docs(t *testing.T, js ...string) []policy.Document {
	t.Helper()
	var out []policy.Document
	for _, j := range js {
		if j != "" {
			out = append(out, doc(t, j))
		}
	}
	return out
}

// optional parses a resource policy, nil for "".
func optional(t *testing.T, js string) *policy.Document {
	t.Helper()
	if js == "" {
		return nil
	}
	d := doc(t, js)
	return &d
}

func alice(policies ...policy.Document) Principal {
	return Principal{Account: platform, ARN: aliceARN, Policies: policies}
}

func readerSession(tags map[string]string, policies ...policy.Document) Principal {
	return Principal{Account: platform, ARN: sessionARN, RoleARN: readerARN, Tags: tags, Policies: policies}
}
