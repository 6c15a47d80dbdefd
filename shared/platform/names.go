package platform

import "fmt"

// Prefix starts every resource name, so the platform's resources are found
// at a glance in the AWS console.
const Prefix = "s3connections"

// Names are the physical names of the platform's resources in one account
// and region.
type Names struct {
	Table, KeyAlias, LZBucket, DLZBucket, TaskQueue, TaskDLQ string
	// PlannerFailures is the planner's on-failure destination (with its
	// own dead-letter queue); SchedulerDLQ holds the schedules' firings
	// that failed every retry.
	PlannerFailures, PlannerFailuresDLQ, SchedulerDLQ string
	// SecretsKeyAlias names the key of connection secrets.
	SecretsKeyAlias string
	// AssetsBucket is the CDK bootstrap bucket the stack's code is
	// deployed from (the default qualifier's): a platform bucket too.
	AssetsBucket string
	// LogsBucket holds the server access logs of the LZ and DLZ buckets.
	LogsBucket string
	// ReportsBucket holds the runs' reports, and their parts while they
	// run (shared/report): a bucket of its own, private to the platform.
	ReportsBucket string
	// EventBus is the platform's own outbound EventBridge bus (run
	// events), NotificationTopic the SNS topic its notification rules
	// feed, NotificationsDLQ where the rules put what they could not.
	EventBus, NotificationTopic, NotificationsDLQ string
	// InboundBus receives the S3 "Object Created" events that source
	// owners forward to the platform; its rule feeds EventsFunction,
	// EventsDLQ holds what the rule could not deliver.
	InboundBus, EventsFunction, EventsDLQ string

	APIFunction, PlannerFunction, WorkerFunction string
	SourceReaderRole, SchedulerRole              string
	ScheduleGroup, UserPool, APIName, Dashboard  string
}

// NamesFor returns the resource names in account and region. Bucket names
// carry both, as S3 bucket names are global.
func NamesFor(account, region string) Names {
	return Names{
		Table:            Prefix + "-metadata",
		KeyAlias:         "alias/" + Prefix,
		SecretsKeyAlias:  "alias/" + Prefix + "-secrets",
		LZBucket:         fmt.Sprintf("%s-lz-%s-%s", Prefix, account, region),
		DLZBucket:        fmt.Sprintf("%s-dlz-%s-%s", Prefix, account, region),
		LogsBucket:       fmt.Sprintf("%s-logs-%s-%s", Prefix, account, region),
		ReportsBucket:    fmt.Sprintf("%s-reports-%s-%s", Prefix, account, region),
		AssetsBucket:     fmt.Sprintf("cdk-hnb659fds-assets-%s-%s", account, region),
		TaskQueue:        Prefix + "-tasks",
		TaskDLQ:          Prefix + "-tasks-dlq",
		APIFunction:      Prefix + "-api",
		PlannerFunction:  Prefix + "-planner",
		WorkerFunction:   Prefix + "-worker",
		SourceReaderRole: Prefix + "-source-reader",
		SchedulerRole:    Prefix + "-scheduler",
		ScheduleGroup:    Prefix,
		UserPool:         Prefix + "-users",
		APIName:          Prefix + "-api",
		Dashboard:        Prefix,

		PlannerFailures:    Prefix + "-planner-failures",
		PlannerFailuresDLQ: Prefix + "-planner-failures-dlq",
		SchedulerDLQ:       Prefix + "-scheduler-dlq",

		EventBus:          Prefix + "-runs",
		InboundBus:        Prefix + "-inbound",
		EventsFunction:    Prefix + "-events",
		EventsDLQ:         Prefix + "-events-dlq",
		NotificationTopic: Prefix + "-notifications",
		NotificationsDLQ:  Prefix + "-notifications-dlq",
	}
}

// Buckets are the platform's own buckets: none of them may be a source.
func (n Names) Buckets() []string {
	return []string{n.LZBucket, n.DLZBucket, n.LogsBucket, n.AssetsBucket, n.ReportsBucket}
}

// RoleARN is the ARN of the platform's role name in account.
func RoleARN(partition, account, name string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + name
}
