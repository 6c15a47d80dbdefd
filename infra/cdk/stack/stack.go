// Package stack is the platform's AWS infrastructure as one CDK stack built
// from one construct per concern: keys (KMS: the platform's, the
// secrets'), storage (metadata table, LZ
// and DLZ buckets), queues (tasks and dead letters, the worker's event
// source), scheduling (EventBridge Scheduler group and role), events (the
// outbound bus of run events, the notification topic), functions
// (built from FunctionSpecs), api (HTTP API, Cognito, JWT authorizer) and
// observability (log groups, alarms, dashboard). Names come from
// shared/platform, so the stack, the local platform and the functions agree.
package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Stack is the platform in one account and region.
type Stack struct {
	Stack         awscdk.Stack
	Names         platform.Names
	Keys          *Keys
	Storage       *Storage
	Queues        *Queues
	Scheduling    *Scheduling
	Events        *Events
	Inbound       *Inbound
	Functions     *FunctionSet
	API           *API
	Observability *Observability
}

// New builds the stack. It is environment-agnostic: account and region are
// the deploying account's (CloudFormation pseudo parameters).
func New(scope constructs.Construct, id string, props Props) (*Stack, error) {
	if err := props.Validate(); err != nil {
		return nil, err
	}
	st := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String("S3 Connections: serverless ingestion from S3 buckets into the data lake"),
	})
	s := &Stack{Stack: st, Names: platform.NamesFor(*st.Account(), *st.Region())}
	awscdk.Tags_Of(st).Add(jsii.String(TagProject), jsii.String(platform.Prefix), nil)

	s.Keys = NewKeys(st, "Keys", s.Names)
	key := s.Keys.Key
	s.Storage = NewStorage(st, "Storage", s.Names, key)
	s.Queues = NewQueues(st, "Queues", s.Names, key, props.WorkerMaxConcurrency)
	s.Observability = NewObservability(st, "Observability", s.Names, key, props.AlarmEmail)
	s.Scheduling = NewScheduling(st, "Scheduling", s.Names, key, s.Queues.SchedulerDLQ)
	s.Events = NewEvents(st, "Events", s.Names, key)
	s.Inbound = NewInbound(st, "Inbound", s.Names, key)
	fns, err := NewFunctions(st, "Functions", props.functions(), Resources{
		Names: s.Names, Key: key, SecretsKey: s.Keys.SecretsKey, Storage: s.Storage, Queues: s.Queues, Scheduling: s.Scheduling,
		Events: s.Events, Inbound: s.Inbound,
	}, s.Observability, props.AssetDir, FunctionOptions{
		OptInRegions:        props.EnabledOptInRegions,
		ReservedConcurrency: map[string]int{"planner": props.PlannerReservedConcurrency, "api": props.APIReservedConcurrency},
		RunRetentionDays:    props.runRetentionDays(),
		CollectorLayer:      props.OTelCollectorLayer,
	})
	if err != nil {
		return nil, err
	}
	s.Functions = fns
	if planner := fns.Get("planner"); planner != nil {
		if err := s.Queues.AttachPlanner(planner.Fn, planner.Spec.Timeout); err != nil {
			return nil, err
		}
		s.Scheduling.AddSweep(planner.Fn, s.Queues.SchedulerDLQ)
	}
	if events := fns.Get("events"); events != nil {
		s.Inbound.AttachEvents(s.Names, events.Fn)
	}
	if api := fns.Get("api"); api != nil {
		s.API = NewAPI(st, "Api", APIProps{
			Names:      s.Names,
			Function:   api.Fn,
			AccessLogs: s.Observability.LogGroup("ApiAccessLogs", "/aws/http-api/"+s.Names.APIName+"/access"),
			Routes:     httpapi.Routes(),
			RateLimit:  props.APIRateLimit, BurstLimit: props.APIBurstLimit,
			MFA: props.CognitoMFA,
		})
	}
	s.Observability.WatchAPI(s.API)
	s.Observability.WatchEvents(s.Events)
	s.Observability.WatchInbound(s.Inbound)
	s.Observability.Watch(fns, s.Queues)
	s.outputs()
	s.suppressNagFindings()
	return s, nil
}

func (s *Stack) outputs() {
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	if s.API != nil {
		out("ApiUrl", "Base URL of the REST API", s.API.Stage.Url())
		out("UserPoolId", "Cognito user pool of the API's users", s.API.UserPool.UserPoolId())
		out("UserPoolClientId", "App client to get tokens from (USER_PASSWORD_AUTH or SRP)", s.API.Client.UserPoolClientId())
	}
	out("LandingZoneBucket", "Landing-zone (LZ) bucket", s.Storage.LZ.BucketName())
	out("DataLakeZoneBucket", "Data-lake-zone (DLZ) bucket", s.Storage.DLZ.BucketName())
	out("ReportsBucket", "Run reports bucket (expires reports after 30 days)", s.Storage.Reports.BucketName())
	out("MetadataTable", "DynamoDB table of connections, datasets, schedules, runs and the catalog", s.Storage.Table.TableName())
	out("TaskQueueUrl", "SQS queue of copy tasks", s.Queues.Tasks.QueueUrl())
	out("KeyArn", "KMS key of every store", s.Keys.Key.KeyArn())
	out("SecretsKeyArn", "KMS key of the connections' secrets (make migrate-secrets moves them onto it)", s.Keys.SecretsKey.KeyArn())
	out("DashboardName", "CloudWatch dashboard", s.Observability.Dashboard.DashboardName())
	out("AlarmTopicArn", "SNS topic the alarms notify: subscribe to it", s.Observability.Topic.TopicArn())
	out("InboundBusArn", "EventBridge bus the source owners' rules forward their buckets' S3 Object Created events to", s.Inbound.Bus.EventBusArn())
	out("RunEventBusName", "EventBridge bus of the run events (Ingestion Run Succeeded / Failed)", s.Events.Bus.EventBusName())
	out("NotificationTopicArn", "SNS topic of the schedules' run notifications: subscribe with a filter policy on detail.ScheduleId", s.Events.Topic.TopicArn())
}
