package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// The stack is synthesized once per test binary (a synth costs seconds),
// with the context values below, from placeholder bootstraps whose content
// names their function. Every test reads this one template.
const testMaxConcurrency = 37

var (
	platformTpl  assertions.Template
	platformJSON template
	// cdkOut is the cloud assembly the template was synthesized into: it
	// holds the staged assets (asset.<hash>/bootstrap).
	cdkOut string
	// synthContext is the app context the template was synthesized with,
	// for tests that build their own app (nag aspects run before synthesis).
	synthContext map[string]any
)

func TestMain(m *testing.M) {
	// Silence the Node 20 end-of-life banner (LOCAL.md). The jsii runtime
	// captures the environment when its packages initialize, so the kernel
	// is restarted (Close) to pick the variable up.
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
		jsii.Close()
	}
	code, err := synthesize(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "synthesize the stack:", err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

func synthesize(m *testing.M) (code int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	dir, err := os.MkdirTemp("", "s3connections-cdk-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	assets := filepath.Join(dir, "bin")
	for _, f := range functions.Deployed() {
		if err := os.MkdirAll(filepath.Join(assets, f.Name), 0o755); err != nil {
			return 1, err
		}
		// Fixed content: the asset hashes, hence the templates, are deterministic.
		if err := os.WriteFile(filepath.Join(assets, f.Name, "bootstrap"), []byte("placeholder "+f.Name+"\n"), 0o755); err != nil {
			return 1, err
		}
	}
	// The context of cdk.json (feature flags, defaults), as `make synth`
	// sees it, with the test's values on top.
	cdkJSON, err := readCDKJSON()
	if err != nil {
		return 1, err
	}
	context := cdkJSON.Context
	context[CtxAssetDir] = assets
	context[CtxWorkerMaxConcurrency] = fmt.Sprint(testMaxConcurrency) // a string, as `-c` passes it
	context[CtxEnabledOptInRegions] = "eu-south-1,af-south-1"
	synthContext = context
	cdkOut = filepath.Join(dir, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:      jsii.String(cdkOut),
		StackTraces: jsii.Bool(false),
		Context:     &context,
	})
	props, err := PropsFromContext(app.Node())
	if err != nil {
		return 1, err
	}
	plat, err := New(app, "s3connections", props)
	if err != nil {
		return 1, err
	}
	platformTpl = assertions.Template_FromStack(plat.Stack, nil)
	if platformJSON, err = decode(platformTpl); err != nil {
		return 1, err
	}
	return m.Run(), nil
}

type cdkJSONFile struct {
	App     string
	Context map[string]any
}

// readCDKJSON reads the repository's cdk.json.
func readCDKJSON() (cdkJSONFile, error) {
	var f cdkJSONFile
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "cdk.json"))
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(raw, &f)
}

// template is a synthesized CloudFormation template, decoded in Go so the
// tests can check properties of every resource of a type.
type template struct {
	Resources map[string]resource
	Outputs   map[string]any
}

type resource struct {
	Type           string
	Properties     map[string]any
	DeletionPolicy string
}

func decode(t assertions.Template) (template, error) {
	raw, err := json.Marshal(t.ToJSON())
	if err != nil {
		return template{}, err
	}
	var out template
	return out, json.Unmarshal(raw, &out)
}

// of returns the resources of type typ by logical id.
func (t template) of(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range t.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// one returns the logical id of the only resource of type typ.
func (t template) one(tb testing.TB, typ string) (string, resource) {
	tb.Helper()
	rs := t.of(typ)
	if len(rs) != 1 {
		tb.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// must runs an assertions-library check; a failed assertion panics in
// jsii, which would end the test binary: it fails the test instead.
func must(t *testing.T, what string, check func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	check()
}

func obj(kv ...any) *map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return &m
}

func like(kv ...any) assertions.Matcher { return assertions.Match_ObjectLike(obj(kv...)) }

func arrayWith(items ...any) assertions.Matcher { return assertions.Match_ArrayWith(&items) }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// asJSON renders v for comparisons of template fragments.
func asJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// --- keys and encryption at rest -------------------------------------------

func TestKeyRotatesAndIsRetained(t *testing.T) {
	must(t, "key", func() {
		platformTpl.HasResource(jsii.String("AWS::KMS::Key"), like(
			"Properties", like("EnableKeyRotation", true, "PendingWindowInDays", 30),
			"DeletionPolicy", "Retain",
		))
	})
	must(t, "alias", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::KMS::Alias"), like("AliasName", platform.NamesFor("", "").KeyAlias))
	})
}

// Every store is encrypted with the platform's key.
func TestEveryStoreIsEncryptedWithThePlatformKey(t *testing.T) {
	keyID, _ := keyIDs(t)
	keyARN := asJSON(getAtt(keyID, "Arn"))
	testCases := []struct {
		typ  string
		want int
		key  func(p map[string]any) any
	}{
		{"AWS::DynamoDB::Table", 1, func(p map[string]any) any {
			sse, _ := p["SSESpecification"].(map[string]any)
			if sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" {
				return nil
			}
			return sse["KMSMasterKeyId"]
		}},
		{"AWS::S3::Bucket", 4, func(p map[string]any) any {
			if resolvedText(p["BucketName"]) == symbolic.LogsBucket {
				return getAtt(keyID, "Arn") // SSE-S3 by design: TestAccessLogsBucket
			}
			rules := p["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)
			rule := rules[0].(map[string]any)
			def := rule["ServerSideEncryptionByDefault"].(map[string]any)
			if len(rules) != 1 || rule["BucketKeyEnabled"] != true || def["SSEAlgorithm"] != "aws:kms" {
				return nil
			}
			return def["KMSMasterKeyID"]
		}},
		{"AWS::SQS::Queue", 7, func(p map[string]any) any { return p["KmsMasterKeyId"] }}, // tasks, planner failures, their DLQs, the scheduler's DLQ, the notifications' DLQ, the source events' DLQ
		{"AWS::Logs::LogGroup", len(Functions()) + 1, func(p map[string]any) any { return p["KmsKeyId"] }},
		{"AWS::SNS::Topic", 2, func(p map[string]any) any { return p["KmsMasterKeyId"] }}, // alarms, run notifications
	}
	for _, tc := range testCases {
		t.Run(tc.typ, func(t *testing.T) {
			rs := platformJSON.of(tc.typ)
			if len(rs) != tc.want {
				t.Errorf("%d resources, want %d", len(rs), tc.want)
			}
			for id, r := range rs {
				if got := asJSON(tc.key(r.Properties)); got != keyARN {
					t.Errorf("%s is encrypted with %s, want the platform key %s", id, got, keyARN)
				}
			}
		})
	}
}

// --- storage -----------------------------------------------------------------

// The deployed table has the key schema the code (and the local platform)
// uses: metadata.TableInput.
func TestTableMatchesTheMetadataTableDefinition(t *testing.T) {
	_, table := platformJSON.one(t, "AWS::DynamoDB::Table")
	in := metadata.TableInput(platform.NamesFor("", "").Table)
	var keys, attrs []map[string]any
	for _, k := range in.KeySchema {
		keys = append(keys, map[string]any{"AttributeName": *k.AttributeName, "KeyType": string(k.KeyType)})
	}
	for _, a := range in.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": *a.AttributeName, "AttributeType": string(a.AttributeType)})
	}
	p := table.Properties
	if asJSON(p["KeySchema"]) != asJSON(keys) {
		t.Errorf("KeySchema = %s, metadata.TableInput has %s", asJSON(p["KeySchema"]), asJSON(keys))
	}
	if asJSON(p["AttributeDefinitions"]) != asJSON(attrs) {
		t.Errorf("AttributeDefinitions = %s, metadata.TableInput has %s", asJSON(p["AttributeDefinitions"]), asJSON(attrs))
	}
	if p["TableName"] != *in.TableName || p["BillingMode"] != string(in.BillingMode) {
		t.Errorf("TableName %v, BillingMode %v; want %s, %s", p["TableName"], p["BillingMode"], *in.TableName, in.BillingMode)
	}
	if p["GlobalSecondaryIndexes"] != nil || len(in.GlobalSecondaryIndexes) > 0 {
		t.Errorf("indexes differ: stack %v, code %v", p["GlobalSecondaryIndexes"], in.GlobalSecondaryIndexes)
	}
	must(t, "PITR, deletion protection, retained", func() {
		platformTpl.HasResource(jsii.String("AWS::DynamoDB::Table"), like(
			"Properties", like(
				"PointInTimeRecoverySpecification", like("PointInTimeRecoveryEnabled", true),
				"DeletionProtectionEnabled", true,
				"BillingMode", "PAY_PER_REQUEST",
			),
			"DeletionPolicy", "Retain",
		))
	})
}

