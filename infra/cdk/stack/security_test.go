package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// Connection secrets are sealed with the secrets key (kms:Encrypt, with the
// ConnectionId as encryption context) by the API and opened (kms:Decrypt) by
// the ingestion functions only; the platform key decrypts through services
// (DynamoDB, S3, SQS) only, but for the worker's task queue event source;
// the source reader, which a connection's session acts as, decrypts through
// S3 only. SECURITY.md relies on these tests.

// coversKey says whether a statement's Resource includes the key keyID:
// its ARN, any key ("…:key/*") or everything ("*").
func coversKey(resource any, keyID string) bool {
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
// kms:Decrypt on the key keyID themselves (not only through a service
// such as DynamoDB or S3, which never decrypt a ciphertext handed to them),
// and every service any role may decrypt through.
func directDecrypters(t *testing.T, tpl template, keyID string) (roles []string, via map[string][]string) {
	t.Helper()
	via = map[string][]string{}
	for _, r := range tpl.of("AWS::IAM::Role") {
		name := r.Properties["RoleName"].(string)
		direct := false
		for _, s := range roleStatements(t, tpl, name) {
			if s.Effect != "Allow" || !slices.Contains(s.actions(), "kms:Decrypt") || !coversKey(s.Resource, keyID) ||
				(keyID == secretsKeyID(t) && otherAccountsOnly(s)) {
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
	platformKey, secretsKey := keyIDs(t)
	// The source reader's use of the sources' keys (through S3, for other
	// accounts only) never reaches the secrets key: not counted there.
	got, via := directDecrypters(t, platformJSON, secretsKey)
	t.Logf("decrypt with the secrets key: directly %v; through a service %v", got, via)
	if !slices.Equal(got, want) || slices.Contains(got, n.APIFunction) || len(via) > 0 {
		t.Errorf("roles that may decrypt with the secrets key: %v (through a service %v), want exactly the ingestion roles %v", got, via, want)
	}
	// The platform key no longer holds secrets; only the worker's task
	// queue event source (CDK's grant) decrypts with it outside a service.
	got, via = directDecrypters(t, platformJSON, platformKey)
	t.Logf("decrypt with the platform key: directly %v; through a service %v", got, via)
	if !slices.Equal(got, []string{n.WorkerFunction}) {
		t.Errorf("roles that may decrypt with the platform key directly: %v, want only the worker (its queue's event source)", got)
	}
	// Through a service: DynamoDB (the table), S3 (the zones, and the
	// source objects for the source reader) and SQS (the task queue)
	// decrypt their own data, never a ciphertext handed to them.
	for role, services := range via {
		for _, s := range services {
			if !strings.Contains(s, "dynamodb.") && !strings.Contains(s, "s3.") && !strings.Contains(s, "sqs.") {
				t.Errorf("%s may decrypt through %s", role, s)
			}
			if role == n.APIFunction && !strings.Contains(s, "dynamodb.") && !strings.Contains(s, "s3.") { // the reports it links
				t.Errorf("%s may decrypt through %s", role, s)
			}
			if role == n.SchedulerRole && !strings.Contains(s, "sqs.") { // its dead letters
				t.Errorf("%s may decrypt through %s", role, s)
			}
			if role == n.SourceReaderRole && !strings.Contains(s, "s3.") {
				t.Errorf("%s may decrypt through %s", role, s)
			}
		}
	}
	if len(via[n.SourceReaderRole]) == 0 {
		t.Errorf("the source reader cannot decrypt zone or source objects through S3")
	}
}

// The key policy lets the account delegate through IAM (the roles above),
// CloudWatch Logs decrypt this account's log groups only, and CloudWatch
// alarms publish to the encrypted topic; no other principal is named.
func TestKeyPolicyNamesOnlyTheAccountAndTheLogAlarmAndEventServices(t *testing.T) {
	keyID, _ := keyIDs(t)
	key := platformJSON.Resources[keyID]
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
		case p == `{"Service":"events.amazonaws.com"}`: // the notification topic and its DLQ (events.go)
			if c := asJSON(s.Condition); !strings.Contains(c, "kms:EncryptionContext:aws:sns:topicArn") && !strings.Contains(c, "kms:EncryptionContext:aws:sqs:arn") {
				t.Errorf("EventBridge may use the key beyond the notification topic and its DLQ: %s", c)
			}
			decrypters = append(decrypters, "events")
		default:
			t.Errorf("the key policy lets %s decrypt (statement %s)", p, s.Sid)
		}
	}
	sort.Strings(decrypters)
	if !slices.Equal(slices.Compact(decrypters), []string{"account", "cloudwatch", "events", "logs"}) {
		t.Errorf("key policy decrypters %v", decrypters)
	}
}

// --- the source reader (confused deputy) -------------------------------------

// Bucket-policy sources are read only through sessions of the source
// reader role, whose policies are shared/policy's: the tests below resolve
// the template's intrinsics into text (Ref X as ${X}, Fn::GetAtt [X, A] as
// ${X.A}, Fn::Join joined) and render the Go documents with the same text.

// resolved is v with its intrinsic functions resolved into text; any other
// function is left as is, so a comparison with text fails.
func resolved(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = resolved(e)
		}
		return out
	case map[string]any:
		if s, ok := intrinsic(v); ok {
			return s
		}
		out := map[string]any{}
		for k, e := range v {
			out[k] = resolved(e)
		}
		return out
	}
	return v
}

