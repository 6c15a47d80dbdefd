package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Scheduling is where the API puts DataIngestion schedules: an EventBridge
// Scheduler schedule group, and the role the schedules assume to invoke the
// planner and to send the firings they could not deliver to the scheduler's
// dead-letter queue (and nothing else). The group also holds the
// platform's lease sweep (AddSweep).
type Scheduling struct {
	Scope constructs.Construct
	Group awsscheduler.ScheduleGroup
	Role  awsiam.Role
	// Sweep has the planner end the runs whose lease expired.
	Sweep awsscheduler.CfnSchedule
}

// NewScheduling creates the group and the role, which may send to dlq
// (encrypted with key).
func NewScheduling(scope constructs.Construct, id string, names platform.Names, key awskms.IKey, dlq awssqs.IQueue) *Scheduling {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := awscdk.Stack_Of(scope)
	group := awsscheduler.NewScheduleGroup(c, jsii.String("Group"), &awsscheduler.ScheduleGroupProps{
		ScheduleGroupName: jsii.String(names.ScheduleGroup),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	planner := functionARN(c, names.PlannerFunction)
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(names.SchedulerRole),
		Description: jsii.String("Assumed by EventBridge Scheduler schedules of the S3 Connections platform to invoke the planner"),
		// Only schedules of this account may assume it (confused deputy).
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": st.Account()}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"InvokePlanner": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("InvokePlanner"),
					Actions:   strs("lambda:InvokeFunction"),
					Resources: &[]*string{planner, jsii.String(*planner + ":*")},
				}),
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("DeadLetterFailedFirings"),
					Actions:   strs("sqs:SendMessage"),
					Resources: &[]*string{dlq.QueueArn()},
				}),
				// SQS encrypts the dead letters with the platform key, as the sender.
				withConditions(statement("EncryptDeadLettersViaSQS", []string{"kms:GenerateDataKey", "kms:Decrypt"}, key.KeyArn()),
					viaService(c, "sqs")),
			}}),
		},
	})
	tag(c, "scheduling")
	return &Scheduling{Scope: c, Group: group, Role: role}
}

// AddSweep creates the lease sweep: every eventscheduler.SweepExpression
// the planner ends the runs whose lease expired (ingest.ActionSweepLeases),
// with the schedules' retry policy and dead-letter queue.
func (s *Scheduling) AddSweep(planner awslambda.IFunction, dlq awssqs.IQueue) {
	rp := eventscheduler.RetryPolicy()
	s.Sweep = awsscheduler.NewCfnSchedule(s.Scope, jsii.String("LeaseSweep"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(eventscheduler.SweepScheduleName),
		GroupName:          s.Group.ScheduleGroupName(),
		Description:        jsii.String("S3 Connections: ends the runs whose lease on their dataset expired"),
		ScheduleExpression: jsii.String(eventscheduler.SweepExpression),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn: planner.FunctionArn(), RoleArn: s.Role.RoleArn(), Input: jsii.String(eventscheduler.SweepInput()),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts: jsii.Number(float64(*rp.MaximumRetryAttempts)), MaximumEventAgeInSeconds: jsii.Number(float64(*rp.MaximumEventAgeInSeconds)),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
		},
	})
}

// scheduleARNs matches every schedule of the group.
func (s *Scheduling) scheduleARNs(names platform.Names) *string {
	return awscdk.Stack_Of(s.Scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule"),
		ResourceName: jsii.String(names.ScheduleGroup + "/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}