func TestBucketsArePrivateVersionedAndRetained(t *testing.T) {
	must(t, "buckets", func() {
		platformTpl.AllResources(jsii.String("AWS::S3::Bucket"), like(
			"Properties", like(
				"PublicAccessBlockConfiguration", like("BlockPublicAcls", true, "BlockPublicPolicy", true,
					"IgnorePublicAcls", true, "RestrictPublicBuckets", true),
				"VersioningConfiguration", like("Status", "Enabled"),
				"OwnershipControls", like("Rules", arrayWith(like("ObjectOwnership", "BucketOwnerEnforced"))),
			),
			"DeletionPolicy", "Retain",
		))
	})
}

// Every bucket, queue and topic has a policy that denies requests without
// TLS; the buckets' also deny TLS older than 1.2.
func TestStoresAreTLSOnly(t *testing.T) {
	insecure := like("Effect", "Deny", "Condition", like("Bool", like("aws:SecureTransport", "false")))
	for _, tc := range []struct{ store, policy, key string }{
		{"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "Bucket"},
		{"AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "Queues"},
		{"AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "Topics"},
	} {
		t.Run(tc.store, func(t *testing.T) {
			covered := map[string]bool{}
			for id, p := range platformJSON.of(tc.policy) {
				doc := p.Properties["PolicyDocument"]
				if !strings.Contains(asJSON(doc), `"aws:SecureTransport":"false"`) {
					t.Errorf("%s has no TLS-only statement: %s", id, asJSON(doc))
				}
				target := asJSON(p.Properties[tc.key]) // the store(s) the policy is attached to
				for storeID := range platformJSON.of(tc.store) {
					if strings.Contains(target, `"`+storeID+`"`) {
						covered[storeID] = true
					}
				}
			}
			for id := range platformJSON.of(tc.store) {
				if !covered[id] {
					t.Errorf("%s has no TLS-only policy", id)
				}
			}
			must(t, "deny statement", func() {
				platformTpl.AllResourcesProperties(jsii.String(tc.policy), like("PolicyDocument", like("Statement", arrayWith(insecure))))
			})
		})
	}
	must(t, "minimum TLS version on buckets", func() {
		platformTpl.AllResourcesProperties(jsii.String("AWS::S3::BucketPolicy"), like("PolicyDocument", like("Statement", arrayWith(
			like("Effect", "Deny", "Condition", like("NumericLessThan", like("s3:TlsVersion", 1.2)))))))
	})
}

func TestTaskQueueRedrivesToTheDLQ(t *testing.T) {
	dlq := ""
	for id, q := range platformJSON.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == platform.NamesFor("", "").TaskDLQ {
			dlq = id
		}
	}
	must(t, "task queue", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), like(
			"QueueName", platform.NamesFor("", "").TaskQueue,
			"VisibilityTimeout", TaskVisibilityTimeout.Seconds(),
			"RedrivePolicy", like("deadLetterTargetArn", getAtt(dlq, "Arn"), "maxReceiveCount", TaskMaxReceives),
		))
	})
}

// --- IAM ---------------------------------------------------------------------

type statementJSON struct {
	Sid       string
	Effect    string
	Action    any
	NotAction any
	Resource  any
	Principal any
	Condition map[string]map[string]any
}

