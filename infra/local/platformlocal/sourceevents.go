package platformlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/sourceevents"
)

// Event-driven ingestion, locally as on AWS: the local S3 puts the events
// of the buckets configured for it on their owner's default bus
// (emitS3Event); an owner's rule forwards those of a bucket to the
// platform's inbound bus (SourceEvents, `make source-events`); the inbound
// bus's rule invokes the events function.

// emitS3Event puts a local S3 event on its owner's default bus, as S3 does.
func (p *Platform) emitS3Event(n s3local.Notification) {
	if p.Events == nil {
		return
	}
	p.Events.Emit(n.Account, eventbridgelocal.Event{DetailType: n.DetailType, Source: sourceevents.Source,
		Time: n.Time.UTC().Format(time.RFC3339), Resources: n.Resources, Detail: n.Detail})
}

// InboundBusARN is the platform's inbound bus.
func (p *Platform) InboundBusARN() string {
	return sourceevents.BusARN("aws", Region, Account, p.Names.InboundBus)
}

// ensureInboundBus creates, as the stack does, the inbound bus with its
// policy (S3's events from any account, by source) and its rule, which
// invokes the events function and puts what it cannot deliver in the
// events dead-letter queue.
func (p *Platform) ensureInboundBus(ctx context.Context, c *eventbridge.Client, q *sqs.Client, keyARN string) error {
	bus := p.Names.InboundBus
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	var exists *ebtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create event bus %s: %w", bus, err)
	}
	doc, _ := json.Marshal(sourceevents.InboundBusPolicy(p.InboundBusARN()))
	if _, err := c.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String(bus), Policy: aws.String(string(doc))}); err != nil {
		return fmt.Errorf("policy of event bus %s: %w", bus, err)
	}
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(p.Names.EventsDLQ), Attributes: map[string]string{
		"MessageRetentionPeriod": "1209600", "KmsMasterKeyId": keyARN,
	}}); err != nil {
		return fmt.Errorf("create queue %s: %w", p.Names.EventsDLQ, err)
	}
	pattern, _ := json.Marshal(map[string]any{"source": []string{sourceevents.Source}, "detail-type": []string{sourceevents.DetailType}})
	rule := p.Names.InboundBus + "-to-events"
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus),
		EventPattern: aws.String(string(pattern)), Description: aws.String("S3 Object Created events to the events function")}); err != nil {
		return fmt.Errorf("create rule %s: %w", rule, err)
	}
	fn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, p.Names.EventsFunction)
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("events-function"), Arn: aws.String(fn),
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(queueARN(p.Names.EventsDLQ))},
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(185), MaximumEventAgeInSeconds: aws.Int32(86400)}}}}); err != nil {
		return fmt.Errorf("target of rule %s: %w", rule, err)
	}
	return nil
}

// SourceEvents does what a source bucket's owner does to send the
// bucket's Object Created events to the platform (the values of GET
// /connections/{id}/policies, here for the whole bucket): it sends the
// bucket's events to the owner's default bus, creates the forwarder role,
// and a rule on the default bus forwarding them to the platform's inbound
// bus with that role.
func SourceEvents(ctx context.Context, owner Owner, bucket, inboundBusARN, ownerAccount string) error {
	if _, err := owner.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}}},
		func(o *s3.Options) { o.Region = bucketRegion(ctx, owner.S3, bucket) }); err != nil {
		return fmt.Errorf("send the events of %s to EventBridge: %w", bucket, err)
	}
	role := platform.RoleARN("aws", ownerAccount, sourceevents.ForwarderRole)
	if err := AttachRolePolicies(ctx, owner.IAM, role, "forward-s3-events", sourceevents.ForwarderTrust(),
		sourceevents.ForwarderPermissions(inboundBusARN)); err != nil {
		return err
	}
	pattern, _ := json.Marshal(sourceevents.Pattern(bucket, nil))
	name := sourceevents.RuleName(bucket)
	if _, err := owner.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(string(pattern)),
		Description: aws.String("Object Created events of " + bucket + " to S3 Connections")}); err != nil {
		return fmt.Errorf("create rule %s: %w", name, err)
	}
	if _, err := owner.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("s3connections"), Arn: aws.String(inboundBusARN), RoleArn: aws.String(role)}}}); err != nil {
		return fmt.Errorf("target of rule %s: %w", name, err)
	}
	return nil
}

// bucketRegion is bucket's region ("us-east-1" when it cannot be read).
func bucketRegion(ctx context.Context, c *s3.Client, bucket string) string {
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil || loc.LocationConstraint == "" {
		return "us-east-1"
	}
	return string(loc.LocationConstraint)
}
