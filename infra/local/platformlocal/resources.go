package platformlocal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// createResources creates what the CDK stack creates on AWS, idempotently
// (a restart over the same data folder finds them in place), and fills
// p.Config as the stack fills the functions' environment.
func (p *Platform) createResources(ctx context.Context) error {
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return err
	}
	n := p.Names
	if err := metadata.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), n.Table); err != nil {
		return err
	}
	keyARN, err := ensureKey(ctx, kms.NewFromConfig(cfg), n.KeyAlias, "S3 Connections platform key")
	if err != nil {
		return err
	}
	// Connection secrets under a key of their own, as on AWS.
	secretsKeyARN, err := ensureKey(ctx, kms.NewFromConfig(cfg), n.SecretsKeyAlias, "S3 Connections connection secrets")
	if err != nil {
		return err
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{n.LZBucket, n.DLZBucket, n.ReportsBucket} {
		if err := EnsureBucket(ctx, s3c, b, Region); err != nil {
			return err
		}
	}
	queueURL, err := p.ensureMessaging(ctx, cfg, keyARN)
	if err != nil {
		return err
	}
	p.Config = p.configOf(keyARN, secretsKeyARN, queueURL)
	p.registerReader()
	return nil
}

// ensureMessaging creates the queues, the schedule group and the buses,
// and returns the task queue's URL.
func (p *Platform) ensureMessaging(ctx context.Context, cfg aws.Config, keyARN string) (string, error) {
	n := p.Names
	queueURL, err := ensureQueues(ctx, sqs.NewFromConfig(cfg), n.TaskQueue, n.TaskDLQ, keyARN)
	if err != nil {
		return "", err
	}
	if p.failuresURL, err = ensureFailureQueues(ctx, sqs.NewFromConfig(cfg), n, keyARN); err != nil {
		return "", err
	}
	if err := ensureScheduleGroup(ctx, scheduler.NewFromConfig(cfg), n.ScheduleGroup); err != nil {
		return "", err
	}
	if err := p.ensureEventBus(ctx, eventbridge.NewFromConfig(cfg)); err != nil {
		return "", err
	}
	return queueURL, p.ensureInboundBus(ctx, eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg), keyARN)
}

// configOf is the functions' configuration, as the stack's environment.
func (p *Platform) configOf(keyARN, secretsKeyARN, queueURL string) platform.Config {
	n := p.Names
	return platform.Config{
		Region:              Region,
		Table:               n.Table,
		KMSKeyID:            keyARN,
		SecretsKeyID:        secretsKeyARN,
		LZBucket:            n.LZBucket,
		DLZBucket:           n.DLZBucket,
		TaskQueueURL:        queueURL,
		PlannerFunction:     n.PlannerFunction,
		SourceReaderRoleARN: p.ReaderRoleARN(),
		PlatformBuckets:     n.Buckets(),
		S3PathStyle:         true,
		PlannerFunctionARN:  fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, n.PlannerFunction),
		ScheduleGroup:       n.ScheduleGroup,
		SchedulerRoleARN:    fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, n.SchedulerRole),
		SchedulerDLQARN:     queueARN(n.SchedulerDLQ),
		MaxReceiveCount:     maxReceiveCount,
		EventBus:            n.EventBus,
		ReportsBucket:       n.ReportsBucket,
		InboundBusARN:       p.InboundBusARN(),
	}
}

// ensureScheduleGroup creates the platform's EventBridge Scheduler group.
func ensureScheduleGroup(ctx context.Context, c *scheduler.Client, group string) error {
	_, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(group)})
	var exists *schedtypes.ConflictException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create schedule group %s: %w", group, err)
	}
	return nil
}

// maxReceiveCount is the task queue's redrive limit, as on AWS.
const maxReceiveCount = 5

// ensureKey returns the ARN of the key behind alias, creating both if needed.
func ensureKey(ctx context.Context, c *kms.Client, alias, description string) (string, error) {
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
	if err == nil {
		return aws.ToString(d.KeyMetadata.Arn), nil
	}
	var nf *kmstypes.NotFoundException
	if !errors.As(err, &nf) {
		return "", fmt.Errorf("describe key %s: %w", alias, err)
	}
	k, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(description)})
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		return "", fmt.Errorf("create alias %s: %w", alias, err)
	}
	return aws.ToString(k.KeyMetadata.Arn), nil
}

