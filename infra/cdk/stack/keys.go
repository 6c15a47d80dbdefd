package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Keys is the platform's customer-managed KMS key: it encrypts the table,
// the queues, the buckets, the log groups, the alarm topic and the
// connections' secrets.
type Keys struct {
	Scope constructs.Construct
	Key   awskms.Key
}

// keyAdminActions and keyUseActions are what the account may delegate
// through IAM policies. They are listed one by one (the CDK default is
// kms:*) so that no policy in the stack allows a wildcard action.
var (
	keyAdminActions = []string{
		"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias",
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

// NewKeys creates the key, with rotation on, and its alias.
func NewKeys(scope constructs.Construct, id string, names platform.Names) *Keys {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := awscdk.Stack_Of(scope)
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		// The account administers the key and grants its use through IAM
		// policies (the roles below), as with the CDK default policy.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AccountAdministersAndDelegatesThroughIAM"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
			Actions:    strs(append(append([]string{}, keyAdminActions...), keyUseActions...)...),
			Resources:  strs("*"),
		}),
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
		// CloudWatch alarms publish to the encrypted alarm topic.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudWatchAlarmsPublishToEncryptedTopic"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    strs("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  strs("*"),
		}),
	}})
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("S3 Connections platform key: metadata table, task queues, LZ/DLZ buckets, logs, connection secrets"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            policy,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
		// Retained: deleting the key would make every retained store unreadable.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	key.AddAlias(jsii.String(names.KeyAlias))
	tag(c, "keys")
	return &Keys{Scope: c, Key: key}
}