func intrinsic(m map[string]any) (string, bool) {
	if len(m) != 1 {
		return "", false
	}
	if id, ok := m["Ref"].(string); ok {
		return "${" + id + "}", true
	}
	if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) == 2 {
		return fmt.Sprintf("${%v.%v}", att[0], att[1]), true
	}
	join, ok := m["Fn::Join"].([]any)
	if !ok || len(join) != 2 {
		return "", false
	}
	sep, _ := join[0].(string)
	parts, _ := join[1].([]any)
	var out []string
	for _, p := range parts {
		s, ok := resolved(p).(string)
		if !ok {
			return "", false
		}
		out = append(out, s)
	}
	return strings.Join(out, sep), true
}

// resolvedText is a resolved string value ("" when it is none).
func resolvedText(v any) string {
	s, _ := resolved(v).(string)
	return s
}

// canonical renders a document with its lists sorted (IAM ignores their
// order, CDK sorts some), so two documents compare as text.
func canonical(t *testing.T, doc any) string {
	t.Helper()
	d, err := policy.Parse([]byte(asJSON(doc)))
	if err != nil {
		t.Fatalf("not a policy document: %v: %s", err, asJSON(doc))
	}
	for i := range d.Statement {
		s := &d.Statement[i]
		slices.Sort(s.Action)
		slices.Sort(s.Resource)
		for _, vs := range s.Principal {
			slices.Sort(vs)
		}
		for _, keys := range s.Condition {
			for _, vs := range keys {
				slices.Sort(vs)
			}
		}
	}
	slices.SortFunc(d.Statement, func(a, b policy.Statement) int { return strings.Compare(a.Sid, b.Sid) })
	return asJSON(d)
}

// symbolic are the platform's names as the resolved template writes them.
var symbolic = platform.NamesFor("${AWS::AccountId}", "${AWS::Region}")

// roleNamed returns the logical id and the resource of the role named name.
func roleNamed(t *testing.T, name string) (string, resource) {
	t.Helper()
	for id, r := range platformJSON.of("AWS::IAM::Role") {
		if r.Properties["RoleName"] == name {
			return id, r
		}
	}
	t.Fatalf("no role named %s", name)
	return "", resource{}
}

// zoneBuckets returns the logical ids of the LZ and DLZ buckets.
func zoneBuckets(t *testing.T) (lz, dlz string) {
	t.Helper()
	for id, b := range platformJSON.of("AWS::S3::Bucket") {
		switch resolvedText(b.Properties["BucketName"]) {
		case symbolic.LZBucket:
			lz = id
		case symbolic.DLZBucket:
			dlz = id
		}
	}
	if lz == "" || dlz == "" {
		t.Fatalf("no LZ (%q) or DLZ (%q) bucket", lz, dlz)
	}
	return lz, dlz
}

