package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The stack is checked with cdk-nag's AwsSolutions and Serverless packs
// (nag_test.go). What the packs find and the stack does not fix is
// suppressed here, in one place, on the one resource it is about, with the
// reason it does not apply: reviewed here, not scattered over the stack.

// nothingStallsSilently prefixes the suppressions that the issue "Nothing
// stalls silently" (failure destinations) removes.
const nothingStallsSilently = "goes when 'Nothing stalls silently' lands: "

// nagSuppression suppresses rule on the construct at path (relative to the
// stack; with its children if children), for the findings appliesTo only
// when given (IAM5's resources), because of reason.
type nagSuppression struct {
	path      string
	children  bool
	rule      string
	appliesTo []string
	reason    string
}

// suppressNagFindings applies the suppressions of every concern. A path
// the stack does not have (a function left out) is skipped: nothing there
// to find either.
func (s *Stack) suppressNagFindings() {
	var all []nagSuppression
	for _, of := range []func() []nagSuppression{s.storageNag, s.queueNag, s.functionNag, s.roleNag, s.apiNag, s.eventsNag} {
		all = append(all, of()...)
	}
	for _, n := range all {
		c := s.construct(n.path)
		if c == nil {
			continue
		}
		sup := &cdknag.NagPackSuppression{Id: jsii.String(n.rule), Reason: jsii.String(n.reason)}
		if len(n.appliesTo) > 0 {
			applies := make([]any, len(n.appliesTo))
			for i, a := range n.appliesTo {
				applies[i] = a
			}
			sup.AppliesTo = &applies
		}
		cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(n.children))
	}
}

// apiNag is about the user pool and the one public route. The pool's id
// depends on its MFA mode (api.go), so both ids are named.
func (s *Stack) apiNag() []nagSuppression {
	plus := "Threat protection needs the Plus plan, priced per monthly active user: an operator's choice (infra/cdk/README.md, COG3)"
	return []nagSuppression{
		{path: "Api/" + userPoolIDRequired + "/Resource", rule: "AwsSolutions-COG8", reason: plus},
		{path: "Api/" + userPoolIDOptional + "/Resource", rule: "AwsSolutions-COG8", reason: plus},
		{path: "Api/HttpApi/GET--health/Resource", rule: "AwsSolutions-APIG4",
			reason: "The health check is public by design (no data, no side effect), throttled per route to 5 requests/s"},
	}
}

func (s *Stack) storageNag() []nagSuppression {
	return []nagSuppression{{
		path: "Storage/AccessLogs/Resource", rule: "AwsSolutions-S1",
		reason: "The access logs bucket does not log itself: its logs would log their own delivery without end",
	}}
}

func (s *Stack) queueNag() []nagSuppression {
	return []nagSuppression{{
		path: "Queues/TaskDLQ/Resource", rule: "Serverless-SQSRedrivePolicy",
		reason: "The DLQ ends the task queue's redrive: its tasks wait for a redrive, watched by the DLQNotEmpty alarm",
	}, {
		path: "Queues/PlannerFailuresDLQ/Resource", rule: "Serverless-SQSRedrivePolicy",
		reason: "The DLQ ends the planner failure queue's redrive: its records wait for a redrive, watched by an alarm",
	}, {
		path: "Queues/SchedulerDLQ/Resource", rule: "Serverless-SQSRedrivePolicy",
		reason: "EventBridge Scheduler's dead-letter queue: what it holds waits for an operator, watched by an alarm",
	}, {
		path: "Queues/SchedulerDLQ/Resource", rule: "AwsSolutions-SQS3",
		reason: "It is a DLQ, of EventBridge Scheduler's schedules (their DeadLetterConfig), which cdk-nag cannot see",
	}, {
		path: "Queues/PlannerFailuresSource/Resource", rule: "Serverless-LambdaEventSourceMappingDestination",
		reason: "SQS event sources take no on-failure destination: the failure queue's redrive policy moves records to its DLQ",
	}}
}

// eventsNag is about the notifications' dead-letter queue.
func (s *Stack) eventsNag() []nagSuppression {
	return []nagSuppression{{
		path: "Events/NotificationsDLQ/Resource", rule: "Serverless-SQSRedrivePolicy",
		reason: "The notification rules' dead-letter queue: what it holds waits for an operator, watched by an alarm",
	}, {
		path: "Events/NotificationsDLQ/Resource", rule: "AwsSolutions-SQS3",
		reason: "It is a DLQ, of the notification rules' target (their DeadLetterConfig), which cdk-nag cannot see",
	}, {
		path: "Inbound/EventsDLQ/Resource", rule: "Serverless-SQSRedrivePolicy",
		reason: "The dead-letter queue of the sources' events (the inbound rule's and the events function's): what it holds waits for an operator, watched by an alarm",
	}, {
		path: "Inbound/EventsDLQ/Resource", rule: "AwsSolutions-SQS3",
		reason: "It is a DLQ, of the inbound rule's target (its DeadLetterConfig), which cdk-nag cannot see",
	}}
}

