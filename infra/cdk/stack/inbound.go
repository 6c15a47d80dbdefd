package stack

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/sourceevents"
)

// Inbound is the platform's bus for the sources' S3 events: the bucket
// owners' rules forward their buckets' Object Created events to it. Its
// policy admits S3's events from any account with one statement,
// conditioned on events:source and events:detail-type (a caller cannot
// put an aws.* source: each such event is a real S3 event of the sending
// account), and its rule invokes the events function, which accepts an
// event only from the S3BucketOwner of a connection whose event-driven
// dataset it matches. What the rule cannot deliver goes to the DLQ.
type Inbound struct {
	Scope constructs.Construct
	Bus   awsevents.EventBus
	DLQ   awssqs.Queue
	Rule  awsevents.CfnRule
}

// NewInbound creates the bus with its policy and the DLQ; AttachEvents
// adds the rule once the events function exists.
func NewInbound(scope constructs.Construct, id string, names platform.Names, key awskms.Key) *Inbound {
	c := constructs.NewConstruct(scope, jsii.String(id))
	bus := awsevents.NewEventBus(c, jsii.String("InboundBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(names.InboundBus),
		Description:  jsii.String("S3 Connections inbound: the sources' S3 Object Created events, forwarded by their owners"),
	})
	raw, _ := json.Marshal(sourceevents.InboundBusPolicy("BUS").Statement[0])
	var st map[string]any
	_ = json.Unmarshal(raw, &st)
	st["Resource"] = bus.EventBusArn()
	awsevents.NewCfnEventBusPolicy(c, jsii.String("InboundBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: bus.EventBusName(), StatementId: jsii.String(st["Sid"].(string)), Statement: st,
	})
	dlq := awssqs.NewQueue(c, jsii.String("EventsDLQ"), &awssqs.QueueProps{
		QueueName: jsii.String(names.EventsDLQ), Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		EnforceSSL: jsii.Bool(true), RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy: &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_DENY_ALL},
	})
	st2 := awscdk.Stack_Of(scope)
	dlqARN := "arn:" + *st2.Partition() + ":sqs:" + *st2.Region() + ":" + *st2.Account() + ":" + names.EventsDLQ
	key.AddToResourcePolicy(eventsStatement("EventBridgeDeadLettersSourceEvents", []string{"kms:Decrypt", "kms:GenerateDataKey"},
		jsii.String("*"), &map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:aws:sqs:arn": dlqARN}}), nil)
	tag(c, "events")
	return &Inbound{Scope: c, Bus: bus, DLQ: dlq}
}

// AttachEvents adds the rule that invokes fn with every S3 Object Created
// event of the bus, retried for a day, then dead-lettered.
func (in *Inbound) AttachEvents(names platform.Names, fn awslambda.Function) {
	pattern := map[string]any{"source": []string{sourceevents.Source}, "detail-type": []string{sourceevents.DetailType}}
	in.Rule = awsevents.NewCfnRule(in.Scope, jsii.String("ToEventsFunction"), &awsevents.CfnRuleProps{
		Name: jsii.String(names.InboundBus + "-to-events"), Description: jsii.String("S3 Object Created events to the events function"),
		EventBusName: in.Bus.EventBusName(), EventPattern: pattern, State: jsii.String("ENABLED"),
		Targets: &[]*awsevents.CfnRule_TargetProperty{{Id: jsii.String("events-function"), Arn: fn.FunctionArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: in.DLQ.QueueArn()},
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(185),
				MaximumEventAgeInSeconds: jsii.Number(86400)}}},
	})
	fromRule := &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": in.Rule.AttrArn()}}
	in.DLQ.AddToResourcePolicy(eventsStatement("InboundRuleDeadLetter", []string{"sqs:SendMessage"}, in.DLQ.QueueArn(), fromRule))
	fn.AddPermission(jsii.String("InvokedByInboundRule"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), SourceArn: in.Rule.AttrArn(),
	})
}

// WatchInbound alarms when a source event waits in the events DLQ: the
// events function could not take it (its errors alarm too, as every
// function's).
func (o *Observability) WatchInbound(in *Inbound) {
	depth := in.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	o.alarm("EventsDLQNotEmpty", o.names.EventsDLQ+"-not-empty",
		"EventBridge could not deliver sources' S3 events to the events function: the objects wait for the reconciling run; look at the DLQ's ERROR_CODE attributes",
		depth, 1)
}
