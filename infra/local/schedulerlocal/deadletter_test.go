package schedulerlocal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
)

// A target that fails past its RetryPolicy lands in the schedule's
// dead-letter queue, read back with the SDK's SQS client: the Input as the
// body and Scheduler's attributes (the target's error code and message,
// or Scheduler's internal error for any other failure; which limit ended
// the retries; how many there were; which schedule, fire and target).
func TestDeadLetterQueue(t *testing.T) {
	sqsSrv := sqslocal.New(sqslocal.Options{AccountID: "000000000000", Region: "us-east-1"})
	ts := httptest.NewServer(sqsSrv)
	t.Cleanup(func() { sqsSrv.Close(); ts.Close() })
	sqsClient := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("scheduler-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	const dlqARN = "arn:aws:sqs:us-east-1:000000000000:scheduler-dlq"

	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)}
	var fail error
	e := newEnv(t, clk, func(o *schedulerlocal.Options) {
		o.DeadLetters = sqslocal.ARNSender{Client: sqsClient}
		o.Fire = func(_ context.Context, tg schedulerlocal.Target) error {
			if tg.ScheduleName == "too-old" {
				clk.Set(clk.Now().Add(2 * time.Minute)) // the event outlives MaximumEventAgeInSeconds
			}
			return fail
		}
	})
	tests := []struct {
		name, condition, code, message, retries string
		err                                     error
		policy                                  types.RetryPolicy
	}{
		{"not-found", "MaximumRetryAttempts", "ResourceNotFoundException", "Function not found: planner", "2",
			&smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Function not found: planner"},
			types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)}},
		{"internal", "MaximumRetryAttempts", "AWS.Scheduler.InternalServerError", "Unexpected error occurred while processing the request", "0",
			errors.New("connection reset"), types.RetryPolicy{MaximumRetryAttempts: aws.Int32(0)}},
		{"too-old", "MaximumEventAgeInSeconds", "ThrottlingException", "Rate exceeded", "0",
			&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
			types.RetryPolicy{MaximumRetryAttempts: aws.Int32(10), MaximumEventAgeInSeconds: aws.Int32(60)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fail = tc.err
			arn := e.create(t, tc.name, "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
				in.Target.RetryPolicy = &tc.policy
				in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(dlqARN)}
			})
			out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20,
				MessageAttributeNames: []string{"All"}})
			if err != nil || len(out.Messages) != 1 {
				t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
			}
			m := out.Messages[0]
			if _, err := sqsClient.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range m.MessageAttributes {
				if aws.ToString(v.DataType) != "String" {
					t.Errorf("attribute %s has type %s, want String", k, aws.ToString(v.DataType))
				}
				got[k] = aws.ToString(v.StringValue)
			}
			want := map[string]string{
				"ERROR_CODE": tc.code, "ERROR_MESSAGE": tc.message, "EXHAUSTED_RETRY_CONDITION": tc.condition,
				"IS_PAYLOAD_TRUNCATED": "false", "RETRY_ATTEMPTS": tc.retries, "SCHEDULED_TIME": "2030-03-04T10:00:00Z",
				"SCHEDULE_ARN": arn, "TARGET_ARN": plannerARN,
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if len(got["EXECUTION_ID"]) == 0 || len(got) != len(want)+1 {
				t.Errorf("attributes %v: want EXECUTION_ID and exactly %v", got, want)
			}
			if body := aws.ToString(m.Body); body != `{"ScheduleId":"`+tc.name+`"}` {
				t.Errorf("body %s, want the target's Input", body)
			}
			_, _ = e.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(tc.name)})
			clk.Set(time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC))
		})
	}
}