// functionNag is about the functions' invocations: only the planner is
// invoked asynchronously (schedules, its own continuations).
func (s *Stack) functionNag() []nagSuppression {
	var out []nagSuppression
	for _, fn := range []string{"api", "planner", "worker", "events"} {
		out = append(out, nagSuppression{
			path: "Functions/" + fn + "Role/DefaultPolicy/Resource", rule: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
			reason: "Active tracing's xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions: '*' is their only resource",
		})
	}
	return append(out, []nagSuppression{{
		path: "Functions/planner/Resource", rule: "Serverless-LambdaDLQ",
		reason: "Its asynchronous failures go to an on-failure destination (Queues/PlannerAsync), which this rule does not see: " +
			"Lambda's record there holds the error as well as the event, and the planner ends the run with it",
	}, {
		path: "Functions/api/Resource", rule: "Serverless-LambdaDLQ",
		reason: "Invoked synchronously only, by the HTTP API: the caller gets the error, no event is left to dead-letter",
	}, {
		path: "Functions/worker/Resource", rule: "Serverless-LambdaDLQ",
		reason: "Invoked only by its SQS event source, synchronously: failed tasks go to the task DLQ by the queue's redrive",
	}, {
		path: "Functions/worker", children: true, rule: "Serverless-LambdaEventSourceMappingDestination",
		reason: "SQS event sources take no on-failure destination: the task queue's redrive policy moves failed tasks to the DLQ",
	}}...)
}

// roleNag is about the wildcards (AwsSolutions-IAM5) of the roles'
// resources, each named: none is a wildcard over another service's or the
// platform's other resources.
func (s *Stack) roleNag() []nagSuppression {
	n := s.Names
	planner := "Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:" + n.PlannerFunction + ":*"
	indexes := "Resource::<" + s.logicalID(s.Storage.Table) + ".Arn>/index/*"
	lzObjects := "Resource::<" + s.logicalID(s.Storage.LZ) + ".Arn>/*"
	dlzObjects := "Resource::<" + s.logicalID(s.Storage.DLZ) + ".Arn>/*"
	runReports := "Resource::<" + s.logicalID(s.Storage.Reports) + ".Arn>/runs/*"
	reportParts := "Objects of the reports bucket's runs (report parts and reports), keyed per run at run time"
	const (
		plannerVersions = "Invokes the planner function only: ':*' adds its own versions and aliases, as CDK's grantInvoke does"
		tableIndexes    = "The metadata table's own indexes: Query on an index names the index's ARN under the table's"
	)
	iam5 := func(path, reason string, appliesTo ...string) nagSuppression {
		return nagSuppression{path: path + "/Resource", rule: "AwsSolutions-IAM5", appliesTo: appliesTo, reason: reason}
	}
	return []nagSuppression{
		iam5("Scheduling/Role", plannerVersions, planner),
		iam5("Functions/apiRole", plannerVersions, planner),
		iam5("Functions/plannerRole", plannerVersions, planner),
		iam5("Functions/apiRole", tableIndexes, indexes),
		iam5("Functions/plannerRole", tableIndexes, indexes),
		iam5("Functions/workerRole", tableIndexes, indexes),
		iam5("Functions/eventsRole", tableIndexes, indexes),
		iam5("Functions/apiRole", "Schedules of the platform's own schedule group, named per dataset at run time",
			"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"+n.ScheduleGroup+"/*"),
		iam5("Functions/plannerRole", "s3:ListAllMyBuckets has no resource-level permissions: '*' is its only resource",
			"Resource::*"),
		{path: "Functions/plannerRole/Resource", rule: "Serverless-LambdaStarPermissions",
			reason: "The '*' is s3:ListAllMyBuckets's, which has no resource-level permissions (bucket names, not contents)"},
		iam5("Functions/workerRole", "Objects of the platform's own LZ and DLZ buckets, keyed per dataset at run time",
			lzObjects, dlzObjects),
		iam5("Functions/workerRole", reportParts, runReports),
		iam5("Functions/plannerRole", reportParts, runReports),
		iam5("Functions/apiRole", "The assembled reports of runs (report.csv, report.json), keyed per run at run time: the API presigns links to them",
			"Resource::<"+s.logicalID(s.Storage.Reports)+".Arn>/runs/*/report.*"),
		iam5("Functions/SourceReaderRole", "Writes copies into objects of the platform's LZ and DLZ buckets, keyed per dataset at run time",
			"Resource::arn:<AWS::Partition>:s3:::<"+s.logicalID(s.Storage.LZ)+">/*",
			"Resource::arn:<AWS::Partition>:s3:::<"+s.logicalID(s.Storage.DLZ)+">/*"),
		iam5("Functions/SourceReaderRole", "Sources are any bucket outside the platform account (s3:ResourceAccount condition), known at run time",
			"Resource::arn:<AWS::Partition>:s3:::*", "Resource::arn:<AWS::Partition>:s3:::*/*"),
		iam5("Functions/SourceReaderRole", "Owners' roles, in other accounts only (aws:ResourceAccount condition), named per connection",
			"Resource::arn:<AWS::Partition>:iam::*:role/*"),
		iam5("Functions/SourceReaderRole", "Owners' keys of source objects: decrypt via S3 only, outside the platform account (conditions)",
			"Resource::arn:<AWS::Partition>:kms:*:*:key/*"),
	}
}

// construct is the construct at path below the stack, or nil.
func (s *Stack) construct(path string) constructs.IConstruct {
	var c constructs.IConstruct = s.Stack
	for _, id := range strings.Split(path, "/") {
		if c = c.Node().TryFindChild(jsii.String(id)); c == nil {
			return nil
		}
	}
	return c
}

// logicalID is the template's logical id of c's resource, as cdk-nag
// names it in findings (<LogicalId.Arn>).
func (s *Stack) logicalID(c constructs.IConstruct) string {
	el := c.Node().DefaultChild().(awscdk.CfnElement)
	id, _ := s.Stack.Resolve(s.Stack.GetLogicalId(el)).(string)
	return id
}
