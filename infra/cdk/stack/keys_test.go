package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/platform"
)

// keyIDs returns the logical ids of the platform key and of the secrets
// key, found by their aliases.
func keyIDs(t *testing.T) (platformKey, secretsKey string) {
	t.Helper()
	n := platform.NamesFor("", "")
	for _, a := range platformJSON.of("AWS::KMS::Alias") {
		target := resolvedText(a.Properties["TargetKeyId"])
		id := strings.TrimSuffix(strings.TrimPrefix(target, "${"), ".Arn}")
		switch a.Properties["AliasName"] {
		case n.KeyAlias:
			platformKey = id
		case n.SecretsKeyAlias:
			secretsKey = id
		}
	}
	if platformJSON.Resources[platformKey].Type != "AWS::KMS::Key" || platformJSON.Resources[secretsKey].Type != "AWS::KMS::Key" {
		t.Fatalf("no key behind the aliases: platform %q, secrets %q", platformKey, secretsKey)
	}
	return platformKey, secretsKey
}

// secretsKeyID is the logical id of the secrets key.
func secretsKeyID(t *testing.T) string {
	t.Helper()
	_, id := keyIDs(t)
	return id
}

func TestBothKeysRotateAndAreRetained(t *testing.T) {
	platformKey, secretsKey := keyIDs(t)
	if platformKey == secretsKey {
		t.Fatal("the secrets key is the platform key")
	}
	if platform.NamesFor("", "").SecretsKeyAlias != "alias/s3connections-secrets" {
		t.Errorf("secrets key alias %q", platform.NamesFor("", "").SecretsKeyAlias)
	}
	for _, id := range []string{platformKey, secretsKey} {
		k := platformJSON.Resources[id]
		if k.Properties["EnableKeyRotation"] != true || k.DeletionPolicy != "Retain" || k.Properties["PendingWindowInDays"] != float64(30) {
			t.Errorf("key %s: rotation %v, deletion policy %q, pending window %v", id, k.Properties["EnableKeyRotation"],
				k.DeletionPolicy, k.Properties["PendingWindowInDays"])
		}
	}
}

const accountRoot = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"

// secretContext is the condition every use of the secrets key carries:
// the request's encryption context has the key ConnectionId and no other.
var secretContext = map[string]any{
	"ForAllValues:StringEquals": map[string]any{"kms:EncryptionContextKeys": []any{"ConnectionId"}},
	"Null":                      map[string]any{"kms:EncryptionContextKeys": "false"},
}

