package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// Events is the platform's own outbound EventBridge bus, where the planner
// and the worker announce every run's end (shared/runevents; no other
// account may put events on it: it has no resource policy), and the
// notification topic that its rules feed with the run events of the
// schedules whose Notify asks for them. Users never name a topic:
// subscribers subscribe to this one with a filter policy on the message
// body (detail.ScheduleId). The topic is encrypted with the platform key.
type Events struct {
	Scope constructs.Construct
	Bus   awsevents.EventBus
	Topic awssns.Topic
	Rules []awsevents.CfnRule
	// DLQ holds the notifications EventBridge could not publish to the
	// topic after its retries (an alarm watches it).
	DLQ awssqs.Queue
}

// NewEvents creates the bus, the topic and the notification rules. The
// rules are L1 resources with the topic as target: the L2 SNS target would
// grant EventBridge kms:GenerateDataKey* on the key and publish without
// conditions; the statements below are narrower.
func NewEvents(scope constructs.Construct, id string, names platform.Names, key awskms.Key) *Events {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := awscdk.Stack_Of(scope)
	bus := awsevents.NewEventBus(c, jsii.String("RunsBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(names.EventBus),
		Description:  jsii.String("S3 Connections run events: Ingestion Run Succeeded / Failed (source s3connections)"),
	})
	topic := awssns.NewTopic(c, jsii.String("Notifications"), &awssns.TopicProps{
		TopicName:   jsii.String(names.NotificationTopic),
		DisplayName: jsii.String("S3 Connections run notifications"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	dlq := awssqs.NewQueue(c, jsii.String("NotificationsDLQ"), &awssqs.QueueProps{
		QueueName: jsii.String(names.NotificationsDLQ), Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		EnforceSSL: jsii.Bool(true), RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy: &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_DENY_ALL},
	})
	e := &Events{Scope: c, Bus: bus, Topic: topic, DLQ: dlq}
	var ruleARNs []*string
	for _, r := range runevents.NotificationRules() {
		rule := awsevents.NewCfnRule(c, jsii.String(r.Name), &awsevents.CfnRuleProps{
			Name: jsii.String(names.EventBus + "-" + r.Name), Description: jsii.String(r.Description),
			EventBusName: bus.EventBusName(), EventPattern: r.Pattern(), State: jsii.String("ENABLED"),
			Targets: &[]*awsevents.CfnRule_TargetProperty{{Id: jsii.String("notifications"), Arn: topic.TopicArn(),
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.QueueArn()}}},
		})
		e.Rules = append(e.Rules, rule)
		ruleARNs = append(ruleARNs, rule.AttrArn())
	}
	fromRules := &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleARNs}}
	topic.AddToResourcePolicy(eventsStatement("NotificationRulesPublish", []string{"sns:Publish"}, topic.TopicArn(), fromRules))
	dlq.AddToResourcePolicy(eventsStatement("NotificationRulesDeadLetter", []string{"sqs:SendMessage"}, dlq.QueueArn(), fromRules))
	// EventBridge publishes to the encrypted topic and DLQ: the key's data
	// keys for these two only (SNS's and SQS's encryption contexts name them).
	arn := func(service, name string) string {
		return "arn:" + *st.Partition() + ":" + service + ":" + *st.Region() + ":" + *st.Account() + ":" + name
	}
	key.AddToResourcePolicy(eventsStatement("EventBridgePublishesToNotificationTopic", []string{"kms:Decrypt", "kms:GenerateDataKey"},
		jsii.String("*"), &map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:aws:sns:topicArn": arn("sns", names.NotificationTopic)}}), nil)
	key.AddToResourcePolicy(eventsStatement("EventBridgeDeadLettersNotifications", []string{"kms:Decrypt", "kms:GenerateDataKey"},
		jsii.String("*"), &map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:aws:sqs:arn": arn("sqs", names.NotificationsDLQ)}}), nil)
	tag(c, "events")
	return e
}

// eventsStatement allows EventBridge (the service) actions on resource
// under conditions.
func eventsStatement(sid string, actions []string, resource *string, conditions *map[string]any) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    strs(actions...),
		Resources:  &[]*string{resource},
		Conditions: conditions,
	})
}

// WatchEvents alarms when a notification waits in the notifications' DLQ.
// Call it before Watch, which shows the alarms on the dashboard.
func (o *Observability) WatchEvents(e *Events) {
	depth := e.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	o.alarm("NotificationsDLQNotEmpty", o.names.NotificationsDLQ+"-not-empty",
		"EventBridge could not publish run notifications to the notification topic: look at the rules' FailedInvocations and the DLQ's ERROR_CODE attributes",
		depth, 1)
}
