package connection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// The generated policies are what a bucket owner pastes into S3 and KMS:
// they must be IAM documents those services accept, and grant the
// platform's source reader sessions made for that connection reading of
// that one bucket and nothing else.

var (
	// sidPattern: IAM accepts only letters and digits in a Sid.
	sidPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	// actionPattern is service:Action, with no wildcard.
	actionPattern = regexp.MustCompile(`^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$`)
	rolePattern   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	// conditionOperators are the IAM operators these documents may use.
	conditionOperators = []string{"StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool"}
)

// iamDocument checks raw against the IAM policy grammar (only the shapes a
// generated policy needs: Allow statements with an AWS principal) and
// returns its statements decoded.
func iamDocument(t *testing.T, name string, raw []byte) []map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("%s is not one JSON object: %v: %s", name, err, raw)
	}
	for k := range doc {
		if k != "Version" && k != "Statement" {
			t.Errorf("%s: unexpected top-level member %q", name, k)
		}
	}
	if doc["Version"] != "2012-10-17" {
		t.Errorf("%s: Version %v, want 2012-10-17", name, doc["Version"])
	}
	list, ok := doc["Statement"].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("%s: Statement %v, want a non-empty array", name, doc["Statement"])
	}
	sids := map[string]bool{}
	var out []map[string]any
	for i, s := range list {
		st, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("%s: statement %d is %T, want an object", name, i, s)
		}
		where := fmt.Sprintf("%s statement %d", name, i)
		for k := range st {
			if !slices.Contains([]string{"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}, k) {
				t.Errorf("%s: member %q (NotPrincipal, NotAction and NotResource grant by exclusion: never in a generated policy)", where, k)
			}
		}
		sid, _ := st["Sid"].(string)
		if !sidPattern.MatchString(sid) || sids[sid] {
			t.Errorf("%s: Sid %q, want a unique alphanumeric id", where, sid)
		}
		sids[sid] = true
		if st["Effect"] != "Allow" {
			t.Errorf("%s: Effect %v, want Allow", where, st["Effect"])
		}
		principal, ok := st["Principal"].(map[string]any)
		if !ok || len(principal) != 1 {
			t.Errorf("%s: Principal %v, want {\"AWS\": [role ARNs]}", where, st["Principal"])
		}
		for _, arn := range stringList(t, where+" Principal.AWS", principal["AWS"]) {
			if !rolePattern.MatchString(arn) {
				t.Errorf("%s: principal %q is not an IAM role ARN", where, arn)
			}
		}
		for _, a := range stringList(t, where+" Action", st["Action"]) {
			if !actionPattern.MatchString(a) {
				t.Errorf("%s: action %q is not service:Action", where, a)
			}
		}
		stringList(t, where+" Resource", st["Resource"])
		if c, has := st["Condition"]; has {
			ops, ok := c.(map[string]any)
			if !ok || len(ops) == 0 {
				t.Errorf("%s: Condition %v, want an object of operators", where, c)
			}
			for op, kv := range ops {
				if !slices.Contains(conditionOperators, op) {
					t.Errorf("%s: condition operator %q", where, op)
				}
				keys, ok := kv.(map[string]any)
				if !ok || len(keys) == 0 {
					t.Errorf("%s: %s %v, want an object of condition keys", where, op, kv)
				}
				for k, v := range keys {
					if !strings.Contains(k, ":") {
						t.Errorf("%s: condition key %q has no service prefix", where, k)
					}
					stringList(t, where+" "+op+" "+k, v)
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// stringList checks that v is a non-empty array of non-empty strings.
func stringList(t *testing.T, where string, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		t.Errorf("%s: %v, want a non-empty array of strings", where, v)
		return nil
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			t.Errorf("%s: element %v, want a non-empty string", where, e)
		}
		out[i] = s
	}
	return out
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, e := range list {
		out[i], _ = e.(string)
	}
	return out
}

// dnsSuffix is the partition's service domain, as kms:ViaService names it.
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func TestPoliciesAreValidLeastPrivilegeIAMDocuments(t *testing.T) {
	buckets := []string{"acme-sales", "abc", "data.example.com", strings.Repeat("b", 63), "logs-2026-eu"}
	regions := []string{"", "us-east-1", "eu-west-1", "eu-south-1", "ap-east-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1"}
	for _, bucket := range buckets {
		for _, region := range regions {
			partition := Partition(region)
			reader := "arn:" + partition + ":iam::123456789012:role/s3connections-source-reader"
			roles := []string{reader}
			const id = "0191f0a4-7a0e-7c2e-9d3b-3f1d2a6b9c01"
			thisConnection := map[string]any{"aws:PrincipalTag/ConnectionId": []any{id}}
			t.Run(bucket+"@"+region, func(t *testing.T) {
				p := PoliciesFor(Connection{ConnectionId: id, S3Bucket: bucket, S3BucketRegion: region, ConnectionAccessType: BucketPolicy}, reader)
				arn := "arn:" + partition + ":s3:::" + bucket

				// Both documents round-trip: what the API encodes decodes to the
				// same document, strictly, and encodes to the same bytes.
				for name, doc := range map[string]policy.Document{"bucket policy": p.BucketPolicy, "key policy": p.KmsKeyPolicy} {
					raw, err := json.Marshal(doc)
					if err != nil {
						t.Fatal(err)
					}
					var back policy.Document
					dec := json.NewDecoder(bytes.NewReader(raw))
					dec.DisallowUnknownFields()
					if err := dec.Decode(&back); err != nil {
						t.Fatalf("%s does not decode strictly: %v", name, err)
					}
					again, _ := json.Marshal(back)
					if !bytes.Equal(raw, again) {
						t.Errorf("%s does not round-trip:\n%s\n%s", name, raw, again)
					}
				}

				// The bucket policy: exactly list, locate and read, on that bucket.
				raw, _ := json.Marshal(p.BucketPolicy)
				var grants []string
				for _, st := range iamDocument(t, "bucket policy", raw) {
					if got := strs(st["Principal"].(map[string]any)["AWS"]); !slices.Equal(got, roles) {
						t.Errorf("bucket policy grants %v, want exactly the source reader role %v", got, roles)
					}
					// Only the reader's sessions made for this connection.
					if c, _ := st["Condition"].(map[string]any); len(c) != 1 || !reflect.DeepEqual(c["StringEquals"], thisConnection) {
						t.Errorf("bucket policy statement %v has condition %v, want only StringEquals %v", st["Sid"], st["Condition"], thisConnection)
					}
					for _, a := range strs(st["Action"]) {
						for _, r := range strs(st["Resource"]) {
							grants = append(grants, a+" on "+r)
						}
					}
				}
				slices.Sort(grants)
				want := []string{"s3:GetBucketLocation on " + arn, "s3:GetObject on " + arn + "/*", "s3:ListBucket on " + arn}
				if !slices.Equal(grants, want) {
					t.Errorf("bucket policy grants\n %v\nwant\n %v", grants, want)
				}

				// The key policy: decrypt only, by those roles, only when S3
				// decrypts an object of that bucket for them.
				raw, _ = json.Marshal(p.KmsKeyPolicy)
				sts := iamDocument(t, "key policy", raw)
				if len(sts) != 1 {
					t.Fatalf("key policy has %d statements, want 1", len(sts))
				}
				st := sts[0]
				if got := strs(st["Principal"].(map[string]any)["AWS"]); !slices.Equal(got, roles) {
					t.Errorf("key policy grants %v, want exactly the source reader role %v", got, roles)
				}
				if a := strs(st["Action"]); !slices.Equal(a, []string{"kms:Decrypt"}) {
					t.Errorf("key policy allows %v, want only kms:Decrypt", a)
				}
				if r := strs(st["Resource"]); !slices.Equal(r, []string{"*"}) { // in a key policy, the key itself
					t.Errorf("key policy resource %v, want *", r)
				}
				like, _ := st["Condition"].(map[string]any)["StringLike"].(map[string]any)
				if len(st["Condition"].(map[string]any)) != 2 || len(like) != 2 {
					t.Fatalf("key policy condition %v, want StringLike on kms:ViaService and the S3 encryption context, and the connection's tag", st["Condition"])
				}
				if eq := st["Condition"].(map[string]any)["StringEquals"]; !reflect.DeepEqual(eq, thisConnection) {
					t.Errorf("key policy admits %v, want only %v", eq, thisConnection)
				}
				home := region
				if home == "" {
					home = "us-east-1"
				}
				matches := func(patterns []string, value string) bool {
					for _, p := range patterns {
						if stringLike(p, value) {
							return true
						}
					}
					return false
				}
				via := strs(like["kms:ViaService"])
				if !matches(via, "s3."+home+"."+dnsSuffix(partition)) {
					t.Errorf("kms:ViaService %v does not match S3 in %s (%s)", via, home, dnsSuffix(partition))
				}
				for _, other := range []string{"ec2." + home + "." + dnsSuffix(partition), "sqs." + home + "." + dnsSuffix(partition)} {
					if matches(via, other) {
						t.Errorf("kms:ViaService %v lets %s decrypt", via, other)
					}
				}
				ctx := strs(like["kms:EncryptionContext:aws:s3:arn"])
				if !slices.Equal(ctx, []string{arn, arn + "/*"}) {
					t.Errorf("encryption context %v, want the bucket and its objects", ctx)
				}
				for value, want := range map[string]bool{
					arn: true, arn + "/key.csv": true, arn + "/sales/2026/key.csv": true,
					arn + "-other": false, arn + "-other/key.csv": false, "arn:" + partition + ":s3:::other/" + bucket: false,
				} {
					if matches(ctx, value) != want {
						t.Errorf("encryption context %v matches %s: %v, want %v", ctx, value, !want, want)
					}
				}
			})
		}
	}
}

// stringLike is IAM's StringLike: * matches any run of characters, ? one.
func stringLike(pattern, value string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(value)
}