func (s statementJSON) actions() []string {
	switch a := s.Action.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, len(a))
		for i, x := range a {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

// policyDocs returns every policy document of a template, by where it is.
func policyDocs(t template) map[string][]statementJSON {
	out := map[string][]statementJSON{}
	add := func(where string, doc any) {
		var d struct{ Statement []statementJSON }
		_ = json.Unmarshal([]byte(asJSON(doc)), &d)
		out[where] = append(out[where], d.Statement...)
	}
	for id, r := range t.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::IAM::Role":
			add(id+" (trust)", p["AssumeRolePolicyDocument"])
			pols, _ := p["Policies"].([]any)
			for _, pol := range pols {
				add(id, pol.(map[string]any)["PolicyDocument"])
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy":
			add(id, p["PolicyDocument"])
		case "AWS::KMS::Key":
			add(id, p["KeyPolicy"])
		}
	}
	return out
}

// No policy of the stack allows a wildcard action (a Deny of s3:* for
// requests without TLS is fine: it takes away, it grants nothing), no
// NotAction, and no managed policy is attached at all.
func TestNoWildcardActionsAndNoManagedPolicies(t *testing.T) {
	for where, sts := range policyDocs(platformJSON) {
		for _, s := range sts {
			if s.NotAction != nil {
				t.Errorf("%s: NotAction %v", where, s.NotAction)
			}
			if s.Effect != "Allow" {
				continue
			}
			for _, a := range s.actions() {
				if strings.Contains(a, "*") {
					t.Errorf("%s: statement %q allows the wildcard action %q", where, s.Sid, a)
				}
			}
		}
	}
	for id, r := range platformJSON.of("AWS::IAM::Role") {
		if r.Properties["ManagedPolicyArns"] != nil {
			t.Errorf("role %s has managed policies %v", id, r.Properties["ManagedPolicyArns"])
		}
	}
	if n := len(platformJSON.of("AWS::IAM::ManagedPolicy")); n > 0 {
		t.Errorf("%d managed policies", n)
	}
}

// roleStatements returns the inline statements of the role named name.
func roleStatements(t *testing.T, tpl template, name string) []statementJSON {
	t.Helper()
	for id, r := range tpl.of("AWS::IAM::Role") {
		if r.Properties["RoleName"] != name {
			continue
		}
		var out []statementJSON
		for where, sts := range policyDocs(tpl) {
			if where == id {
				out = append(out, sts...)
			}
		}
		// Policies CDK attaches (e.g. the event source's queue access).
		for pid, p := range tpl.of("AWS::IAM::Policy") {
			if strings.Contains(asJSON(p.Properties["Roles"]), asJSON(ref(id))) {
				out = append(out, policyDocs(tpl)[pid]...)
			}
		}
		return out
	}
	t.Fatalf("no role named %s", name)
	return nil
}

// grants flattens statements to "action [condition]" -> resources.
func grants(sts []statementJSON) map[string]string {
	out := map[string]string{}
	for _, s := range sts {
		for _, a := range s.actions() {
			key := a
			if len(s.Condition) > 0 {
				key += " if " + asJSON(s.Condition)
			}
			out[key] += asJSON(s.Resource)
		}
	}
	return out
}

