package platform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Environment variable names the functions read.
const (
	EnvTable               = "TABLE_NAME"
	EnvKMSKey              = "KMS_KEY_ID"
	EnvSecretsKey          = "SECRETS_KEY_ID" // the key of connection secrets alone, apart from the platform key
	EnvLZBucket            = "LZ_BUCKET"
	EnvDLZBucket           = "DLZ_BUCKET"
	EnvTaskQueueURL        = "TASK_QUEUE_URL"
	EnvPlannerFunction     = "PLANNER_FUNCTION_NAME"
	EnvSourceReaderRoleARN = "SOURCE_READER_ROLE_ARN" // the role whose tagged sessions read bucket-policy sources
	EnvPlatformBuckets     = "PLATFORM_BUCKETS"       // the platform's own buckets, never a source
	EnvEnabledOptInRegions = "ENABLED_OPT_IN_REGIONS"
	EnvPlannerFunctionARN  = "PLANNER_FUNCTION_ARN"
	EnvScheduleGroup       = "SCHEDULE_GROUP"
	EnvSchedulerRoleARN    = "SCHEDULER_ROLE_ARN"
	EnvSchedulerDLQARN     = "SCHEDULER_DLQ_ARN"    // where Scheduler puts firings that failed every retry
	EnvPlannerBudget       = "PLANNER_TIME_BUDGET"  // e.g. "10m": how long one planner invocation plans
	EnvMaxReceiveCount     = "MAX_RECEIVE_COUNT"    // the task queue's redrive limit
	EnvPartSize            = "PART_SIZE_BYTES"      // multipart part size
	EnvCopyThreshold       = "COPY_THRESHOLD_BYTES" // server-side copies above it go by UploadPartCopy
	// Quotas: how many connections, datasets and schedules one user may
	// own (CreatedBy); unset means shared/quota's defaults.
	EnvMaxConnectionsPerUser = "MAX_CONNECTIONS_PER_USER"
	EnvMaxDatasetsPerUser    = "MAX_DATASETS_PER_USER"
	EnvMaxSchedulesPerUser   = "MAX_SCHEDULES_PER_USER"
	// EnvS3PathStyle makes S3 clients use path-style URLs, which local S3
	// endpoints need; AWS uses virtual-hosted style.
	EnvS3PathStyle = "S3_USE_PATH_STYLE"
	// EnvRunRetentionDays is how many days run records are kept (DynamoDB
	// TTL); unset means metadata.DefaultRunRetentionDays.
	EnvRunRetentionDays = "RUN_RETENTION_DAYS"
	// EnvOTLPEndpoint, when set, is the OpenTelemetry collector the
	// functions send their traces to (OTLP over HTTP); unset, tracing is
	// off and costs nothing.
	EnvOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	// EnvEventBus is the platform's outbound EventBridge bus, where the
	// ingestion functions announce the ends of runs (shared/runevents).
	EnvEventBus = "EVENT_BUS_NAME"
	// EnvRestoreWaits is how long restores of archived files take, by
	// archive and tier (rules.ParseRestoreWaits: "GLACIER/Bulk=12h,…",
	// "*=5s"); unset means S3's documented times.
	EnvRestoreWaits = "RESTORE_WAITS"
	// EnvReportsBucket is the platform's bucket of run reports, where the
	// planner and the workers write report parts and the run-event
	// publisher assembles them (shared/report).
	EnvReportsBucket = "REPORTS_BUCKET"
	// EnvReportURLExpiry is how long a report's presigned URL is valid
	// (e.g. "5m"); unset means DefaultReportURLExpiry.
	EnvReportURLExpiry = "REPORT_URL_EXPIRY"
	// EnvInboundBusARN is the platform's bus for sources' S3 events, which
	// the bucket owners' rules target (the API tells them).
	EnvInboundBusARN = "INBOUND_BUS_ARN"
	// EnvRollingQuiet and EnvRollingCap close an event-driven dataset's
	// rolling run after that long without an event (e.g. "5m") or that
	// many tasks; unset means the defaults (shared/eventingest).
	EnvRollingQuiet = "ROLLING_RUN_QUIET"
	EnvRollingCap   = "ROLLING_RUN_CAP"
)

// DefaultReportURLExpiry is how long GET /runs/{runId}/report's presigned
// URL is valid by default: long enough to follow the redirect.
const DefaultReportURLExpiry = 5 * time.Minute

// Config is what a function knows about the platform it runs in.
type Config struct {
	Region              string
	Table               string
	KMSKeyID            string
	SecretsKeyID        string // seals and opens connection secrets (shared/kmssecret)
	LZBucket            string
	DLZBucket           string
	TaskQueueURL        string
	PlannerFunction     string
	PlannerFunctionARN  string // target of EventBridge Scheduler schedules
	ScheduleGroup       string
	SchedulerRoleARN    string   // the role EventBridge Scheduler assumes to invoke the planner
	SchedulerDLQARN     string   // the schedules' dead-letter queue
	SourceReaderRoleARN string   // bucket-policy sources are read by its per-connection sessions
	PlatformBuckets     []string // the platform's own bucket names: refused as sources
	EnabledOptInRegions []string
	S3PathStyle         bool
	PlannerBudget       time.Duration
	MaxReceiveCount     int
	PartSize            int64
	CopyThreshold       int64
	RunRetentionDays    int    // 0 means the default
	OTLPEndpoint        string // "" means no tracing
	EventBus            string // the outbound bus of run events
	RestoreWaits        string // rules.ParseRestoreWaits' setting; "" means S3's times
	ReportsBucket       string // run reports (shared/report)
	ReportURLExpiry     time.Duration
	InboundBusARN       string // the inbound bus of sources' S3 events
	RollingQuiet        time.Duration
	RollingCap          int64
	// Per-user quotas; 0 means the default (shared/quota).
	MaxConnectionsPerUser, MaxDatasetsPerUser, MaxSchedulesPerUser int
}

