package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/metadata"
)

// Context keys the app reads (`cdk synth -c key=value` or cdk.json "context").
const (
	// CtxWorkerMaxConcurrency caps the concurrent worker invocations the task
	// queue's event source starts: the platform's "dataload throttling".
	CtxWorkerMaxConcurrency = "workerMaxConcurrency"
	// CtxEnabledOptInRegions lists the opt-in regions (comma-separated) the
	// platform may reach source buckets in: ENABLED_OPT_IN_REGIONS.
	CtxEnabledOptInRegions = "enabledOptInRegions"
	// CtxAssetDir is the folder holding <function>/bootstrap (`make package`).
	CtxAssetDir = "assetDir"
	// CtxAlarmEmail, when set, subscribes an address to the alarm topic.
	CtxAlarmEmail = "alarmEmail"
	// CtxAPIRateLimit and CtxAPIBurstLimit throttle the HTTP API (requests
	// per second, steady and burst).
	CtxAPIRateLimit  = "apiRateLimit"
	CtxAPIBurstLimit = "apiBurstLimit"
	// CtxCognitoMFA is the user pool's MFA: "required" (the default: every
	// user enrols a TOTP app at first sign-in) or "optional" (for trials,
	// where users sign in with a password alone unless they enrol).
	CtxCognitoMFA = "cognitoMfa"
	// CtxPlannerReservedConcurrency and CtxAPIReservedConcurrency reserve
	// that many concurrent executions for the planner and the API function;
	// 0 (the default) reserves none (README, deploy guide: when to set them).
	CtxPlannerReservedConcurrency = "plannerReservedConcurrency"
	CtxAPIReservedConcurrency     = "apiReservedConcurrency"
	// CtxRunRetentionDays is how many days run records and their skipped
	// and failed file lists are kept (DynamoDB TTL): RUN_RETENTION_DAYS.
	CtxRunRetentionDays = "runRetentionDays"
	// CtxOTelCollectorLayer, when set, is the ARN of the ADOT collector
	// Lambda layer (its architecture, the stack's region): the functions
	// then export their OpenTelemetry spans to it (OTEL_EXPORTER_OTLP_ENDPOINT),
	// and it forwards them to X-Ray.
	CtxOTelCollectorLayer = "otelCollectorLayerArn"
)

// The values of CtxCognitoMFA.
const (
	MFARequired = "required"
	MFAOptional = "optional"
)

// Defaults of the context values.
const (
	DefaultWorkerMaxConcurrency = 90
	DefaultAssetDir             = "bin"
	DefaultAPIRateLimit         = 50
	DefaultAPIBurstLimit        = 100
	DefaultCognitoMFA           = MFARequired
	DefaultRunRetentionDays     = metadata.DefaultRunRetentionDays
	// MaxRunRetentionDays bounds CtxRunRetentionDays: ten years, which is
	// keeping them.
	MaxRunRetentionDays = 3650
)

// CollectorEndpoint is where the ADOT collector layer receives OTLP over
// HTTP inside the function's execution environment.
const CollectorEndpoint = "http://localhost:4318"

// Props configures the stack.
type Props struct {
	// AssetDir holds <function>/bootstrap for every function (make package).
	AssetDir string
	// WorkerMaxConcurrency is the task queue event source's MaximumConcurrency.
	WorkerMaxConcurrency int
	// EnabledOptInRegions become the functions' ENABLED_OPT_IN_REGIONS.
	EnabledOptInRegions []string
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// APIRateLimit and APIBurstLimit throttle the HTTP API's default stage.
	APIRateLimit, APIBurstLimit int
	// CognitoMFA is MFARequired or MFAOptional; empty means required, so a
	// Props built in code is never weaker than the default.
	CognitoMFA string
	// Functions are the Lambda functions to deploy; nil means Functions().
	Functions []FunctionSpec
	// PlannerReservedConcurrency and APIReservedConcurrency, when above 0,
	// reserve concurrent executions for those functions.
	PlannerReservedConcurrency, APIReservedConcurrency int
	// RunRetentionDays is how long run records are kept; 0 means
	// DefaultRunRetentionDays.
	RunRetentionDays int
	// OTelCollectorLayer, when set, is the ADOT collector layer's ARN.
	OTelCollectorLayer string
}

// PropsFromContext reads the stack's settings from the app's context,
// applying the defaults, and checks them.
func PropsFromContext(node constructs.Node) (Props, error) {
	p := Props{AssetDir: DefaultAssetDir, WorkerMaxConcurrency: DefaultWorkerMaxConcurrency,
		APIRateLimit: DefaultAPIRateLimit, APIBurstLimit: DefaultAPIBurstLimit, CognitoMFA: DefaultCognitoMFA,
		RunRetentionDays: DefaultRunRetentionDays}
	var err error
	for key, v := range map[string]*int{
		CtxPlannerReservedConcurrency: &p.PlannerReservedConcurrency, CtxAPIReservedConcurrency: &p.APIReservedConcurrency,
		CtxRunRetentionDays: &p.RunRetentionDays,
	} {
		if *v, err = intContext(node, key, *v); err != nil {
			return p, err
		}
	}
	if p.WorkerMaxConcurrency, err = intContext(node, CtxWorkerMaxConcurrency, p.WorkerMaxConcurrency); err != nil {
		return p, err
	}
	if p.APIRateLimit, err = intContext(node, CtxAPIRateLimit, p.APIRateLimit); err != nil {
		return p, err
	}
	if p.APIBurstLimit, err = intContext(node, CtxAPIBurstLimit, p.APIBurstLimit); err != nil {
		return p, err
	}
	if v := stringContext(node, CtxAssetDir); v != "" {
		p.AssetDir = v
	}
	if v := stringContext(node, CtxCognitoMFA); v != "" {
		p.CognitoMFA = strings.ToLower(v)
	}
	p.AlarmEmail = stringContext(node, CtxAlarmEmail)
	p.OTelCollectorLayer = stringContext(node, CtxOTelCollectorLayer)
	p.EnabledOptInRegions = listContext(node, CtxEnabledOptInRegions)
	return p, p.Validate()
}