func actionSet(sts []statementJSON) []string {
	seen := map[string]bool{}
	for _, s := range sts {
		for _, a := range s.actions() {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Least privilege, written out: the exact actions of every role.
func TestRolesHaveExactlyTheirActions(t *testing.T) {
	n := platform.NamesFor("", "")
	table := []string{"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
		"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	tableKey := []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	with := func(groups ...[]string) []string {
		var out []string
		for _, g := range groups {
			out = append(out, g...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	// Lambda's active tracing (CDK adds it to each function's role).
	xray := []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
	testCases := []struct {
		tpl  template
		role string
		want []string
	}{
		{platformJSON, n.APIFunction, with(logs, table, tableKey, xray, []string{"kms:Encrypt",
			"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule",
			"iam:PassRole", "lambda:InvokeFunction", "s3:GetObject"})}, // the assembled reports, for presigned links
		{platformJSON, n.PlannerFunction, with(logs, table, tableKey, xray, []string{"kms:Decrypt", "kms:GenerateDataKey",
			"s3:ListAllMyBuckets", "sts:AssumeRole", "sts:TagSession", "sqs:SendMessage", "lambda:InvokeFunction",
			// its failure queue's event source
			"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
			"events:PutEvents", // run events, on the outbound bus only (TestOnlyIngestionPutsRunEvents)
			// report parts, and reports assembled as it publishes run events
			"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListBucket"})},
		{platformJSON, n.SchedulerRole, []string{"kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "sqs:SendMessage"}},
		{platformJSON, n.WorkerFunction, with(logs, table, tableKey, xray, []string{"s3:GetObject", "kms:Decrypt",
			"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "kms:GenerateDataKey", "sts:AssumeRole", "sts:TagSession",
			// the task queue's event source
			"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
			"events:PutEvents", "s3:ListBucket", // the listing of its run's report parts
			"dynamodb:PartiQLInsert"})}, // new catalog entries, in batches
		// Its Deny names the same reads as its Allow; it assumes owners'
		// roles for assume_role connections.
		{platformJSON, n.SourceReaderRole, with([]string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:RestoreObject",
			"s3:PutObject", "s3:AbortMultipartUpload", "kms:GenerateDataKey", "kms:Decrypt", "sts:AssumeRole"})},
	}
	for _, tc := range testCases {
		t.Run(tc.role, func(t *testing.T) {
			got := actionSet(roleStatements(t, tc.tpl, tc.role))
			if !slices.Equal(got, tc.want) {
				t.Errorf("actions\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// The API encrypts secrets (with the secrets key, for one connection's
// encryption context) but cannot decrypt them: its only kms:Decrypt is what
// DynamoDB does with the table key on its behalf, and S3 with the platform
// key for the assembled reports it links (presigned with its role); it
// reads no source bucket, and of the reports bucket only the reports.
func TestAPICannotDecryptSecretsOrReadSources(t *testing.T) {
	n := platform.NamesFor("", "")
	_, secretsKey := keyIDs(t)
	platformKey, _ := keyIDs(t)
	reports := reportsBucketID(t)
	for _, s := range roleStatements(t, platformJSON, n.APIFunction) {
		for _, a := range s.actions() {
			if strings.HasPrefix(a, "s3:") && (a != "s3:GetObject" || asJSON(resolved(s.Resource)) != `"${`+reports+`.Arn}/runs/*/report.*"`) {
				t.Errorf("the API may %s on %s (%s)", a, asJSON(resolved(s.Resource)), s.Sid)
			}
			if a == "kms:Decrypt" || strings.HasPrefix(a, "kms:ReEncrypt") {
				via := asJSON(s.Condition["StringEquals"]["kms:ViaService"])
				viaS3 := a == "kms:Decrypt" && strings.Contains(via, `"s3."`) && asJSON(s.Resource) == asJSON(getAtt(platformKey, "Arn"))
				if len(s.Condition) != 1 || len(s.Condition["StringEquals"]) != 1 || !strings.Contains(via, `"dynamodb."`) && !viaS3 {
					t.Errorf("the API may %s outside DynamoDB: statement %s, condition %s", a, s.Sid, asJSON(s.Condition))
				}
			}
		}
	}
	g := grants(roleStatements(t, platformJSON, n.APIFunction))
	encrypt := "kms:Encrypt if " + asJSON(secretContextConditions())
	if g[encrypt] != asJSON(getAtt(secretsKey, "Arn")) || g["kms:Encrypt"] != "" {
		t.Errorf("kms:Encrypt grants %v, want %q on the secrets key only", g, encrypt)
	}
}

// The API passes only the scheduler role, only to EventBridge Scheduler,
// manages schedules only in the platform's group and invokes only the
// planner; the scheduler role invokes only the planner.
func TestAPIAndSchedulerReachOnlyWhatTheyNeed(t *testing.T) {
	n := platform.NamesFor("", "")
	schedRoleID := ""
	for id, r := range platformJSON.of("AWS::IAM::Role") {
		if r.Properties["RoleName"] == n.SchedulerRole {
			schedRoleID = id
		}
	}
	g := grants(roleStatements(t, platformJSON, n.APIFunction))
	pass := `iam:PassRole if {"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`
	if g[pass] != asJSON(getAtt(schedRoleID, "Arn")) {
		t.Errorf("iam:PassRole grants %v", g)
	}
	if r := g["scheduler:CreateSchedule"]; !strings.Contains(r, `:schedule/`+n.ScheduleGroup+`/*"`) {
		t.Errorf("scheduler:CreateSchedule on %s, want the schedules of group %s", r, n.ScheduleGroup)
	}
	for _, role := range []string{n.APIFunction, n.SchedulerRole} {
		inv := grants(roleStatements(t, platformJSON, role))["lambda:InvokeFunction"]
		if !strings.Contains(inv, ":function:"+n.PlannerFunction+`"`) || strings.Count(inv, ":function:") != 2 {
			t.Errorf("%s invokes %s, want only the planner (and its versions)", role, inv)
		}
	}
	must(t, "scheduler trust", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), like(
			"RoleName", n.SchedulerRole,
			"AssumeRolePolicyDocument", like("Statement", arrayWith(like(
				"Principal", like("Service", "scheduler.amazonaws.com"),
				"Condition", like("StringEquals", like("aws:SourceAccount", ref("AWS::AccountId"))),
			))),
		))
	})
	must(t, "schedule group", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::Scheduler::ScheduleGroup"), like("Name", n.ScheduleGroup))
	})
}

// The planner reads no bucket with its own role but the run objects of
// the reports bucket (report parts, and reports it assembles): it lists
// bucket names (s3:ListAllMyBuckets, to tell the platform's own buckets),
// reads sources through source-reader sessions, and invokes only itself.
func TestPlannerListsButDoesNotRead(t *testing.T) {
	n := platform.NamesFor("", "")
	g := grants(roleStatements(t, platformJSON, n.PlannerFunction))
	reports := reportsBucketID(t)
	for _, a := range []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject"} {
		if g[a] != "" && g[a] != asJSON(map[string]any{"Fn::Join": []any{"", []any{getAtt(reports, "Arn"), "/runs/*"}}}) {
			t.Errorf("the planner may %s on %s with its own role", a, g[a])
		}
	}
	if g["s3:ListAllMyBuckets"] != `"*"` {
		t.Errorf("s3:ListAllMyBuckets on %s, want \"*\" (the only resource it has)", g["s3:ListAllMyBuckets"])
	}
	if inv := g["lambda:InvokeFunction"]; !strings.Contains(inv, ":function:"+n.PlannerFunction+`"`) || strings.Count(inv, ":function:") != 2 {
		t.Errorf("the planner invokes %s, want only itself", inv)
	}
}

// --- functions ---------------------------------------------------------------

func TestFunctionsRunAsPackagedWithTheirEnvironment(t *testing.T) {
	fns := platformJSON.of("AWS::Lambda::Function")
	if len(fns) != len(Functions()) {
		t.Errorf("%d functions, want %d", len(fns), len(Functions()))
	}
	for _, fs := range Functions() {
		fnName := fs.FunctionName(platform.NamesFor("", ""))
		var fn *resource
		for _, f := range fns {
			if f.Properties["FunctionName"] == fnName {
				fn = &f
			}
		}
		if fn == nil {
			t.Errorf("no function %s", fnName)
			continue
		}
		p := fn.Properties
		if p["Runtime"] != "provided.al2023" || asJSON(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("%s runs %v on %v with handler %v", fnName, p["Runtime"], p["Architectures"], p["Handler"])
		}
		if p["Timeout"] != fs.Timeout.Seconds() || p["MemorySize"] != float64(fs.MemoryMiB) {
			t.Errorf("%s timeout %v memory %v", fnName, p["Timeout"], p["MemorySize"])
		}
		if want, got := fs.EphemeralMiB, p["EphemeralStorage"]; (want > 512) != (got != nil) ||
			want > 512 && got.(map[string]any)["Size"] != float64(want) {
			t.Errorf("%s ephemeral storage %v, want %d MiB", fnName, got, want)
		}
		logging, _ := p["LoggingConfig"].(map[string]any)
		if logging["LogFormat"] != "JSON" || logging["LogGroup"] == nil {
			t.Errorf("%s logging %v, want JSON to its own log group", fnName, logging)
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		// Every setting the function requires, none it does not declare,
		// and the optional ones the stack tunes; never the local S3's
		// path-style switch.
		for _, k := range fs.Env.Required {
			if _, ok := env[k]; !ok {
				t.Errorf("%s lacks %s, which it requires", fnName, k)
			}
		}
		for k := range env {
			if !slices.Contains(fs.Env.Names(), k) {
				t.Errorf("%s gets %s, which it does not declare", fnName, k)
			}
		}
		for _, k := range []string{platform.EnvEnabledOptInRegions, platform.EnvPlannerBudget, platform.EnvMaxReceiveCount} {
			if _, ok := env[k]; slices.Contains(fs.Env.Optional, k) && !ok {
				t.Errorf("%s reads %s, which the stack does not set", fnName, k)
			}
		}
		if _, ok := env[platform.EnvS3PathStyle]; ok {
			t.Errorf("%s gets the local-only %s", fnName, platform.EnvS3PathStyle)
		}
		if v, ok := env[platform.EnvPlannerBudget]; ok && v != functions.PlannerTimeBudget.String() {
			t.Errorf("%s: %s=%v, want %v", fnName, platform.EnvPlannerBudget, v, functions.PlannerTimeBudget)
		}
		if v, ok := env[platform.EnvMaxReceiveCount]; ok && v != fmt.Sprint(TaskMaxReceives) {
			t.Errorf("%s: %s=%v, want the queue's %d", fnName, platform.EnvMaxReceiveCount, v, TaskMaxReceives)
		}
		if v, ok := env[platform.EnvEnabledOptInRegions]; ok && v != "eu-south-1,af-south-1" {
			t.Errorf("%s: %s=%v, want the context value", fnName, platform.EnvEnabledOptInRegions, v)
		}
	}
}

// The task queue's event source: the worker is its only consumer, with
// partial batch responses and the maximum concurrency of the context value.
func TestWorkerEventSourceTakesMaxConcurrencyFromContext(t *testing.T) {
	n := platform.NamesFor("", "")
	mapping := eventSourceOf(t, n.TaskQueue)
	workerID := ""
	for id, f := range platformJSON.of("AWS::Lambda::Function") {
		if f.Properties["FunctionName"] == n.WorkerFunction {
			workerID = id
		}
	}
	if got := asJSON(mapping.Properties["FunctionName"]); workerID == "" || got != asJSON(ref(workerID)) {
		t.Errorf("the task queue's event source invokes %s, want the worker %s (%s)", got, n.WorkerFunction, workerID)
	}
	tasksID := ""
	for id, q := range platformJSON.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == n.TaskQueue {
			tasksID = id
		}
	}
	must(t, "event source", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), like(
			"EventSourceArn", getAtt(tasksID, "Arn"),
			"FunctionResponseTypes", []any{"ReportBatchItemFailures"},
			"ScalingConfig", like("MaximumConcurrency", testMaxConcurrency),
			"BatchSize", TaskBatchSize,
			"MaximumBatchingWindowInSeconds", int(TaskBatchingWindow.Seconds()),
		))
	})
}

// --- API -----------------------------------------------------------------------

func TestRoutesAreTheAPIsRoutes(t *testing.T) {
	var want, got []string
	for _, r := range httpapi.Routes() {
		want = append(want, r.Key())
	}
	for _, r := range platformJSON.of("AWS::ApiGatewayV2::Route") {
		got = append(got, fmt.Sprint(r.Properties["RouteKey"]))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("routes\n got %v\nwant %v (httpapi.Routes)", got, want)
	}
}

func TestJWTAuthorizerGuardsEveryRouteButThePublicOnes(t *testing.T) {
	authID, auth := platformJSON.one(t, "AWS::ApiGatewayV2::Authorizer")
	poolID, _ := platformJSON.one(t, "AWS::Cognito::UserPool")
	clientID, _ := platformJSON.one(t, "AWS::Cognito::UserPoolClient")
	jwt := asJSON(auth.Properties["JwtConfiguration"])
	if auth.Properties["AuthorizerType"] != "JWT" || !strings.Contains(jwt, `"Ref":"`+poolID+`"`) ||
		!strings.Contains(jwt, `"Audience":[{"Ref":"`+clientID+`"}]`) || !strings.Contains(jwt, "https://cognito-idp.") {
		t.Errorf("authorizer %s: %s", auth.Properties["AuthorizerType"], jwt)
	}
	public := map[string]bool{}
	for _, r := range httpapi.Routes() {
		public[r.Key()] = r.Public
	}
	if !public["GET /health"] {
		t.Error("GET /health should be public")
	}
	for id, r := range platformJSON.of("AWS::ApiGatewayV2::Route") {
		key := fmt.Sprint(r.Properties["RouteKey"])
		gotAuth := r.Properties["AuthorizationType"]
		switch {
		case public[key] && gotAuth != "NONE":
			t.Errorf("%s (%s): authorization %v, want NONE", key, id, gotAuth)
		case !public[key] && (gotAuth != "JWT" || asJSON(r.Properties["AuthorizerId"]) != asJSON(ref(authID))):
			t.Errorf("%s (%s): authorization %v by %v, want the JWT authorizer", key, id, gotAuth, r.Properties["AuthorizerId"])
		}
	}
}

func TestAPIStageIsThrottledAndLogged(t *testing.T) {
	must(t, "stage", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), like(
			"StageName", "$default",
			"AutoDeploy", true,
			"DefaultRouteSettings", like("ThrottlingRateLimit", DefaultAPIRateLimit, "ThrottlingBurstLimit", DefaultAPIBurstLimit),
			"AccessLogSettings", like("DestinationArn", assertions.Match_AnyValue(), "Format", assertions.Match_StringLikeRegexp(jsii.String(`.*\$context\.requestId.*`))),
		))
	})
	must(t, "user pool", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), like(
			"AdminCreateUserConfig", like("AllowAdminCreateUserOnly", true),
			"DeletionProtection", "ACTIVE",
		))
	})
}

