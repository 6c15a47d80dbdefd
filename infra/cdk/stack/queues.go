package stack

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Settings of the task queue, shared with the local platform's queues.
const (
	// TaskVisibilityTimeout is how long a task stays hidden once a worker
	// received it. AWS asks for at least 6 times the worker's timeout.
	TaskVisibilityTimeout = 15 * time.Minute
	// TaskMaxReceives is how often a task is tried before the DLQ holds it.
	TaskMaxReceives = 5
	// TaskBatchSize is how many tasks one worker invocation receives at
	// most, gathered for up to TaskBatchingWindow.
	TaskBatchSize      = platform.TaskBatchSize
	TaskBatchingWindow = platform.TaskBatchingWindow
)

// Settings of the planner's failure queue, which the planner consumes.
const (
	// FailureVisibilityTimeout hides a record while the planner handles
	// it: at least the planner's timeout, as an SQS event source requires.
	FailureVisibilityTimeout = 15 * time.Minute
	// FailureMaxReceives is how often a record is tried before its DLQ
	// holds it.
	FailureMaxReceives = 5
	// PlannerRetries is how often Lambda retries a failed asynchronous
	// planner invocation (its default, written out).
	PlannerRetries = 2
)

// Queues is the task queue the planner fills and the workers drain, with
// its dead-letter queue; the planner's on-failure destination (records of
// invocations that failed every try, which the planner consumes to end
// their runs) with its dead-letter queue; and the dead-letter queue of the
// schedules' firings. All KMS-encrypted and TLS-only.
type Queues struct {
	Scope      constructs.Construct
	Tasks, DLQ awssqs.Queue
	// PlannerFailures is the planner's on-failure destination,
	// PlannerFailuresDLQ where records it could not handle end up.
	PlannerFailures, PlannerFailuresDLQ awssqs.Queue
	// SchedulerDLQ holds the firings EventBridge Scheduler could not deliver.
	SchedulerDLQ   awssqs.Queue
	maxConcurrency int
}

// NewQueues creates the queues; maxConcurrency caps the workers that the
// event source added by AttachWorker runs at once.
func NewQueues(scope constructs.Construct, id string, names platform.Names, key awskms.IKey, maxConcurrency int) *Queues {
	c := constructs.NewConstruct(scope, jsii.String(id))
	dlq := awssqs.NewQueue(c, jsii.String("TaskDLQ"), &awssqs.QueueProps{
		QueueName:           jsii.String(names.TaskDLQ),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		RedriveAllowPolicy:  sourceQueueOnly(c, "TaskQueueRef", names.TaskQueue),
	})
	tasks := awssqs.NewQueue(c, jsii.String("Tasks"), &awssqs.QueueProps{
		QueueName:           jsii.String(names.TaskQueue),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		VisibilityTimeout:   awscdk.Duration_Seconds(jsii.Number(TaskVisibilityTimeout.Seconds())),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:     &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(TaskMaxReceives)},
	})
	q := &Queues{Scope: c, Tasks: tasks, DLQ: dlq, maxConcurrency: maxConcurrency}
	q.newFailureQueues(c, names, key)
	tag(c, "queues")
	return q
}

// newFailureQueues creates the planner's failure queue with its DLQ, and
// the schedules' DLQ, retained 14 days (SQS's longest) like the task DLQ.
func (q *Queues) newFailureQueues(c constructs.Construct, names platform.Names, key awskms.IKey) {
	fortnight := awscdk.Duration_Days(jsii.Number(14))
	q.PlannerFailuresDLQ = awssqs.NewQueue(c, jsii.String("PlannerFailuresDLQ"), &awssqs.QueueProps{
		QueueName: jsii.String(names.PlannerFailuresDLQ), Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		EnforceSSL: jsii.Bool(true), RetentionPeriod: fortnight,
		RedriveAllowPolicy: sourceQueueOnly(c, "PlannerFailuresRef", names.PlannerFailures),
	})
	q.PlannerFailures = awssqs.NewQueue(c, jsii.String("PlannerFailures"), &awssqs.QueueProps{
		QueueName: jsii.String(names.PlannerFailures), Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		EnforceSSL: jsii.Bool(true), RetentionPeriod: fortnight,
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(FailureVisibilityTimeout.Seconds())),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: q.PlannerFailuresDLQ, MaxReceiveCount: jsii.Number(FailureMaxReceives)},
	})
	// Scheduler, not a queue, sends here: no redrive source to allow.
	q.SchedulerDLQ = awssqs.NewQueue(c, jsii.String("SchedulerDLQ"), &awssqs.QueueProps{
		QueueName: jsii.String(names.SchedulerDLQ), Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		EnforceSSL: jsii.Bool(true), RetentionPeriod: fortnight,
		RedriveAllowPolicy: &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_DENY_ALL},
	})
}

// sourceQueueOnly lets only the queue named name use a DLQ as its
// dead-letter queue. It names that queue by an ARN built from its name: a
// reference would be a cycle, as its redrive policy references the DLQ.
func sourceQueueOnly(scope constructs.Construct, refID, name string) *awssqs.RedriveAllowPolicy {
	arn := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("sqs"), Resource: jsii.String(name), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME,
	})
	return &awssqs.RedriveAllowPolicy{
		RedrivePermission: awssqs.RedrivePermission_BY_QUEUE,
		SourceQueues:      &[]awssqs.IQueue{awssqs.Queue_FromQueueArn(scope, jsii.String(refID), arn)},
	}
}

// AttachPlanner gives fn, the planner, whose timeout is timeout, its
// asynchronous invocation configuration (PlannerRetries retries, then its
// record to the failure queue) and makes it the failure queue's consumer
// (batches of platform.FailureBatchSize, partial batch responses). Both are
// written without CDK's grants, which would add wildcard KMS actions: the
// planner's role allows exactly what they need (functions.go).
func (q *Queues) AttachPlanner(fn awslambda.IFunction, timeout time.Duration) error {
	if timeout > FailureVisibilityTimeout {
		return fmt.Errorf("planner timeout %v: the failure queue's visibility timeout (%v) must be at least the planner's timeout", timeout, FailureVisibilityTimeout)
	}
	awslambda.NewCfnEventInvokeConfig(q.Scope, jsii.String("PlannerAsync"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName: fn.FunctionName(), Qualifier: jsii.String("$LATEST"), MaximumRetryAttempts: jsii.Number(PlannerRetries),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: q.PlannerFailures.QueueArn()},
		},
	})
	awslambda.NewEventSourceMapping(q.Scope, jsii.String("PlannerFailuresSource"), &awslambda.EventSourceMappingProps{
		Target: fn, EventSourceArn: q.PlannerFailures.QueueArn(), BatchSize: jsii.Number(platform.FailureBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
	})
	return nil
}

// AttachWorker makes fn, whose timeout is timeout, the consumer of the task
// queue: batches of TaskBatchSize, partial batch responses
// (ReportBatchItemFailures, so one failed task is retried alone) and at
// most maxConcurrency concurrent invocations.
func (q *Queues) AttachWorker(fn awslambda.IFunction, timeout time.Duration) error {
	if 6*timeout > TaskVisibilityTimeout {
		return fmt.Errorf("worker timeout %v: the task queue's visibility timeout (%v) must be at least 6 times the worker's timeout", timeout, TaskVisibilityTimeout)
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.Tasks, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(TaskBatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(TaskBatchingWindow.Seconds())),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(q.maxConcurrency),
	}))
	return nil
}