// reportsBucketID is the logical id of the reports bucket.
func reportsBucketID(t *testing.T) string {
	t.Helper()
	for id, b := range platformJSON.of("AWS::S3::Bucket") {
		if resolvedText(b.Properties["BucketName"]) == symbolic.ReportsBucket {
			return id
		}
	}
	t.Fatal("no reports bucket")
	return ""
}

// templateReader is policy.Reader with the template's tokens.
func templateReader(t *testing.T) policy.Reader {
	t.Helper()
	lz, dlz := zoneBuckets(t)
	keyID, _ := keyIDs(t)
	return policy.Reader{Partition: "${AWS::Partition}", Region: "${AWS::Region}", Account: "${AWS::AccountId}",
		Zones: []string{"${" + lz + "}", "${" + dlz + "}"}, KeyARN: "${" + keyID + ".Arn}"}
}

// ingestionRoleARNs are the resolved ARNs of the ingestion functions' roles.
func ingestionRoleARNs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, fs := range Functions() {
		if fs.Ingestion {
			id, _ := roleNamed(t, fs.FunctionName(platform.NamesFor("", "")))
			out = append(out, "${"+id+".Arn}")
		}
	}
	if len(out) == 0 {
		t.Fatal("no ingestion function")
	}
	return out
}

// The reader's only policy is policy.Reader.Identity: the deployed policy
// cannot drift from what the local platform enforces.
func TestSourceReaderPolicyIsTheGoDefinition(t *testing.T) {
	n := platform.NamesFor("", "")
	_, role := roleNamed(t, n.SourceReaderRole)
	pols, _ := role.Properties["Policies"].([]any)
	if len(pols) != 1 {
		t.Fatalf("the source reader has %d inline policies, want 1", len(pols))
	}
	got := canonical(t, resolved(pols[0].(map[string]any)["PolicyDocument"]))
	want := canonical(t, templateReader(t).Identity())
	if got != want {
		t.Errorf("the source reader's policy is not policy.Reader.Identity:\n got %s\nwant %s", got, want)
	}
	if all := roleStatements(t, platformJSON, n.SourceReaderRole); len(all) != len(templateReader(t).Identity().Statement) {
		t.Errorf("the source reader has %d statements, want only those of policy.Reader.Identity", len(all))
	}
	if d := role.Properties["MaxSessionDuration"]; d != nil && d != float64(3600) {
		t.Errorf("the source reader's sessions last up to %v s, want the default hour", d)
	}
}

// Only the ingestion functions' roles (the planner's and the worker's)
// may start source-reader sessions, and tag them: the trust policy is
// policy.Reader.Trust.
func TestSourceReaderTrustsOnlyTheIngestionRoles(t *testing.T) {
	n := platform.NamesFor("", "")
	_, role := roleNamed(t, n.SourceReaderRole)
	callers := ingestionRoleARNs(t)
	got := canonical(t, resolved(role.Properties["AssumeRolePolicyDocument"]))
	if want := canonical(t, templateReader(t).Trust(callers)); got != want {
		t.Errorf("the source reader's trust policy is not policy.Reader.Trust:\n got %s\nwant %s", got, want)
	}
	planner, _ := roleNamed(t, n.PlannerFunction)
	worker, _ := roleNamed(t, n.WorkerFunction)
	want := []string{"${" + planner + ".Arn}", "${" + worker + ".Arn}"}
	slices.Sort(want)
	var trust policy.Document
	_ = json.Unmarshal([]byte(asJSON(resolved(role.Properties["AssumeRolePolicyDocument"]))), &trust)
	for _, s := range trust.Statement {
		principals := slices.Sorted(slices.Values(s.Principal["AWS"]))
		actions := slices.Sorted(slices.Values(s.Action))
		if s.Effect != policy.Allow || len(s.Principal) != 1 || !slices.Equal(principals, want) ||
			!slices.Equal(actions, []string{"sts:AssumeRole", "sts:TagSession"}) || len(s.Condition) != 0 {
			t.Errorf("trust statement %s: %s %v to %v, want sts:AssumeRole and sts:TagSession to exactly %v",
				s.Sid, s.Effect, s.Action, s.Principal, want)
		}
	}
	if len(trust.Statement) != 1 {
		t.Errorf("%d trust statements, want 1", len(trust.Statement))
	}
}