// --- observability ---------------------------------------------------------------

func TestAlarms(t *testing.T) {
	n := platform.NamesFor("", "")
	topicID := topicNamed(t, platform.Prefix+"-alarms")
	alarms := map[string]resource{}
	for _, a := range platformJSON.of("AWS::CloudWatch::Alarm") {
		alarms[fmt.Sprint(a.Properties["AlarmName"])] = a
		if asJSON(a.Properties["AlarmActions"]) != asJSON([]any{ref(topicID)}) {
			t.Errorf("alarm %v notifies %v, want the alarm topic", a.Properties["AlarmName"], a.Properties["AlarmActions"])
		}
	}
	type alarm = struct {
		metric    string
		threshold float64
	}
	want := map[string]alarm{
		n.TaskDLQ + "-not-empty":     {"ApproximateNumberOfMessagesVisible", 1},
		n.TaskQueue + "-oldest-task": {"ApproximateAgeOfOldestMessage", TaskAgeAlarm.Seconds()},
		n.APIName + "-5xx-rate":      {"", APIServerErrorRate}, // a math expression over 5xx and Count
		// The queues of asynchronous failures (failures.go).
		n.PlannerFailures + "-not-empty":    {"ApproximateNumberOfMessagesVisible", 1},
		n.PlannerFailuresDLQ + "-not-empty": {"ApproximateNumberOfMessagesVisible", 1},
		n.SchedulerDLQ + "-not-empty":       {"ApproximateNumberOfMessagesVisible", 1},
		n.NotificationsDLQ + "-not-empty":   {"ApproximateNumberOfMessagesVisible", 1},
		n.EventsDLQ + "-not-empty":          {"ApproximateNumberOfMessagesVisible", 1},
	}
	for _, s := range Functions() {
		name := s.FunctionName(n)
		want[name+"-errors"] = alarm{"Errors", 1}
		want[name+"-throttles"] = alarm{"Throttles", 1}
		if s.OverTime > 0 {
			want[name+"-over-time-budget"] = struct {
				metric    string
				threshold float64
			}{"Duration", float64(s.OverTime.Milliseconds())}
		}
	}
	if _, ok := want[n.PlannerFunction+"-over-time-budget"]; !ok || functions.Planner().OverTime != functions.PlannerTimeBudget+ingest.DefaultMargin {
		t.Errorf("the planner needs an over-time alarm at its time budget plus its hand-over margin")
	}
	if functions.PlannerTimeBudget+ingest.DefaultMargin >= functions.PlannerTimeout {
		t.Errorf("the planner's budget %v and margin %v do not fit its timeout %v", functions.PlannerTimeBudget, ingest.DefaultMargin, functions.PlannerTimeout)
	}
	for name, w := range want {
		a, ok := alarms[name]
		if !ok {
			t.Errorf("no alarm %s", name)
			continue
		}
		if a.Properties["MetricName"] != nil && a.Properties["MetricName"] != w.metric || a.Properties["Threshold"] != w.threshold {
			t.Errorf("alarm %s on %v >= %v, want %s >= %v", name, a.Properties["MetricName"], a.Properties["Threshold"], w.metric, w.threshold)
		}
	}
	if len(alarms) != len(want) {
		t.Errorf("%d alarms, want %d", len(alarms), len(want))
	}
}

