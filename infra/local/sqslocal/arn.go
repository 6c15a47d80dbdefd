package sqslocal

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ARNSender sends messages to queues named by ARN through the SQS API, as
// AWS services deliver to a queue ARN they were given: a Lambda on-failure
// destination, an EventBridge Scheduler dead-letter queue. The local
// Lambda and Scheduler stand-ins deliver through it.
type ARNSender struct{ Client *sqs.Client }

// Send sends body, with attrs as String message attributes, to the queue arn.
func (s ARNSender) Send(ctx context.Context, arn, body string, attrs map[string]string) error {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" {
		return fmt.Errorf("not an SQS queue ARN: %q", arn)
	}
	q, err := s.Client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return fmt.Errorf("queue %s: %w", arn, err)
	}
	in := &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}
	if len(attrs) > 0 {
		in.MessageAttributes = map[string]types.MessageAttributeValue{}
		for k, v := range attrs {
			in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	if _, err := s.Client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send to %s: %w", arn, err)
	}
	return nil
}

// Deliver sends record as the body of a message to the queue arn: how
// Lambda delivers an invocation record to an SQS destination.
func (s ARNSender) Deliver(ctx context.Context, arn string, record []byte) error {
	return s.Send(ctx, arn, string(record), nil)
}
