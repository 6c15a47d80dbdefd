package platform

import "fmt"

// Prefix starts every resource name, so the platform's resources are found
// at a glance in the AWS console.
const Prefix = "s3connections"

// Names are the physical names of the platform's resources in one account
// and region.
type Names struct {
	Table, KeyAlias, LZBucket, DLZBucket, TaskQueue, TaskDLQ string
	APIFunction, PlannerFunction, WorkerFunction             string
	IngestionRole, SchedulerRole, ScheduleGroup              string
	UserPool, APIName, Dashboard                             string
}

// NamesFor returns the resource names in account and region. Bucket names
// carry both, as S3 bucket names are global.
func NamesFor(account, region string) Names {
	return Names{
		Table:           Prefix + "-metadata",
		KeyAlias:        "alias/" + Prefix,
		LZBucket:        fmt.Sprintf("%s-lz-%s-%s", Prefix, account, region),
		DLZBucket:       fmt.Sprintf("%s-dlz-%s-%s", Prefix, account, region),
		TaskQueue:       Prefix + "-tasks",
		TaskDLQ:         Prefix + "-tasks-dlq",
		APIFunction:     Prefix + "-api",
		PlannerFunction: Prefix + "-planner",
		WorkerFunction:  Prefix + "-worker",
		IngestionRole:   Prefix + "-ingestion",
		SchedulerRole:   Prefix + "-scheduler",
		ScheduleGroup:   Prefix,
		UserPool:        Prefix + "-users",
		APIName:         Prefix + "-api",
		Dashboard:       Prefix,
	}
}