func withPrincipalArn(arns ...string) map[string]any {
	c := map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": toAny(arns)}}
	for k, v := range secretContext {
		c[k] = v
	}
	return c
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// The secrets key's policy, exactly: the account administers it (no
// grants, no use), the API's role encrypts, the planner's and the worker's
// decrypt, an operator re-encrypts into it (the migration), each only for
// the ConnectionId encryption context.
func TestSecretsKeyPolicyIsExactly(t *testing.T) {
	_, secretsKey := keyIDs(t)
	role := func(name string) string { return platform.RoleARN("${AWS::Partition}", "${AWS::AccountId}", name) }
	n := platform.NamesFor("", "")
	want := map[string]map[string]any{
		"AccountAdministers": {"Action": toAny(keyAdminActions)},
		"APIEncryptsSecrets": {"Action": "kms:Encrypt", "Condition": withPrincipalArn(role(n.APIFunction))},
		"IngestionDecryptsSecrets": {"Action": "kms:Decrypt",
			"Condition": withPrincipalArn(role(n.PlannerFunction), role(n.WorkerFunction))},
		"MigrationReEncryptsSecretsIn": {"Action": "kms:ReEncryptTo", "Condition": secretContext},
	}
	doc, _ := resolved(platformJSON.Resources[secretsKey].Properties["KeyPolicy"]).(map[string]any)
	sts, _ := doc["Statement"].([]any)
	if len(sts) != len(want) {
		t.Errorf("%d statements, want %d: %s", len(sts), len(want), asJSON(sts))
	}
	for _, raw := range sts {
		s := raw.(map[string]any)
		w, ok := want[s["Sid"].(string)]
		if !ok {
			t.Errorf("unexpected statement %s", asJSON(s))
			continue
		}
		w["Sid"], w["Effect"], w["Principal"], w["Resource"] = s["Sid"], "Allow", map[string]any{"AWS": accountRoot}, "*"
		if asJSON(s) != asJSON(w) {
			t.Errorf("statement %s\n got %s\nwant %s", s["Sid"], asJSON(s), asJSON(w))
		}
	}
	if slices.Contains(keyAdminActions, "kms:CreateGrant") {
		t.Error("the account may create grants of the secrets key")
	}
}

// Every identity statement that reaches the secrets key allows exactly
// kms:Encrypt (the API) or kms:Decrypt (the planner, the worker), with the
// ConnectionId context condition.
func TestRolesUseTheSecretsKeyOnlyForOneConnection(t *testing.T) {
	_, secretsKey := keyIDs(t)
	n := platform.NamesFor("", "")
	want := map[string]string{n.APIFunction: "kms:Encrypt", n.PlannerFunction: "kms:Decrypt", n.WorkerFunction: "kms:Decrypt"}
	for _, r := range platformJSON.of("AWS::IAM::Role") {
		name := r.Properties["RoleName"].(string)
		var got []string
		for _, s := range roleStatements(t, platformJSON, name) {
			if s.Effect != "Allow" || !coversKey(s.Resource, secretsKey) || !slices.ContainsFunc(s.actions(), isKMS) || otherAccountsOnly(s) {
				continue
			}
			got = append(got, s.actions()...)
			if asJSON(s.Condition) != asJSON(secretContext) {
				t.Errorf("%s: statement %s uses the secrets key with condition %s", name, s.Sid, asJSON(s.Condition))
			}
		}
		if w := want[name]; strings.Join(got, " ") != w {
			t.Errorf("%s may %v with the secrets key, want %q", name, got, w)
		}
	}
}

func isKMS(a string) bool { return strings.HasPrefix(a, "kms:") }

// otherAccountsOnly says whether s applies only to resources of other
// accounts (StringNotEquals aws:ResourceAccount = the stack's account), as
// the source reader's use of the sources' keys does: never to the
// platform's keys.
func otherAccountsOnly(s statementJSON) bool {
	return asJSON(s.Condition["StringNotEquals"]["aws:ResourceAccount"]) == asJSON([]any{ref("AWS::AccountId")})
}

// The functions get the secrets key as SECRETS_KEY_ID where they seal or
// open secrets; only the worker (zone objects) gets the platform key.
func TestFunctionsGetTheSecretsKey(t *testing.T) {
	platformKey, secretsKey := keyIDs(t)
	for _, fn := range platformJSON.of("AWS::Lambda::Function") {
		name := fn.Properties["FunctionName"].(string)
		env := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got := resolvedText(env[platform.EnvSecretsKey]); name == platform.NamesFor("", "").EventsFunction && got != "" {
			t.Errorf("%s: %s = %q: the events function touches no secret", name, platform.EnvSecretsKey, got)
		} else if name != platform.NamesFor("", "").EventsFunction && got != "${"+secretsKey+".Arn}" {
			t.Errorf("%s: %s = %q, want the secrets key", name, platform.EnvSecretsKey, got)
		}
		got, want := resolvedText(env[platform.EnvKMSKey]), ""
		if name == platform.NamesFor("", "").WorkerFunction {
			want = "${" + platformKey + ".Arn}"
		}
		if got != want {
			t.Errorf("%s: %s = %q, want %q", name, platform.EnvKMSKey, got, want)
		}
	}
}

// CloudWatch may use the platform key for the alarm topic only on behalf
// of this account's alarms in this region (no confused deputy).
func TestAlarmKeyStatementIsLimitedToThisAccountsAlarms(t *testing.T) {
	platformKey, _ := keyIDs(t)
	doc, _ := resolved(platformJSON.Resources[platformKey].Properties["KeyPolicy"]).(map[string]any)
	found := false
	for _, raw := range doc["Statement"].([]any) {
		s := raw.(map[string]any)
		if asJSON(s["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
			continue
		}
		found = true
		want := map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": "${AWS::AccountId}"},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"},
		}
		if s["Sid"] != "CloudWatchAlarmsPublishToEncryptedTopic" || asJSON(s["Condition"]) != asJSON(want) {
			t.Errorf("statement %v: condition %s, want %s", s["Sid"], asJSON(s["Condition"]), asJSON(want))
		}
	}
	if !found {
		t.Error("CloudWatch cannot publish to the encrypted alarm topic")
	}
}

// kms:CreateGrant is allowed, anywhere in the stack (key policies, roles,
// CDK's own grants), only for AWS services (kms:GrantIsForAWSResource):
// a grant made directly would bypass the key policy.
func TestGrantsOnlyForAWSResources(t *testing.T) {
	allowed := 0
	for where, sts := range policyDocs(platformJSON) {
		for _, s := range sts {
			if s.Effect != "Allow" || !slices.ContainsFunc(s.actions(), func(a string) bool { return strings.EqualFold(a, "kms:CreateGrant") }) {
				continue
			}
			allowed++
			if len(s.actions()) != 1 || asJSON(s.Condition) != `{"Bool":{"kms:GrantIsForAWSResource":"true"}}` {
				t.Errorf("%s: statement %s allows %v with condition %s", where, s.Sid, s.actions(), asJSON(s.Condition))
			}
		}
	}
	if allowed != 1 {
		t.Errorf("%d statements allow kms:CreateGrant, want 1 (the platform key's, which DynamoDB needs)", allowed)
	}
}