// Settings are the environment variables one function reads: its main
// declares them (shared/app), the CDK stack and the local platform give it
// exactly those.
type Settings struct {
	Required []string // the function cannot start without them
	Optional []string // tuning and local-only switches: unset means the default
}

// Names are every variable of s, required first.
func (s Settings) Names() []string { return append(slices.Clone(s.Required), s.Optional...) }

// Read reads the configuration through getenv (os.Getenv on Lambda): every
// required variable must be set, and the variables s does not name are left
// unset, so that a function cannot depend on one it did not declare.
func (s Settings) Read(getenv func(string) string) (Config, error) {
	var missing []string
	for _, name := range s.Required {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	declared := s.Names()
	get := func(name string) string {
		if !slices.Contains(declared, name) {
			return ""
		}
		return getenv(name)
	}
	return Config{
		Region:                getenv("AWS_REGION"),
		Table:                 get(EnvTable),
		KMSKeyID:              get(EnvKMSKey),
		SecretsKeyID:          get(EnvSecretsKey),
		LZBucket:              get(EnvLZBucket),
		DLZBucket:             get(EnvDLZBucket),
		TaskQueueURL:          get(EnvTaskQueueURL),
		PlannerFunction:       get(EnvPlannerFunction),
		PlannerFunctionARN:    get(EnvPlannerFunctionARN),
		ScheduleGroup:         get(EnvScheduleGroup),
		SchedulerRoleARN:      get(EnvSchedulerRoleARN),
		SchedulerDLQARN:       get(EnvSchedulerDLQARN),
		SourceReaderRoleARN:   get(EnvSourceReaderRoleARN),
		PlatformBuckets:       list(get(EnvPlatformBuckets)),
		EnabledOptInRegions:   list(get(EnvEnabledOptInRegions)),
		S3PathStyle:           get(EnvS3PathStyle) == "true",
		PlannerBudget:         duration(get(EnvPlannerBudget)),
		MaxReceiveCount:       int(integer(get(EnvMaxReceiveCount))),
		PartSize:              integer(get(EnvPartSize)),
		CopyThreshold:         integer(get(EnvCopyThreshold)),
		RunRetentionDays:      int(integer(get(EnvRunRetentionDays))),
		OTLPEndpoint:          get(EnvOTLPEndpoint),
		EventBus:              get(EnvEventBus),
		RestoreWaits:          get(EnvRestoreWaits),
		ReportsBucket:         get(EnvReportsBucket),
		ReportURLExpiry:       duration(get(EnvReportURLExpiry)),
		InboundBusARN:         get(EnvInboundBusARN),
		RollingQuiet:          duration(get(EnvRollingQuiet)),
		RollingCap:            integer(get(EnvRollingCap)),
		MaxConnectionsPerUser: int(integer(get(EnvMaxConnectionsPerUser))),
		MaxDatasetsPerUser:    int(integer(get(EnvMaxDatasetsPerUser))),
		MaxSchedulesPerUser:   int(integer(get(EnvMaxSchedulesPerUser))),
	}, nil
}

// Only is c as a function with settings s sees it: what its environment
// would hold, read back. The local platform builds each function from it.
func (c Config) Only(s Settings) (Config, error) {
	env := c.Env()
	only, err := s.Read(func(name string) string { return env[name] })
	only.Region = c.Region
	return only, err
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
		EnvTable:                 c.Table,
		EnvKMSKey:                c.KMSKeyID,
		EnvSecretsKey:            c.SecretsKeyID,
		EnvLZBucket:              c.LZBucket,
		EnvDLZBucket:             c.DLZBucket,
		EnvTaskQueueURL:          c.TaskQueueURL,
		EnvPlannerFunction:       c.PlannerFunction,
		EnvPlannerFunctionARN:    c.PlannerFunctionARN,
		EnvScheduleGroup:         c.ScheduleGroup,
		EnvSchedulerRoleARN:      c.SchedulerRoleARN,
		EnvSchedulerDLQARN:       c.SchedulerDLQARN,
		EnvSourceReaderRoleARN:   c.SourceReaderRoleARN,
		EnvPlatformBuckets:       strings.Join(c.PlatformBuckets, ","),
		EnvEnabledOptInRegions:   strings.Join(c.EnabledOptInRegions, ","),
		EnvS3PathStyle:           fmt.Sprint(c.S3PathStyle),
		EnvPlannerBudget:         c.PlannerBudget.String(),
		EnvMaxReceiveCount:       strconv.Itoa(c.MaxReceiveCount),
		EnvPartSize:              strconv.FormatInt(c.PartSize, 10),
		EnvCopyThreshold:         strconv.FormatInt(c.CopyThreshold, 10),
		EnvRunRetentionDays:      strconv.Itoa(c.RunRetentionDays),
		EnvOTLPEndpoint:          c.OTLPEndpoint,
		EnvEventBus:              c.EventBus,
		EnvRestoreWaits:          c.RestoreWaits,
		EnvReportsBucket:         c.ReportsBucket,
		EnvReportURLExpiry:       c.ReportURLExpiry.String(),
		EnvInboundBusARN:         c.InboundBusARN,
		EnvRollingQuiet:          c.RollingQuiet.String(),
		EnvRollingCap:            strconv.FormatInt(c.RollingCap, 10),
		EnvMaxConnectionsPerUser: strconv.Itoa(c.MaxConnectionsPerUser),
		EnvMaxDatasetsPerUser:    strconv.Itoa(c.MaxDatasetsPerUser),
		EnvMaxSchedulesPerUser:   strconv.Itoa(c.MaxSchedulesPerUser),
	}
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