// The reader never reads the platform's own account: an explicit Deny of
// every source read where s3:ResourceAccount is the stack's account, and
// every Allow of a source read is for other accounts only.
func TestSourceReaderNeverReadsThePlatformAccount(t *testing.T) {
	_, role := roleNamed(t, platform.NamesFor("", "").SourceReaderRole)
	pols, _ := role.Properties["Policies"].([]any)
	denied, allowed := false, 0
	for _, pol := range pols {
		var d policy.Document
		_ = json.Unmarshal([]byte(asJSON(resolved(pol.(map[string]any)["PolicyDocument"]))), &d)
		for _, s := range d.Statement {
			reads := slices.ContainsFunc(s.Action, func(a string) bool { return slices.Contains(policy.SourceRead, a) })
			switch {
			case !reads:
			case s.Effect == policy.Deny:
				everything := slices.Contains(s.Resource, "arn:${AWS::Partition}:s3:::*") && slices.Contains(s.Resource, "arn:${AWS::Partition}:s3:::*/*")
				own := slices.Equal(s.Condition["StringEquals"]["s3:ResourceAccount"], policy.Strings{"${AWS::AccountId}"})
				if everything && own && len(s.Condition) == 1 && containsAll(s.Action, policy.SourceRead) {
					denied = true
				}
			default:
				allowed++
				if !slices.Equal(s.Condition["StringNotEquals"]["s3:ResourceAccount"], policy.Strings{"${AWS::AccountId}"}) {
					t.Errorf("statement %s allows %v without StringNotEquals s3:ResourceAccount = the account: %s", s.Sid, s.Action, asJSON(s.Condition))
				}
			}
		}
	}
	if !denied {
		t.Error("no Deny of every source read in the platform's account (StringEquals s3:ResourceAccount = ${AWS::AccountId})")
	}
	if allowed == 0 {
		t.Error("the source reader reads nothing")
	}
}

