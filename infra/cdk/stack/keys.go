package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Keys are the platform's customer-managed KMS keys: Key encrypts the
// table, the queues, the buckets, the log groups and the alarm topic;
// SecretsKey only the connections' secret access keys, so that no grant or
// policy made for a store ever reaches a secret.
type Keys struct {
	Scope      constructs.Construct
	Key        awskms.Key
	SecretsKey awskms.Key
}

// keyAdminActions and keyUseActions are what the account may delegate
// through IAM policies. They are listed one by one (the CDK default is
// kms:*) so that no policy in the stack allows a wildcard action.
// kms:CreateGrant is not among them: grantStatement allows it apart, for
// AWS services only.
var (
	keyAdminActions = []string{
		"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias",
		"kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey",
		"kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListGrants",
		"kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
		"kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion",
		"kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
	}
	keyUseActions = []string{
		"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:ReEncryptFrom", "kms:ReEncryptTo",
	}
)

// SecretContextKey is the one encryption context key of a connection
// secret (shared/kmssecret): its value is the connection's id.
const SecretContextKey = "ConnectionId"

// NewKeys creates both keys, with rotation on, retained, and their aliases.
func NewKeys(scope constructs.Construct, id string, names platform.Names) *Keys {
	c := constructs.NewConstruct(scope, jsii.String(id))
	key := newKey(c, "Key", names.KeyAlias,
		"S3 Connections platform key: metadata table, task queues, LZ/DLZ buckets, logs, alarm topic", platformKeyPolicy(c))
	secrets := newKey(c, "SecretsKey", names.SecretsKeyAlias,
		"S3 Connections connection secrets: sealed by the API, opened by the planner and the worker", secretsKeyPolicy(c, names))
	tag(c, "keys")
	return &Keys{Scope: c, Key: key, SecretsKey: secrets}
}

func newKey(c constructs.Construct, id, alias, description string, policy awsiam.PolicyDocument) awskms.Key {
	key := awskms.NewKey(c, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            policy,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
		// Retained: deleting a key would make what it encrypted unreadable.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	key.AddAlias(jsii.String(alias))
	return key
}

// platformKeyPolicy lets the account administer the platform key and
// delegate its use through IAM (the roles' policies), as the CDK default
// does, and lets CloudWatch Logs and CloudWatch alarms use it for this
// account's log groups and alarms only.
func platformKeyPolicy(c constructs.Construct) awsiam.PolicyDocument {
	st := awscdk.Stack_Of(c)
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		accountStatement("AccountAdministersAndDelegatesThroughIAM", append(slices.Clone(keyAdminActions), keyUseActions...)...),
		grantStatement(),
		// CloudWatch Logs encrypts this account's log groups in this region.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudWatchLogsEncryptsLogGroups"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*st.Region()+".amazonaws.com"), nil)},
			Actions: strs("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
				"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
			Resources: strs("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{
				"kms:EncryptionContext:aws:logs:arn": "arn:" + *st.Partition() + ":logs:" + *st.Region() + ":" + *st.Account() + ":log-group:*",
			}},
		}),
		// CloudWatch alarms of this account and region (not another
		// account's: the confused deputy) publish to the encrypted topic.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudWatchAlarmsPublishToEncryptedTopic"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    strs("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  strs("*"),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": st.Account()},
				"ArnLike":      map[string]any{"aws:SourceArn": "arn:" + *st.Partition() + ":cloudwatch:" + *st.Region() + ":" + *st.Account() + ":alarm:*"},
			},
		}),
	}})
}

// secretsKeyPolicy lets the account administer the secrets key (never
// grant it) and allows its use only as the platform needs it: the API's
// role encrypts, the planner's and the worker's decrypt, and an operator's
// IAM identity may re-encrypt into it (the migration, cmd/migrate-secrets:
// like Encrypt, it reveals nothing), each only with the ConnectionId
// encryption context. The roles are named by aws:PrincipalArn under the
// account principal: KMS refuses a key policy naming a role that does not
// exist yet, and the roles are created after the key.
func secretsKeyPolicy(c constructs.Construct, names platform.Names) awsiam.PolicyDocument {
	st := awscdk.Stack_Of(c)
	role := func(name string) string { return platform.RoleARN(*st.Partition(), *st.Account(), name) }
	use := func(sid, action string, roles ...string) awsiam.PolicyStatement {
		s := accountStatement(sid, action)
		for op, kv := range secretContextConditions() {
			s.AddCondition(jsii.String(op), kv)
		}
		if len(roles) > 0 {
			s.AddCondition(jsii.String("ArnEquals"), map[string]any{"aws:PrincipalArn": roles})
		}
		return s
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		accountStatement("AccountAdministers", keyAdminActions...),
		use("APIEncryptsSecrets", "kms:Encrypt", role(names.APIFunction)),
		use("IngestionDecryptsSecrets", "kms:Decrypt", role(names.PlannerFunction), role(names.WorkerFunction)),
		use("MigrationReEncryptsSecretsIn", "kms:ReEncryptTo"),
	}})
}

// secretContextConditions hold when a request's encryption context has
// exactly the key ConnectionId: ForAllValues alone would also hold for a
// request without any context (an empty set), hence the Null check.
func secretContextConditions() map[string]any {
	return map[string]any{
		"ForAllValues:StringEquals": map[string]any{"kms:EncryptionContextKeys": []string{SecretContextKey}},
		"Null":                      map[string]any{"kms:EncryptionContextKeys": "false"},
	}
}

// accountStatement allows actions to the account, which delegates them
// through IAM policies.
func accountStatement(sid string, actions ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
		Actions:    strs(actions...),
		Resources:  strs("*"),
	})
}

// grantStatement lets the account's principals create grants for AWS
// services only (DynamoDB, for instance, makes one for the table when it is
// created or restored): a grant made directly would bypass the key policy.
func grantStatement() awsiam.PolicyStatement {
	s := accountStatement("AccountGrantsOnlyToAWSServices", "kms:CreateGrant")
	s.AddCondition(jsii.String("Bool"), map[string]any{"kms:GrantIsForAWSResource": "true"})
	return s
}
