package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/runevents"
	"github.com/datalake-platform/s3connections/shared/source"
	"github.com/datalake-platform/s3connections/shared/taskqueue"
)

// sourceAccess is how the ingestion functions reach source buckets: with
// the connection's access, in the regions the platform allows.
func sourceAccess(cfg platform.Config, awsCfg aws.Config) *source.Access {
	enabled := map[string]bool{}
	for _, r := range cfg.EnabledOptInRegions {
		enabled[r] = true
	}
	return &source.Access{
		Base:          awsCfg,
		Secrets:       kmssecret.New(kms.NewFromConfig(awsCfg), cfg.SecretsKeyID),
		Regions:       connection.Regions{Home: awsCfg.Region, EnabledOptIns: enabled, EnableVariable: platform.EnvEnabledOptInRegions},
		S3Options:     []func(*s3.Options){cfg.S3Options},
		ReaderRoleARN: cfg.SourceReaderRoleARN,
		STS:           source.NewSTS(awsCfg),
		Own:           s3.NewFromConfig(awsCfg, cfg.S3Options),
	}
}

// NewPlanner builds the planner function's handler.
func NewPlanner(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *ingest.Planner {
	access := sourceAccess(cfg, awsCfg)
	budget := cfg.PlannerBudget
	if budget <= 0 {
		budget = ingest.DefaultPlannerBudget
	}
	store := metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table).WithRunRetention(cfg.RunRetentionDays)
	return &ingest.Planner{
		Store:    store,
		Tester:   access,
		Sources:  &source.Clients{Access: access},
		Tasks:    taskqueue.New[ingest.Task](sqs.NewFromConfig(awsCfg), cfg.TaskQueueURL),
		Continue: plannercall.New(lambda.NewFromConfig(awsCfg), cfg.PlannerFunction),
		Budget:   budget,
		Margin:   ingest.DefaultMargin,
		Log:      log,
		Metrics:  metrics.NewEmitter(os.Stdout),
		Events:   runEvents(cfg, awsCfg, store, log),
		Reports:  reportParts(cfg, awsCfg),
		Rolling:  store, RollingQuiet: cfg.RollingQuiet, RollingCap: cfg.RollingCap,
	}
}

// NewWorker builds the worker function's handler.
func NewWorker(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *ingest.Worker {
	copier := &ingest.Copier{
		Target:        s3.NewFromConfig(awsCfg, cfg.S3Options),
		KMSKeyID:      cfg.KMSKeyID,
		CopyThreshold: orDefault(cfg.CopyThreshold, ingest.DefaultCopyThreshold),
		PartSize:      orDefault(cfg.PartSize, ingest.DefaultPartSize),
		Parallel:      4,
	}
	receives := cfg.MaxReceiveCount
	if receives <= 0 {
		receives = ingest.DefaultMaxReceiveCount
	}
	store := metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table).WithRunRetention(cfg.RunRetentionDays)
	waits, err := rules.ParseRestoreWaits(cfg.RestoreWaits)
	if err != nil {
		log.Error("bad setting: S3's restore times are used", "setting", platform.EnvRestoreWaits, "error", err)
	}
	return &ingest.Worker{
		RestoreWaits:    waits,
		Store:           store,
		Sources:         sourceClients{&source.Clients{Access: sourceAccess(cfg, awsCfg)}},
		Copier:          copier,
		LZBucket:        cfg.LZBucket,
		DLZBucket:       cfg.DLZBucket,
		MaxReceiveCount: receives,
		Parallel:        ingest.DefaultWorkerParallel,
		Queue:           taskqueue.NewReleaser(sqs.NewFromConfig(awsCfg), cfg.TaskQueueURL),
		StreamBudget:    ingest.DefaultStreamBudget,
		Log:             log,
		Metrics:         metrics.NewEmitter(os.Stdout),
		Events:          runEvents(cfg, awsCfg, store, log),
		Reports:         reportParts(cfg, awsCfg),
	}
}

// sourceClients opens source buckets for the worker with the cached
// clients of source.Clients.
type sourceClients struct{ *source.Clients }

// Open returns the clients that read c's bucket and copy from it.
func (s sourceClients) Open(ctx context.Context, c connection.Connection) (ingest.Source, error) {
	src, err := s.For(ctx, c)
	if err != nil {
		return ingest.Source{}, err
	}
	out := ingest.Source{Reader: src.Client, Owner: c.S3BucketOwner}
	if src.Copier != nil { // a nil *s3.Client must not become a non-nil interface
		out.Copier = src.Copier
	}
	return out, nil
}

// runEvents publishes the ends of runs on the platform's outbound bus
// (EVENT_BUS_NAME) from store's outbox, each after assembling its run's
// report in REPORTS_BUCKET.
func runEvents(cfg platform.Config, awsCfg aws.Config, store *metadata.Store, log *slog.Logger) *runevents.Publisher {
	reports := &report.Assembler{S3: s3.NewFromConfig(awsCfg, cfg.S3Options), Bucket: cfg.ReportsBucket}
	return &runevents.Publisher{Outbox: store, Bus: eventbridge.NewFromConfig(awsCfg), BusName: cfg.EventBus, Log: log, Reports: reports}
}

// reportParts writes the parts of run reports in REPORTS_BUCKET.
func reportParts(cfg platform.Config, awsCfg aws.Config) *report.Parts {
	return &report.Parts{S3: s3.NewFromConfig(awsCfg, cfg.S3Options), Bucket: cfg.ReportsBucket}
}

func orDefault(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}
