package app

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/report"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// full is a platform configuration with every setting set.
func full() platform.Config {
	return platform.Config{
		Region: "eu-west-1", Table: "t", KMSKeyID: "arn:aws:kms:eu-west-1:123456789012:key/k",
		SecretsKeyID: "arn:aws:kms:eu-west-1:123456789012:key/s", LZBucket: "lz", DLZBucket: "dlz",
		TaskQueueURL: "https://sqs/q", PlannerFunction: "planner", PlannerFunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:planner",
		ScheduleGroup: "g", SchedulerRoleARN: "arn:aws:iam::123456789012:role/s", SourceReaderRoleARN: "arn:aws:iam::123456789012:role/r",
		SchedulerDLQARN:     "arn:aws:sqs:eu-west-1:123456789012:dlq",
		PlatformBuckets:     []string{"lz", "dlz"},
		EnabledOptInRegions: []string{"eu-south-1"}, S3PathStyle: true, PlannerBudget: 3 * time.Minute, MaxReceiveCount: 7,
		PartSize: 8 << 20, CopyThreshold: 16 << 20, EventBus: "s3connections-runs", ReportsBucket: "reports", ReportURLExpiry: 2 * time.Minute,
	}
}

// Each function, built from its own settings alone (as the stack and the
// local platform configure it), has every setting it uses: a builder that
// read one its settings do not declare would find it unset here.
func TestFunctionsStartFromTheirSettings(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	awsCfg := aws.Config{Region: "eu-west-1"}
	only := func(s platform.Settings) platform.Config {
		cfg, err := full().Only(s)
		if err != nil {
			t.Fatalf("settings %v: %v", s, err)
		}
		return cfg
	}

	w := NewWorker(only(WorkerSettings), awsCfg, log)
	if w.LZBucket != "lz" || w.DLZBucket != "dlz" || w.MaxReceiveCount != 7 || w.Copier.KMSKeyID == "" ||
		w.Copier.PartSize != 8<<20 || w.Copier.CopyThreshold != 16<<20 || w.Queue == nil {
		t.Errorf("worker built from its settings: %+v, copier %+v", w, w.Copier)
	}
	p := NewPlanner(only(PlannerSettings), awsCfg, log)
	if p.Budget != 3*time.Minute || p.Tasks == nil || p.Continue == nil || p.Events == nil || w.Events == nil {
		t.Errorf("planner built from its settings: %+v", p)
	}
	for name, r := range map[string]ingest.ReportParts{"planner": p.Reports, "worker": w.Reports} {
		if parts, ok := r.(*report.Parts); !ok || parts.Bucket != "reports" {
			t.Errorf("%s writes report parts to %+v, want the reports bucket", name, r)
		}
	}
	if pub, ok := w.Events.(*runevents.Publisher); !ok || pub.Reports.(*report.Assembler).Bucket != "reports" {
		t.Errorf("the worker's run events assemble reports in %+v, want the reports bucket", w.Events)
	}
	if got := reportURLExpiry(only(APISettings)); got != 2*time.Minute {
		t.Errorf("the API's report links last %s, want the setting's 2m", got)
	}
	if NewAPI(only(APISettings), awsCfg, log) == nil {
		t.Error("no API")
	}
	// Each function requires what it cannot work without.
	for name, s := range map[string]platform.Settings{"api": APISettings, "planner": PlannerSettings, "worker": WorkerSettings} {
		if _, err := (platform.Config{}).Only(s); err == nil {
			t.Errorf("%s starts without any setting", name)
		}
	}
}

// The functions that seal or open connection secrets require the secrets
// key, and only the worker (which encrypts the zones' objects) the
// platform key.
func TestSecretsKeyIsRequiredWhereSecretsAreUsed(t *testing.T) {
	for name, s := range map[string]platform.Settings{"api": APISettings, "planner": PlannerSettings, "worker": WorkerSettings} {
		if !slices.Contains(s.Required, platform.EnvSecretsKey) {
			t.Errorf("%s does not require %s", name, platform.EnvSecretsKey)
		}
		if got, want := slices.Contains(s.Names(), platform.EnvKMSKey), name == "worker"; got != want {
			t.Errorf("%s reads %s: %v, want %v", name, platform.EnvKMSKey, got, want)
		}
	}
}