// The dashboard shows the platform's EMF metrics (names from
// shared/metrics) and both queues' depth.
func TestDashboardShowsRunsFilesAndQueues(t *testing.T) {
	_, d := platformJSON.one(t, "AWS::CloudWatch::Dashboard")
	body := asJSON(d.Properties["DashboardBody"])
	if d.Properties["DashboardName"] != platform.NamesFor("", "").Dashboard {
		t.Errorf("dashboard name %v", d.Properties["DashboardName"])
	}
	for _, m := range metrics.All() {
		if !strings.Contains(body, `[\"`+metrics.Namespace+`\",\"`+m.Name+`\"`) {
			t.Errorf("the dashboard does not show %s/%s", metrics.Namespace, m.Name)
		}
	}
	for _, s := range []string{"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "Dead-letter queue depth", "Task queue depth"} {
		if !strings.Contains(body, s) {
			t.Errorf("the dashboard does not show %s", s)
		}
	}
}

// --- names, tags, outputs, counts --------------------------------------------------

// Every named resource carries the platform prefix and every taggable
// resource the Project and Component tags.
func TestResourcesAreNamedAndTagged(t *testing.T) {
	nameProps := map[string]string{
		"AWS::DynamoDB::Table": "TableName", "AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
		"AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName", "AWS::Logs::LogGroup": "LogGroupName",
		"AWS::Cognito::UserPool": "UserPoolName", "AWS::Cognito::UserPoolClient": "ClientName", "AWS::ApiGatewayV2::Api": "Name",
		"AWS::ApiGatewayV2::Authorizer": "Name", "AWS::CloudWatch::Alarm": "AlarmName", "AWS::CloudWatch::Dashboard": "DashboardName",
		"AWS::SNS::Topic": "TopicName", "AWS::Scheduler::ScheduleGroup": "Name", "AWS::KMS::Alias": "AliasName",
		"AWS::Scheduler::Schedule": "Name", "AWS::Events::EventBus": "Name", "AWS::Events::Rule": "Name",
	}
	// Resources without a name of their own (the key is named by its alias).
	nameless := map[string]bool{
		"AWS::KMS::Key": true, "AWS::S3::BucketPolicy": true, "AWS::SQS::QueuePolicy": true, "AWS::SNS::TopicPolicy": true,
		"AWS::ApiGatewayV2::Route": true, "AWS::ApiGatewayV2::Integration": true, "AWS::ApiGatewayV2::Stage": true,
		"AWS::Lambda::Permission": true, "AWS::Lambda::EventSourceMapping": true, "AWS::IAM::Policy": true,
		"AWS::Lambda::EventInvokeConfig": true, "AWS::Events::EventBusPolicy": true,
	}
	untaggable := map[string]bool{
		"AWS::KMS::Alias": true, "AWS::S3::BucketPolicy": true, "AWS::SQS::QueuePolicy": true, "AWS::SNS::TopicPolicy": true,
		"AWS::ApiGatewayV2::Route": true, "AWS::ApiGatewayV2::Integration": true, "AWS::ApiGatewayV2::Authorizer": true,
		"AWS::Lambda::Permission": true, "AWS::CloudWatch::Alarm": true, "AWS::CloudWatch::Dashboard": true,
		"AWS::Cognito::UserPoolClient": true, "AWS::Lambda::EventSourceMapping": true, "AWS::IAM::Policy": true,
		"AWS::Lambda::EventInvokeConfig": true, "AWS::Scheduler::Schedule": true, "AWS::Events::Rule": true,
		"AWS::Events::EventBusPolicy": true,
	}
	for id, r := range platformJSON.Resources {
		if prop, ok := nameProps[r.Type]; ok {
			name := asJSON(r.Properties[prop])
			if !strings.Contains(name, platform.Prefix) {
				t.Errorf("%s (%s) is named %s, without the %s prefix", id, r.Type, name, platform.Prefix)
			}
		} else if !nameless[r.Type] {
			t.Errorf("%s (%s) has no name check: add its type to this test", id, r.Type)
		}
		if untaggable[r.Type] {
			continue
		}
		tags := asJSON(r.Properties["Tags"])
		if r.Type == "AWS::Cognito::UserPool" {
			tags = asJSON(r.Properties["UserPoolTags"])
		}
		if !strings.Contains(tags, platform.Prefix) || !strings.Contains(tags, TagComponent) {
			t.Errorf("%s (%s) tags: %s", id, r.Type, tags)
		}
	}
}

