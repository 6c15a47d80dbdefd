package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Scheduling is where the API puts DataIngestion schedules: an EventBridge
// Scheduler schedule group, and the role the schedules assume to invoke the
// planner (and nothing else).
type Scheduling struct {
	Scope constructs.Construct
	Group awsscheduler.ScheduleGroup
	Role  awsiam.Role
}

// NewScheduling creates the group and the role.
func NewScheduling(scope constructs.Construct, id string, names platform.Names) *Scheduling {
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
			}}),
		},
	})
	tag(c, "scheduling")
	return &Scheduling{Scope: c, Group: group, Role: role}
}

// scheduleARNs matches every schedule of the group.
func (s *Scheduling) scheduleARNs(names platform.Names) *string {
	return awscdk.Stack_Of(s.Scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule"),
		ResourceName: jsii.String(names.ScheduleGroup + "/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}
