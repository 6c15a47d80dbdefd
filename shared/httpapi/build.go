package httpapi

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// Build wires the API from the platform's configuration: the same wiring
// runs in the Lambda function and on the local platform.
func Build(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *API {
	store := metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	planner := plannercall.New(lambda.NewFromConfig(awsCfg), cfg.PlannerFunction)
	datasets := &dataset.Service{Store: store, Connections: store}
	schedules := &schedule.Service{
		Store:     store,
		Scheduler: eventscheduler.New(scheduler.NewFromConfig(awsCfg), cfg.ScheduleGroup, cfg.PlannerFunctionARN, cfg.SchedulerRoleARN),
		Datasets:  datasets,
		Log:       log,
	}
	return New(UseCases{
		Connections: &connection.Service{
			Store:             store,
			Sealer:            kmssecret.New(kms.NewFromConfig(awsCfg), cfg.KMSKeyID),
			Tester:            planner,
			IngestionRoleARNs: cfg.IngestionRoleARNs,
		},
		Datasets:  datasets,
		Schedules: schedules,
		Runs:      &run.Service{Store: store, Schedules: schedules, Planner: planner, Log: log},
	}, log)
}
