package stack

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/platform"
)

// Connection secrets are sealed with the platform key (kms:Encrypt, with the
// ConnectionId as encryption context) by the API and opened (kms:Decrypt) by
// the ingestion functions only. SECURITY.md relies on these tests.

// coversPlatformKey says whether a statement's Resource includes the
// platform key: its ARN, any key ("…:key/*") or everything ("*").
func coversPlatformKey(resource any, keyID string) bool {
	list, ok := resource.([]any)
	if !ok {
		list = []any{resource}
	}
	for _, r := range list {
		j := asJSON(r)
		if r == "*" || j == asJSON(getAtt(keyID, "Arn")) || strings.Contains(j, ":key/*") {
			return true
		}
	}
	return false
}

// viaServices returns the services a statement's kms:ViaService condition
// confines it to, or nil when it has none.
func viaServices(s statementJSON) []string {
	var out []string
	for _, op := range []string{"StringEquals", "StringLike"} {
		switch v := s.Condition[op]["kms:ViaService"].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				out = append(out, asJSON(e))
			}
		case nil:
		default:
			out = append(out, asJSON(v))
		}
	}
	return out
}

// directDecrypters returns, by role name, the roles that may call
// kms:Decrypt on the platform key themselves (not only through a service
// such as DynamoDB or S3, which never decrypt a ciphertext handed to them),
// and every service any role may decrypt through.
func directDecrypters(t *testing.T, tpl template) (roles []string, via map[string][]string) {
	t.Helper()
	keyID, _ := tpl.one(t, "AWS::KMS::Key")
	via = map[string][]string{}
	for _, r := range tpl.of("AWS::IAM::Role") {
		name := r.Properties["RoleName"].(string)
		direct := false
		for _, s := range roleStatements(t, tpl, name) {
			if s.Effect != "Allow" || !slices.Contains(s.actions(), "kms:Decrypt") || !coversPlatformKey(s.Resource, keyID) {
				continue
			}
			if services := viaServices(s); len(services) > 0 {
				via[name] = append(via[name], services...)
			} else {
				direct = true
			}
		}
		if direct {
			roles = append(roles, name)
		}
	}
	sort.Strings(roles)
	return roles, via
}

func TestOnlyIngestionRolesCanDecryptSecrets(t *testing.T) {
	n := platform.NamesFor("", "")
	var want []string
	for _, fs := range Functions() {
		if fs.Ingestion {
			want = append(want, fs.FunctionName(n))
		}
	}
	sort.Strings(want)
	got, via := directDecrypters(t, platformJSON)
	t.Logf("decrypt with the platform key: directly %v; through a service %v", got, via)
	if !slices.Equal(got, want) || slices.Contains(got, n.APIFunction) {
		t.Errorf("roles that may decrypt with the platform key directly: %v, want exactly the ingestion roles %v", got, want)
	}
	// Through a service: DynamoDB (the table), S3 (the zones and
	// source objects) and SQS (the task queue) decrypt their own
	// data, never a ciphertext handed to them.
	for role, services := range via {
		for _, s := range services {
			if !strings.Contains(s, "dynamodb.") && !strings.Contains(s, "s3.") && !strings.Contains(s, "sqs.") {
				t.Errorf("%s may decrypt through %s", role, s)
			}
			if (role == n.APIFunction || role == n.SchedulerRole) && !strings.Contains(s, "dynamodb.") {
				t.Errorf("%s may decrypt through %s", role, s)
			}
		}
	}
}

// The key policy lets the account delegate through IAM (the roles above),
// CloudWatch Logs decrypt this account's log groups only, and CloudWatch
// alarms publish to the encrypted topic; no other principal is named.
func TestKeyPolicyNamesOnlyTheAccountAndTheLogAndAlarmServices(t *testing.T) {
	_, key := platformJSON.one(t, "AWS::KMS::Key")
	var d struct{ Statement []statementJSON }
	d.Statement = policyDocs(template{Resources: map[string]resource{"key": key}})["key"]
	var decrypters []string
	for _, s := range d.Statement {
		if s.Effect != "Allow" || !slices.Contains(s.actions(), "kms:Decrypt") {
			continue
		}
		p := asJSON(s.Principal)
		switch {
		case strings.Contains(p, ":root"):
			decrypters = append(decrypters, "account")
		case strings.Contains(p, `"logs.`):
			if !strings.Contains(asJSON(s.Condition), "kms:EncryptionContext:aws:logs:arn") {
				t.Errorf("CloudWatch Logs may decrypt beyond this account's log groups: %s", asJSON(s.Condition))
			}
			decrypters = append(decrypters, "logs")
		case p == `{"Service":"cloudwatch.amazonaws.com"}`:
			decrypters = append(decrypters, "cloudwatch")
		default:
			t.Errorf("the key policy lets %s decrypt (statement %s)", p, s.Sid)
		}
	}
	sort.Strings(decrypters)
	if !slices.Equal(decrypters, []string{"account", "cloudwatch", "logs"}) {
		t.Errorf("key policy decrypters %v", decrypters)
	}
}