// Validate checks the settings AWS would otherwise reject at deploy time.
func (p Props) Validate() error {
	if p.WorkerMaxConcurrency < 2 || p.WorkerMaxConcurrency > 1000 {
		return fmt.Errorf("context %s = %d: an SQS event source's maximum concurrency is 2 to 1000", CtxWorkerMaxConcurrency, p.WorkerMaxConcurrency)
	}
	if p.APIRateLimit < 1 || p.APIBurstLimit < 1 {
		return fmt.Errorf("context %s and %s must be positive", CtxAPIRateLimit, CtxAPIBurstLimit)
	}
	if p.CognitoMFA != "" && p.CognitoMFA != MFARequired && p.CognitoMFA != MFAOptional {
		return fmt.Errorf("context %s = %q: %q (the default) or %q", CtxCognitoMFA, p.CognitoMFA, MFARequired, MFAOptional)
	}
	for _, r := range p.EnabledOptInRegions {
		if !connection.IsOptInRegion(r) {
			return fmt.Errorf("context %s: %q is not an opt-in region (regions enabled by default need no setting)", CtxEnabledOptInRegions, r)
		}
	}
	for _, f := range p.functions() {
		if f.ConsumesTasks && 6*f.Timeout > TaskVisibilityTimeout {
			return fmt.Errorf("function %s: its timeout (%v) must fit 6 times in the task queue's visibility timeout (%v)", f.Name, f.Timeout, TaskVisibilityTimeout)
		}
	}
	if p.AlarmEmail != "" && !strings.Contains(p.AlarmEmail, "@") {
		return fmt.Errorf("context %s = %q is not an email address", CtxAlarmEmail, p.AlarmEmail)
	}
	return p.validateOperations()
}

// validateOperations checks the settings of concurrency, retention and
// tracing.
func (p Props) validateOperations() error {
	for key, n := range map[string]int{CtxPlannerReservedConcurrency: p.PlannerReservedConcurrency, CtxAPIReservedConcurrency: p.APIReservedConcurrency} {
		if n < 0 {
			return fmt.Errorf("context %s = %d: a number of concurrent executions, or 0 to reserve none", key, n)
		}
	}
	if p.RunRetentionDays < 0 || p.RunRetentionDays > MaxRunRetentionDays {
		return fmt.Errorf("context %s = %d: days from 1 to %d (0 in code means the default, %d)", CtxRunRetentionDays, p.RunRetentionDays, MaxRunRetentionDays, DefaultRunRetentionDays)
	}
	if l := p.OTelCollectorLayer; l != "" && (!strings.HasPrefix(l, "arn:") || !strings.Contains(l, ":layer:")) {
		return fmt.Errorf("context %s = %q is not a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)", CtxOTelCollectorLayer, l)
	}
	return nil
}

// runRetentionDays is RunRetentionDays or its default.
func (p Props) runRetentionDays() int {
	if p.RunRetentionDays == 0 {
		return DefaultRunRetentionDays
	}
	return p.RunRetentionDays
}

// CheckAssets says which function's bootstrap is missing from AssetDir,
// naming the command that builds it.
func (p Props) CheckAssets() error {
	for _, f := range p.functions() {
		path := filepath.Join(p.AssetDir, f.Name, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s is missing: run `make package` (it builds every function's bootstrap for arm64)", path)
		}
	}
	return nil
}

func (p Props) functions() []FunctionSpec {
	if p.Functions != nil {
		return p.Functions
	}
	return Functions()
}

// contextValue returns the context value of key; -c values are strings,
// cdk.json values keep their JSON type.
func contextValue(node constructs.Node, key string) any {
	v := node.TryGetContext(&key)
	if v == nil {
		return nil
	}
	return v
}

func stringContext(node constructs.Node, key string) string {
	switch v := contextValue(node, key).(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

func intContext(node constructs.Node, key string, def int) (int, error) {
	switch v := contextValue(node, key).(type) {
	case nil:
		return def, nil
	case float64:
		if v != float64(int(v)) {
			return 0, fmt.Errorf("context %s = %v is not a whole number", key, v)
		}
		return int(v), nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, fmt.Errorf("context %s = %q is not a whole number", key, v)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("context %s = %v is not a whole number", key, v)
	}
}

// listContext accepts "a,b", "a b" or a JSON array.
func listContext(node constructs.Node, key string) []string {
	var items []string
	switch v := contextValue(node, key).(type) {
	case nil:
		return nil
	case []any:
		for _, x := range v {
			items = append(items, fmt.Sprint(x))
		}
	case string:
		var arr []string
		if json.Unmarshal([]byte(v), &arr) == nil {
			items = arr
		} else {
			items = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		}
	default:
		items = []string{fmt.Sprint(v)}
	}
	var out []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
