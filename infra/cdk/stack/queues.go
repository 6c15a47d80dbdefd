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

// Queues is the task queue the planner fills and the workers drain, with
// its dead-letter queue; both KMS-encrypted and TLS-only.
type Queues struct {
	Scope          constructs.Construct
	Tasks, DLQ     awssqs.Queue
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
		RedriveAllowPolicy:  taskQueueOnly(c, names),
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
	tag(c, "queues")
	return &Queues{Scope: c, Tasks: tasks, DLQ: dlq, maxConcurrency: maxConcurrency}
}

// taskQueueOnly lets only the task queue use the DLQ as its dead-letter
// queue. It names the task queue by an ARN built from its name: a reference
// would be a cycle, as the task queue's redrive policy references the DLQ.
func taskQueueOnly(scope constructs.Construct, names platform.Names) *awssqs.RedriveAllowPolicy {
	arn := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("sqs"), Resource: jsii.String(names.TaskQueue), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME,
	})
	return &awssqs.RedriveAllowPolicy{
		RedrivePermission: awssqs.RedrivePermission_BY_QUEUE,
		SourceQueues:      &[]awssqs.IQueue{awssqs.Queue_FromQueueArn(scope, jsii.String("TaskQueueRef"), arn)},
	}
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
