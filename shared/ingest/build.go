package ingest

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/source"
	"github.com/datalake-platform/s3connections/shared/taskqueue"
)

// Defaults of the ingestion settings.
const (
	DefaultPlannerBudget   = 12 * time.Minute // within the planner's 15-minute timeout
	DefaultMargin          = 90 * time.Second // left before the deadline to hand over
	DefaultMaxReceiveCount = 5
	// DefaultWorkerParallel is how many files one worker invocation copies
	// at once.
	DefaultWorkerParallel = 16
	// DefaultStreamBudget bounds the memory streamed copies hold at once,
	// half of the worker's 1 GiB.
	DefaultStreamBudget = 512 << 20
)

func sourceAccess(cfg platform.Config, awsCfg aws.Config) *source.Access {
	enabled := map[string]bool{}
	for _, r := range cfg.EnabledOptInRegions {
		enabled[r] = true
	}
	return &source.Access{
		Base:      awsCfg,
		Secrets:   kmssecret.New(kms.NewFromConfig(awsCfg), cfg.KMSKeyID),
		Regions:   connection.Regions{Home: awsCfg.Region, EnabledOptIns: enabled, EnableVariable: platform.EnvEnabledOptInRegions},
		S3Options: []func(*s3.Options){cfg.S3Options},
	}
}

// BuildPlanner wires the planner from the platform's configuration: the
// same wiring runs in the Lambda function and on the local platform.
func BuildPlanner(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *Planner {
	access := sourceAccess(cfg, awsCfg)
	budget := cfg.PlannerBudget
	if budget <= 0 {
		budget = DefaultPlannerBudget
	}
	return &Planner{
		Store:    metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Tester:   access,
		Sources:  &source.Clients{Access: access},
		Tasks:    taskqueue.New[Task](sqs.NewFromConfig(awsCfg), cfg.TaskQueueURL),
		Continue: plannercall.New(lambda.NewFromConfig(awsCfg), cfg.PlannerFunction),
		Budget:   budget,
		Margin:   DefaultMargin,
		Log:      log,
		Metrics:  metrics.NewEmitter(os.Stdout),
	}
}

// BuildWorker wires the worker from the platform's configuration.
func BuildWorker(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *Worker {
	copier := &Copier{
		Target:        s3.NewFromConfig(awsCfg, cfg.S3Options),
		KMSKeyID:      cfg.KMSKeyID,
		CopyThreshold: orDefault(cfg.CopyThreshold, DefaultCopyThreshold),
		PartSize:      orDefault(cfg.PartSize, DefaultPartSize),
		Parallel:      4,
	}
	receives := cfg.MaxReceiveCount
	if receives <= 0 {
		receives = DefaultMaxReceiveCount
	}
	return &Worker{
		Store:           metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Sources:         SourceClients{&source.Clients{Access: sourceAccess(cfg, awsCfg)}},
		Copier:          copier,
		LZBucket:        cfg.LZBucket,
		DLZBucket:       cfg.DLZBucket,
		MaxReceiveCount: receives,
		Parallel:        DefaultWorkerParallel,
		Queue:           taskqueue.NewReleaser(sqs.NewFromConfig(awsCfg), cfg.TaskQueueURL),
		StreamBudget:    DefaultStreamBudget,
		Log:             log,
		Metrics:         metrics.NewEmitter(os.Stdout),
	}
}

func orDefault(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

// SourceClients opens source buckets with the cached clients of
// source.Clients.
type SourceClients struct{ *source.Clients }

// Open returns the client that reads c's bucket.
func (s SourceClients) Open(ctx context.Context, c connection.Connection) (SourceReader, error) {
	client, _, err := s.For(ctx, c)
	if err != nil {
		return nil, err
	}
	return client, nil
}
