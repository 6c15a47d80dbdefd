package app

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/quota"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// NewAPI builds the API function's handler.
func NewAPI(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *httpapi.API {
	store := metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table).WithLimits(quota.FromConfig(cfg)).WithRunRetention(cfg.RunRetentionDays)
	planner := plannercall.New(lambda.NewFromConfig(awsCfg), cfg.PlannerFunction)
	datasets := &dataset.Service{Store: store, Connections: store, PlatformBuckets: cfg.PlatformBuckets}
	schedules := &schedule.Service{
		Store:     store,
		Scheduler: eventscheduler.New(scheduler.NewFromConfig(awsCfg), cfg.ScheduleGroup, cfg.PlannerFunctionARN, cfg.SchedulerRoleARN, cfg.SchedulerDLQARN),
		Datasets:  datasets,
		Upstream:  store,
		Log:       log,
	}
	return httpapi.New(httpapi.UseCases{
		Connections: &connection.Service{
			Store:               store,
			Sealer:              kmssecret.New(kms.NewFromConfig(awsCfg), cfg.SecretsKeyID),
			Tester:              planner,
			SourceReaderRoleARN: cfg.SourceReaderRoleARN,
			PlatformBuckets:     cfg.PlatformBuckets,
			InboundBusARN:       cfg.InboundBusARN,
		},
		Datasets:  datasets,
		Schedules: schedules,
		Runs: &run.Service{Store: store, Schedules: schedules, Upstream: store, Planner: planner, Log: log,
			Reports: &report.Linker{Presign: s3.NewPresignClient(s3.NewFromConfig(awsCfg, cfg.S3Options)), Expiry: reportURLExpiry(cfg)}},
		Domains:    &dataset.Domains{Store: store},
		Identities: store,
	}, log)
}

// reportURLExpiry is how long a report's presigned URL is valid.
func reportURLExpiry(cfg platform.Config) time.Duration {
	if cfg.ReportURLExpiry > 0 {
		return cfg.ReportURLExpiry
	}
	return platform.DefaultReportURLExpiry
}