func TestOutputs(t *testing.T) {
	for _, o := range []string{"ApiUrl", "UserPoolId", "UserPoolClientId", "LandingZoneBucket", "DataLakeZoneBucket", "MetadataTable", "AlarmTopicArn", "KeyArn", "SecretsKeyArn",
		"RunEventBusName", "NotificationTopicArn"} {
		if _, ok := platformJSON.Outputs[o]; !ok {
			t.Errorf("no output %s", o)
		}
	}
}

func TestResourceCounts(t *testing.T) {
	fns := len(Functions())
	overTime, consumers := 0, 0
	for _, s := range Functions() {
		if s.OverTime > 0 {
			overTime++
		}
		if s.ConsumesTasks {
			consumers++ // its event source, and the policy that lets it read the queue
		}
	}
	counts := map[string]int{
		"AWS::KMS::Key": 2, "AWS::KMS::Alias": 2, // the platform's, the secrets'

		"AWS::DynamoDB::Table": 1,
		"AWS::S3::Bucket":      4, "AWS::S3::BucketPolicy": 4, // LZ, DLZ, access logs, reports
		"AWS::SQS::Queue": 7, "AWS::SQS::QueuePolicy": 7, // tasks, planner failures, their DLQs, the scheduler's DLQ, the notifications' DLQ, the source events' DLQ
		// The planner's on-failure destination and its consumer (no IAM::Policy: its role's inline policy allows it).
		"AWS::Lambda::EventInvokeConfig": 1, "AWS::Scheduler::Schedule": 1,
		// The permissions: the scheduler's and the inbound rule's (of the events function).
		"AWS::Lambda::Function": fns, "AWS::Lambda::Permission": 2, "AWS::Lambda::EventSourceMapping": consumers + 1,
		// The functions', the scheduler's and the source reader's.
		// Each function's role gets a policy: active tracing's X-Ray
		// statement (and the task queue's, for its consumer).
		"AWS::IAM::Role": fns + 2, "AWS::IAM::Policy": fns, "AWS::IAM::ManagedPolicy": 0,
		"AWS::Logs::LogGroup":    fns + 1,
		"AWS::ApiGatewayV2::Api": 1, "AWS::ApiGatewayV2::Stage": 1, "AWS::ApiGatewayV2::Authorizer": 1,
		"AWS::ApiGatewayV2::Integration": 1, "AWS::ApiGatewayV2::Route": len(httpapi.Routes()),
		"AWS::Cognito::UserPool": 1, "AWS::Cognito::UserPoolClient": 1,
		"AWS::Scheduler::ScheduleGroup": 1,
		"AWS::SNS::Topic":               2, "AWS::SNS::TopicPolicy": 2, "AWS::SNS::Subscription": 0, // alarms, run notifications
		// The outbound bus of run events and its two notification rules (events.go).
		// The inbound bus of sources' S3 events, its policy and its rule to the events function (inbound.go).
		"AWS::Events::EventBus": 2, "AWS::Events::Rule": len(runevents.NotificationRules()) + 1, "AWS::Events::EventBusPolicy": 1,
		// The DLQ's, the oldest task's, the API's 5xx rate; errors and
		// throttles per function; over time where the function has a budget;
		// the three queues of asynchronous failures (failures.go); the
		// notifications' DLQ (events.go).
		"AWS::CloudWatch::Alarm": 3 + 2*fns + overTime + 3 + 1 + 1, "AWS::CloudWatch::Dashboard": 1, // + the events DLQ's
	}
	total := 0
	for typ, n := range counts {
		total += n
		must(t, typ, func() { platformTpl.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
	if len(platformJSON.Resources) != total {
		var types []string
		for _, r := range platformJSON.Resources {
			types = append(types, r.Type)
		}
		slices.Sort(types)
		t.Errorf("%d resources, want %d: %v", len(platformJSON.Resources), total, slices.Compact(types))
	}
}

// Every folder under functions/ with a main.go is deployed as exactly one
// Lambda function, built from its own bootstrap (the placeholder naming the
// folder, staged in the cloud assembly), with the name, handler, memory and
// timeout of its spec; no function runs anything else.
func TestEveryFunctionFolderIsDeployedFromItsOwnBootstrap(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join("..", "..", "..", "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no functions/*/main.go (%v)", err)
	}
	fns := platformJSON.of("AWS::Lambda::Function")
	if len(fns) != len(mains) {
		t.Errorf("%d Lambda functions, want one per folder under functions/ (%d)", len(fns), len(mains))
	}
	byFolder := map[string][]string{} // folder whose bootstrap a function runs -> function ids
	for id, fn := range fns {
		folder, err := bootstrapFolder(fn)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		byFolder[folder] = append(byFolder[folder], id)
	}
	n := platform.NamesFor("", "")
	for _, m := range mains {
		folder := filepath.Base(filepath.Dir(m))
		ids := byFolder[folder]
		delete(byFolder, folder)
		if len(ids) != 1 {
			t.Errorf("functions/%s: %d Lambda functions run its bootstrap %v, want 1", folder, len(ids), ids)
			continue
		}
		s, ok := functions.ByName(folder)
		if !ok {
			t.Errorf("functions/%s has no spec", folder)
			continue
		}
		p := fns[ids[0]].Properties
		if p["FunctionName"] != s.FunctionName(n) || p["Handler"] != "bootstrap" ||
			p["MemorySize"] != float64(s.MemoryMiB) || p["Timeout"] != s.Timeout.Seconds() {
			t.Errorf("functions/%s runs as %v (handler %v, %v MiB, %v s), want %s (bootstrap, %d MiB, %v s)", folder,
				p["FunctionName"], p["Handler"], p["MemorySize"], p["Timeout"], s.FunctionName(n), s.MemoryMiB, s.Timeout.Seconds())
		}
	}
	for folder, ids := range byFolder {
		t.Errorf("%v run the bootstrap of %q, which is no folder under functions/", ids, folder)
	}
}

// bootstrapFolder returns the function folder whose placeholder bootstrap
// (see synthesize) the function's code asset holds.
func bootstrapFolder(fn resource) (string, error) {
	code, _ := fn.Properties["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	hash, ok := strings.CutSuffix(key, ".zip")
	if !ok {
		return "", fmt.Errorf("code %s is not a zipped asset", asJSON(code))
	}
	raw, err := os.ReadFile(filepath.Join(cdkOut, "asset."+hash, "bootstrap"))
	if err != nil {
		return "", err
	}
	folder, ok := strings.CutPrefix(strings.TrimSpace(string(raw)), "placeholder ")
	if !ok {
		return "", fmt.Errorf("asset %s holds %q, not a placeholder bootstrap", hash, raw)
	}
	return folder, nil
}

// --- settings ------------------------------------------------------------------------

func TestPropsFromContext(t *testing.T) {
	testCases := []struct {
		name    string
		context map[string]any
		want    func(p Props) bool
		wantErr string
	}{
		{"defaults", nil, func(p Props) bool {
			return p.WorkerMaxConcurrency == DefaultWorkerMaxConcurrency && p.AssetDir == DefaultAssetDir &&
				p.EnabledOptInRegions == nil && p.APIRateLimit == DefaultAPIRateLimit
		}, ""},
		{"cdk.json numbers", map[string]any{CtxWorkerMaxConcurrency: 12, CtxEnabledOptInRegions: []any{"eu-south-1"}},
			func(p Props) bool {
				return p.WorkerMaxConcurrency == 12 && slices.Equal(p.EnabledOptInRegions, []string{"eu-south-1"})
			}, ""},
		{"-c strings", map[string]any{CtxWorkerMaxConcurrency: "500", CtxEnabledOptInRegions: "eu-south-1, me-south-1"},
			func(p Props) bool {
				return p.WorkerMaxConcurrency == 500 && slices.Equal(p.EnabledOptInRegions, []string{"eu-south-1", "me-south-1"})
			}, ""},
		{"concurrency below SQS minimum", map[string]any{CtxWorkerMaxConcurrency: 1}, nil, "2 to 1000"},
		{"concurrency not a number", map[string]any{CtxWorkerMaxConcurrency: "many"}, nil, "not a whole number"},
		{"region not opt-in", map[string]any{CtxEnabledOptInRegions: "eu-west-1"}, nil, "not an opt-in region"},
		{"bad email", map[string]any{CtxAlarmEmail: "ops"}, nil, "not an email"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tc.context})
			p, err := PropsFromContext(app.Node())
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != nil && !tc.want(p):
				t.Errorf("props %+v", p)
			}
		})
	}
}

