// Package platform reads the functions' configuration from the environment
// (once, at cold start) and names the platform's resources, so the CDK stack,
// the local platform and the functions agree on every name.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Environment variable names the functions read.
const (
	EnvTable               = "TABLE_NAME"
	EnvKMSKey              = "KMS_KEY_ID"
	EnvLZBucket            = "LZ_BUCKET"
	EnvDLZBucket           = "DLZ_BUCKET"
	EnvTaskQueueURL        = "TASK_QUEUE_URL"
	EnvPlannerFunction     = "PLANNER_FUNCTION_NAME"
	EnvIngestionRoleARNs   = "INGESTION_ROLE_ARNS"
	EnvEnabledOptInRegions = "ENABLED_OPT_IN_REGIONS"
	EnvPlannerFunctionARN  = "PLANNER_FUNCTION_ARN"
	EnvScheduleGroup       = "SCHEDULE_GROUP"
	EnvSchedulerRoleARN    = "SCHEDULER_ROLE_ARN"
	EnvPlannerBudget       = "PLANNER_TIME_BUDGET"  // e.g. "10m": how long one planner invocation plans
	EnvMaxReceiveCount     = "MAX_RECEIVE_COUNT"    // the task queue's redrive limit
	EnvPartSize            = "PART_SIZE_BYTES"      // multipart part size
	EnvCopyThreshold       = "COPY_THRESHOLD_BYTES" // server-side copies above it go by UploadPartCopy
	// EnvS3PathStyle makes S3 clients use path-style URLs, which local S3
	// endpoints need; AWS uses virtual-hosted style.
	EnvS3PathStyle = "S3_USE_PATH_STYLE"
)

// Config is what a function knows about the platform it runs in.
type Config struct {
	Region              string
	Table               string
	KMSKeyID            string
	LZBucket            string
	DLZBucket           string
	TaskQueueURL        string
	PlannerFunction     string
	PlannerFunctionARN  string // target of EventBridge Scheduler schedules
	ScheduleGroup       string
	SchedulerRoleARN    string // the role EventBridge Scheduler assumes to invoke the planner
	IngestionRoleARNs   []string
	EnabledOptInRegions []string
	S3PathStyle         bool
	PlannerBudget       time.Duration
	MaxReceiveCount     int
	PartSize            int64
	CopyThreshold       int64
}

// FromEnv reads the configuration; every variable in required must be set.
func FromEnv(required ...string) (Config, error) {
	var missing []string
	for _, name := range required {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return Config{
		Region:              os.Getenv("AWS_REGION"),
		Table:               os.Getenv(EnvTable),
		KMSKeyID:            os.Getenv(EnvKMSKey),
		LZBucket:            os.Getenv(EnvLZBucket),
		DLZBucket:           os.Getenv(EnvDLZBucket),
		TaskQueueURL:        os.Getenv(EnvTaskQueueURL),
		PlannerFunction:     os.Getenv(EnvPlannerFunction),
		PlannerFunctionARN:  os.Getenv(EnvPlannerFunctionARN),
		ScheduleGroup:       os.Getenv(EnvScheduleGroup),
		SchedulerRoleARN:    os.Getenv(EnvSchedulerRoleARN),
		IngestionRoleARNs:   list(os.Getenv(EnvIngestionRoleARNs)),
		EnabledOptInRegions: list(os.Getenv(EnvEnabledOptInRegions)),
		S3PathStyle:         os.Getenv(EnvS3PathStyle) == "true",
		PlannerBudget:       duration(os.Getenv(EnvPlannerBudget)),
		MaxReceiveCount:     int(integer(os.Getenv(EnvMaxReceiveCount))),
		PartSize:            integer(os.Getenv(EnvPartSize)),
		CopyThreshold:       integer(os.Getenv(EnvCopyThreshold)),
	}, nil
}

// duration and integer read optional settings; unset or invalid is zero,
// which means the default.
func duration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

func integer(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Env renders c as the environment variables FromEnv reads.
func (c Config) Env() map[string]string {
	return map[string]string{
		EnvTable:               c.Table,
		EnvKMSKey:              c.KMSKeyID,
		EnvLZBucket:            c.LZBucket,
		EnvDLZBucket:           c.DLZBucket,
		EnvTaskQueueURL:        c.TaskQueueURL,
		EnvPlannerFunction:     c.PlannerFunction,
		EnvPlannerFunctionARN:  c.PlannerFunctionARN,
		EnvScheduleGroup:       c.ScheduleGroup,
		EnvSchedulerRoleARN:    c.SchedulerRoleARN,
		EnvIngestionRoleARNs:   strings.Join(c.IngestionRoleARNs, ","),
		EnvEnabledOptInRegions: strings.Join(c.EnabledOptInRegions, ","),
		EnvS3PathStyle:         fmt.Sprint(c.S3PathStyle),
		EnvPlannerBudget:       c.PlannerBudget.String(),
		EnvMaxReceiveCount:     strconv.Itoa(c.MaxReceiveCount),
		EnvPartSize:            strconv.FormatInt(c.PartSize, 10),
		EnvCopyThreshold:       strconv.FormatInt(c.CopyThreshold, 10),
	}
}

// The worker's event source: batches of up to TaskBatchSize tasks, gathered
// for at most TaskBatchingWindow. A worker commits a batch in transactions
// of up to 49 files, so larger batches mean fewer, fuller transactions and
// fewer invocations; it copies TaskBatchSize files within its timeout only
// when they are small, and hands back what it could not start.
const (
	TaskBatchSize      = 100
	TaskBatchingWindow = time.Second
)

// MaxAttempts is how often the functions' SDK clients try a call that
// fails with a retryable error (5xx, throttling, a reset connection): more
// than the SDK's 3, because retrying within the invocation is far cheaper
// than the backstops (SQS redelivery after the visibility timeout, Lambda's
// asynchronous retries a minute apart); the invocation's deadline bounds it.
const MaxAttempts = 8

// IdleConnsPerHost is how many idle connections a client keeps per
// endpoint. The SDK's default of 10 is below the worker's parallel copies
// (DefaultWorkerParallel), so every burst of copies closed connections and dialed new
// ones: connection set-up was a tenth of the local platform's CPU.
const IdleConnsPerHost = 64

// LoadAWS loads the SDK configuration from the environment: region,
// credentials and, through AWS_ENDPOINT_URL_<SERVICE>, endpoints, which is
// how the local platform points the same code at its emulators.
func LoadAWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.MaxBackoff = MaxAttempts, 5*time.Second
		})
	}), config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 4*IdleConnsPerHost, IdleConnsPerHost
	})))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// S3Options applies the platform's S3 client settings.
func (c Config) S3Options(o *s3.Options) { o.UsePathStyle = c.S3PathStyle }

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Init is a function's cold start: the JSON logger of the Lambda runtime
// (slog's default too), the platform's configuration with every variable
// in required set, and the SDK's. A function that cannot start logs why and
// exits, and Lambda reports the failed init.
func Init(required ...string) (Config, aws.Config, *slog.Logger) {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	cfg, err := FromEnv(required...)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := LoadAWS(context.Background())
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	return cfg, awsCfg, log
}
