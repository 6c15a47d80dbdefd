package app

import (
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/shared/eventingest"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/taskqueue"
)

// NewEvents builds the events function's handler: sources' S3 events from
// the inbound bus become copy tasks on the workers' queue.
func NewEvents(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *eventingest.Handler {
	return &eventingest.Handler{
		Store:   metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table).WithRunRetention(cfg.RunRetentionDays),
		Tasks:   taskqueue.New[ingest.Task](sqs.NewFromConfig(awsCfg), cfg.TaskQueueURL),
		Log:     log,
		Metrics: metrics.NewEmitter(os.Stdout),
		Cap:     cfg.RollingCap,
	}
}