// EnsureBucket creates bucket in region unless this account already owns
// it (the end-to-end tests create their source buckets with it too).
func EnsureBucket(ctx context.Context, c *s3.Client, bucket, region string) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	_, err := c.CreateBucket(ctx, in, func(o *s3.Options) { o.Region = region })
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// ensureQueues creates the task queue with its dead-letter queue.
func ensureQueues(ctx context.Context, c *sqs.Client, queue, dlq, keyARN string) (string, error) {
	d, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlq), Attributes: map[string]string{
		"MessageRetentionPeriod": "1209600", "KmsMasterKeyId": keyARN,
	}})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", dlq, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: d.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", dlq, err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue), Attributes: map[string]string{
		"VisibilityTimeout": strconv.Itoa(int(workerTimeout.Seconds())), "KmsMasterKeyId": keyARN,
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, attrs.Attributes["QueueArn"], maxReceiveCount),
	}})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", queue, err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// workerTimeout is the local worker's timeout and the task queue's
// visibility timeout: a batch that fails is retried a minute later. (On
// AWS the stack gives the queue six times the worker's timeout, as Lambda
// recommends.)
const workerTimeout = time.Minute

// queueARN is the ARN of the platform's queue name.
func queueARN(name string) string { return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name) }

// ensureFailureQueues creates, as the stack does, the planner's on-failure
// destination with its dead-letter queue, and the schedules' dead-letter
// queue, all encrypted with the platform key; it returns the destination's
// URL.
func ensureFailureQueues(ctx context.Context, c *sqs.Client, n platform.Names, keyARN string) (string, error) {
	for _, q := range []string{n.PlannerFailuresDLQ, n.SchedulerDLQ} {
		if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q), Attributes: map[string]string{
			"MessageRetentionPeriod": "1209600", "KmsMasterKeyId": keyARN,
		}}); err != nil {
			return "", fmt.Errorf("create queue %s: %w", q, err)
		}
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(n.PlannerFailures), Attributes: map[string]string{
		"MessageRetentionPeriod": "1209600", "KmsMasterKeyId": keyARN, "VisibilityTimeout": strconv.Itoa(int(workerTimeout.Seconds())),
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, queueARN(n.PlannerFailuresDLQ), maxReceiveCount),
	}})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", n.PlannerFailures, err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// ensureSweepSchedule creates the platform's sweep, as the stack does:
// every eventscheduler.SweepExpression, the planner ends
// the runs whose lease expired, closes quiet rolling runs and follows up
// due restores. A sweep of an older data folder is updated.
func (p *Platform) ensureSweepSchedule(ctx context.Context, c *scheduler.Client) error {
	expression := eventscheduler.SweepExpression
	target := &schedtypes.Target{Arn: aws.String(p.Config.PlannerFunctionARN), RoleArn: aws.String(p.Config.SchedulerRoleARN),
		Input: aws.String(eventscheduler.SweepInput()), RetryPolicy: eventscheduler.RetryPolicy(),
		DeadLetterConfig: &schedtypes.DeadLetterConfig{Arn: aws.String(p.Config.SchedulerDLQARN)}}
	window := &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}
	_, err := c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(eventscheduler.SweepScheduleName), GroupName: aws.String(p.Names.ScheduleGroup),
		ScheduleExpression: aws.String(expression), FlexibleTimeWindow: window, Target: target,
	})
	var exists *schedtypes.ConflictException
	if errors.As(err, &exists) { // kept from an earlier start: its expression may differ
		_, err = c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: aws.String(eventscheduler.SweepScheduleName), GroupName: aws.String(p.Names.ScheduleGroup),
			ScheduleExpression: aws.String(expression), FlexibleTimeWindow: window, Target: target,
		})
	}
	if err != nil {
		return fmt.Errorf("create the sweep schedule: %w", err)
	}
	return nil
}