// cdk.json runs this app, with the documented defaults.
func TestCDKJSON(t *testing.T) {
	f, err := readCDKJSON()
	if err != nil {
		t.Fatal(err)
	}
	if f.App != "go run ./infra/cdk" {
		t.Errorf("app = %q", f.App)
	}
	if f.Context[CtxWorkerMaxConcurrency] != float64(DefaultWorkerMaxConcurrency) {
		t.Errorf("%s = %v, want the default %d", CtxWorkerMaxConcurrency, f.Context[CtxWorkerMaxConcurrency], DefaultWorkerMaxConcurrency)
	}
}

func TestCheckAssetsNamesTheMissingBootstrap(t *testing.T) {
	err := Props{AssetDir: t.TempDir()}.CheckAssets()
	if err == nil || !strings.Contains(err.Error(), "make package") || !strings.Contains(err.Error(), filepath.Join("api", "bootstrap")) {
		t.Errorf("error %v", err)
	}
}

// A worker whose timeout does not fit 6 times in the task queue's
// visibility timeout is refused at synth time.
func TestWorkerTimeoutMustFitTheVisibilityTimeout(t *testing.T) {
	w := functions.Worker()
	w.Timeout = TaskVisibilityTimeout/6 + time.Second
	err := Props{AssetDir: "bin", WorkerMaxConcurrency: 90, APIRateLimit: 1, APIBurstLimit: 1,
		Functions: []FunctionSpec{functions.Planner(), w}}.Validate()
	if err == nil || !strings.Contains(err.Error(), "6 times") {
		t.Errorf("error %v", err)
	}
}