func containsAll(have []string, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// No role but the source reader may read (policy.SourceRead) anything but
// the zone buckets and the run objects of the reports bucket, and none
// reads or lists "*" (the planner lists bucket names, s3:ListAllMyBuckets,
// which never shows a bucket's content).
func TestOnlyTheSourceReaderReadsBeyondTheZones(t *testing.T) {
	n := platform.NamesFor("", "")
	lz, dlz := zoneBuckets(t)
	reports := reportsBucketID(t)
	zones := []string{"${" + lz + ".Arn}", "${" + dlz + ".Arn}", "arn:${AWS::Partition}:s3:::${" + lz + "}", "arn:${AWS::Partition}:s3:::${" + dlz + "}"}
	inZones := func(r string) bool {
		return slices.ContainsFunc(zones, func(z string) bool { return r == z || strings.HasPrefix(r, z+"/") }) ||
			r == "${"+reports+".Arn}" || strings.HasPrefix(r, "${"+reports+".Arn}/runs/")
	}
	for _, r := range platformJSON.of("AWS::IAM::Role") {
		name := r.Properties["RoleName"].(string)
		if name == n.SourceReaderRole {
			continue
		}
		for _, s := range roleStatements(t, platformJSON, name) {
			if s.Effect != "Allow" {
				continue
			}
			var resources policy.Strings
			_ = json.Unmarshal([]byte(asJSON(resolved(s.Resource))), &resources)
			for _, a := range s.actions() {
				if !strings.HasPrefix(a, "s3:") || (a == "s3:ListAllMyBuckets" && name == n.PlannerFunction) {
					continue
				}
				for _, res := range resources {
					if !inZones(res) {
						t.Errorf("%s may %s on %s (statement %s): only the source reader reads beyond the zones", name, a, res, s.Sid)
					}
				}
			}
		}
	}
}

// The planner and the worker start sessions of the source reader and of
// no other role; the ARN their policies build from its name is its ARN.
// The reader itself assumes only roles outside the platform's account
// (the owners' roles of assume_role connections).
func TestIngestionRolesAssumeOnlyTheSourceReader(t *testing.T) {
	n := platform.NamesFor("", "")
	readerARN := platform.RoleARN("${AWS::Partition}", "${AWS::AccountId}", n.SourceReaderRole)
	if _, role := roleNamed(t, n.SourceReaderRole); role.Properties["RoleName"] != n.SourceReaderRole {
		t.Fatalf("the source reader is named %v", role.Properties["RoleName"])
	}
	for _, r := range platformJSON.of("AWS::IAM::Role") {
		name := r.Properties["RoleName"].(string)
		assumes := map[string][]string{}
		for _, s := range roleStatements(t, platformJSON, name) {
			var resources policy.Strings
			_ = json.Unmarshal([]byte(asJSON(resolved(s.Resource))), &resources)
			for _, a := range s.actions() {
				if strings.HasPrefix(a, "sts:") {
					assumes[a] = append(assumes[a], resources...)
				}
			}
		}
		want := map[string][]string{}
		switch name {
		case n.PlannerFunction, n.WorkerFunction:
			want = map[string][]string{"sts:AssumeRole": {readerARN}, "sts:TagSession": {readerARN}}
		case n.SourceReaderRole:
			want = map[string][]string{"sts:AssumeRole": {"arn:${AWS::Partition}:iam::*:role/*"}}
			if !readerAssumesOnlyOutside(t, name) {
				t.Errorf("%s may assume roles of the platform's own account", name)
			}
		}
		if asJSON(assumes) != asJSON(want) {
			t.Errorf("%s may %v, want %v", name, assumes, want)
		}
	}
}

// The API gets the platform's own buckets (it refuses them as sources)
// and, with the planner and the worker, the source reader's ARN (the
// principal of the generated bucket policies; the role they assume).
func TestFunctionsGetTheSourceReaderAndThePlatformBuckets(t *testing.T) {
	n := platform.NamesFor("", "")
	readerID, _ := roleNamed(t, n.SourceReaderRole)
	lz, dlz := zoneBuckets(t)
	want := map[string]map[string]string{}
	for _, fn := range []string{n.APIFunction, n.PlannerFunction, n.WorkerFunction} {
		want[fn] = map[string]string{platform.EnvSourceReaderRoleARN: "${" + readerID + ".Arn}"}
	}
	// The LZ and DLZ as the bucket resources name them, then the logs and assets buckets.
	want[n.APIFunction][platform.EnvPlatformBuckets] = strings.Join([]string{
		resolvedText(platformJSON.Resources[lz].Properties["BucketName"]),
		resolvedText(platformJSON.Resources[dlz].Properties["BucketName"]),
		symbolic.LogsBucket, symbolic.AssetsBucket, symbolic.ReportsBucket,
	}, ",")
	for _, fn := range platformJSON.of("AWS::Lambda::Function") {
		name := fn.Properties["FunctionName"].(string)
		env := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, k := range []string{platform.EnvSourceReaderRoleARN, platform.EnvPlatformBuckets} {
			got, ok := env[k]
			w, wanted := want[name][k]
			if ok != wanted || ok && resolvedText(got) != w {
				t.Errorf("%s: %s = %v, want %q", name, k, resolved(got), w)
			}
		}
	}
}

// readerAssumesOnlyOutside says whether every statement of role that
// allows sts:AssumeRole excludes the platform's account.
func readerAssumesOnlyOutside(t *testing.T, role string) bool {
	t.Helper()
	for _, s := range roleStatements(t, platformJSON, role) {
		if s.Effect != "Allow" || !slices.Contains(s.actions(), "sts:AssumeRole") {
			continue
		}
		cond := s.Condition["StringNotEquals"]["aws:ResourceAccount"]
		if list, ok := cond.([]any); ok && len(list) == 1 {
			cond = list[0]
		}
		if asJSON(cond) != asJSON(map[string]any{"Ref": "AWS::AccountId"}) {
			return false
		}
	}
	return true
}
