package stack

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// queueNamed returns the queue resource named name.
func queueNamed(t *testing.T, tpl template, name string) resource {
	t.Helper()
	for _, q := range tpl.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == name {
			return q
		}
	}
	t.Fatalf("no queue %s", name)
	return resource{}
}

func seconds(t *testing.T, v any) time.Duration {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%v is not a number of seconds", v)
	}
	return time.Duration(n) * time.Second
}

// Tasks cannot silently expire. A task that workers keep failing is
// received TaskMaxReceives times, each hiding it for the visibility
// timeout after a batching window, then moves to the DLQ: the task
// queue's retention outlives that whole path. A task that nothing receives
// waits; the age alarm fires once it is older than any retry path, at
// least a day before the retention would drop it. And as SQS keeps a
// standard queue's message's first enqueue time when it moves it to a
// DLQ, the DLQ's retention outlives the task queue's, leaving days to
// redrive.
func TestTasksCannotSilentlyExpire(t *testing.T) {
	n := platform.NamesFor("", "")
	tasks, dlq := queueNamed(t, platformJSON, n.TaskQueue), queueNamed(t, platformJSON, n.TaskDLQ)
	retention := seconds(t, tasks.Properties["MessageRetentionPeriod"])
	visibility := seconds(t, tasks.Properties["VisibilityTimeout"])
	redrive, _ := tasks.Properties["RedrivePolicy"].(map[string]any)
	receives, _ := redrive["maxReceiveCount"].(float64)
	var mapping resource // the workers' (the planner's failure queue has one too)
	for _, m := range platformJSON.of("AWS::Lambda::EventSourceMapping") {
		if asJSON(m.Properties["EventSourceArn"]) == asJSON(getAtt(logicalIDOfQueue(t, n.TaskQueue), "Arn")) {
			mapping = m
		}
	}
	window := seconds(t, mapping.Properties["MaximumBatchingWindowInSeconds"])
	retries := time.Duration(receives) * (visibility + window)
	if receives < 1 || retries >= retention {
		t.Errorf("retention %v does not outlive %v receives of %v + %v", retention, receives, visibility, window)
	}
	if TaskAgeAlarm <= retries || TaskAgeAlarm+24*time.Hour > retention {
		t.Errorf("the oldest-task alarm at %v must be past the retry path (%v) and a day before the retention (%v)", TaskAgeAlarm, retries, retention)
	}
	if dlqRetention := seconds(t, dlq.Properties["MessageRetentionPeriod"]); dlqRetention < retention+7*24*time.Hour {
		t.Errorf("the DLQ keeps tasks %v from their first enqueue, the task queue %v: under a week to redrive", dlqRetention, retention)
	}
	var age *resource
	for _, a := range platformJSON.of("AWS::CloudWatch::Alarm") {
		if a.Properties["MetricName"] == "ApproximateAgeOfOldestMessage" {
			age = &a
		}
	}
	if age == nil || asJSON(age.Properties["Dimensions"]) != asJSON([]any{map[string]any{"Name": "QueueName", "Value": getAtt(logicalIDOfQueue(t, n.TaskQueue), "QueueName")}}) {
		t.Errorf("no oldest-task alarm on the task queue: %+v", age)
	}
}

func logicalIDOfQueue(t *testing.T, name string) string {
	for id, q := range platformJSON.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == name {
			return id
		}
	}
	t.Fatalf("no queue %s", name)
	return ""
}

// The API's 5xx alarm is a rate: 5xx over all requests of the HTTP API.
func TestAPIServerErrorAlarmIsARate(t *testing.T) {
	apiID, _ := platformJSON.one(t, "AWS::ApiGatewayV2::Api")
	for _, a := range platformJSON.of("AWS::CloudWatch::Alarm") {
		if a.Properties["AlarmName"] != platform.NamesFor("", "").APIName+"-5xx-rate" {
			continue
		}
		m := asJSON(a.Properties["Metrics"])
		for _, s := range []string{`"MetricName":"5xx"`, `"MetricName":"Count"`, `100 * FILL(errors, 0) / requests`, asJSON(ref(apiID))} {
			if !strings.Contains(m, s) {
				t.Errorf("the 5xx alarm's metrics %s lack %s", m, s)
			}
		}
		return
	}
	t.Error("no 5xx alarm")
}

// The dashboard shows what the alarms watch, and carries no tags (which
// AWS::CloudWatch::Dashboard does not take in every region).
func TestDashboardShowsTheOperationsAlarms(t *testing.T) {
	_, d := platformJSON.one(t, "AWS::CloudWatch::Dashboard")
	body := asJSON(d.Properties["DashboardBody"])
	for _, s := range []string{"ApproximateAgeOfOldestMessage", "Throttles", `\"5xx\"`, "Function throttles", "API requests and 5xx"} {
		if !strings.Contains(body, s) {
			t.Errorf("the dashboard does not show %s", s)
		}
	}
	if d.Properties["Tags"] != nil {
		t.Errorf("the dashboard has tags %v", d.Properties["Tags"])
	}
}

// Every function is traced (X-Ray active tracing), reserves no concurrency
// by default and keeps run records the default retention; without a
// collector layer, tracing in the code is off (no OTLP endpoint).
func TestFunctionsAreTracedWithDefaults(t *testing.T) {
	for _, f := range platformJSON.of("AWS::Lambda::Function") {
		p, name := f.Properties, f.Properties["FunctionName"]
		if asJSON(p["TracingConfig"]) != `{"Mode":"Active"}` {
			t.Errorf("%v tracing %v", name, p["TracingConfig"])
		}
		if p["ReservedConcurrentExecutions"] != nil || p["Layers"] != nil {
			t.Errorf("%v reserves %v, layers %v: neither by default", name, p["ReservedConcurrentExecutions"], p["Layers"])
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if env[platform.EnvRunRetentionDays] != fmt.Sprint(DefaultRunRetentionDays) || env[platform.EnvOTLPEndpoint] != nil {
			t.Errorf("%v: %s=%v, %s=%v", name, platform.EnvRunRetentionDays, env[platform.EnvRunRetentionDays],
				platform.EnvOTLPEndpoint, env[platform.EnvOTLPEndpoint])
		}
	}
}

// The metadata table deletes expired run records: TTL on the attribute
// shared/metadata writes.
func TestTableExpiresRunRecords(t *testing.T) {
	_, table := platformJSON.one(t, "AWS::DynamoDB::Table")
	if got := asJSON(table.Properties["TimeToLiveSpecification"]); got != asJSON(map[string]any{"AttributeName": metadata.AttrExpiresAt, "Enabled": true}) {
		t.Errorf("time to live %s", got)
	}
}

// Reserved concurrency, retention and the collector layer come from the
// context: the planner and the API reserve what is set (the worker is
// capped by its event source instead), every function gets the retention,
// and with a layer, its OTLP endpoint.
func TestOperationsSettingsFromContext(t *testing.T) {
	const layer = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"
	context := maps.Clone(synthContext)
	context[CtxPlannerReservedConcurrency] = "7"
	context[CtxAPIReservedConcurrency] = 11
	context[CtxRunRetentionDays] = "30"
	context[CtxOTelCollectorLayer] = layer
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), StackTraces: jsii.Bool(false), Context: &context})
	props, err := PropsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(app, "s3connections", props)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := decode(assertions.Template_FromStack(st.Stack, nil))
	if err != nil {
		t.Fatal(err)
	}
	n := platform.NamesFor("", "")
	want := map[string]any{n.PlannerFunction: 7.0, n.APIFunction: 11.0, n.WorkerFunction: nil}
	for _, f := range tpl.of("AWS::Lambda::Function") {
		p := f.Properties
		name := fmt.Sprint(p["FunctionName"])
		if p["ReservedConcurrentExecutions"] != want[name] {
			t.Errorf("%s reserves %v, want %v", name, p["ReservedConcurrentExecutions"], want[name])
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if env[platform.EnvRunRetentionDays] != "30" || env[platform.EnvOTLPEndpoint] != CollectorEndpoint || asJSON(p["Layers"]) != asJSON([]any{layer}) {
			t.Errorf("%s: retention %v, OTLP endpoint %v, layers %v", name, env[platform.EnvRunRetentionDays], env[platform.EnvOTLPEndpoint], p["Layers"])
		}
	}
}

func TestOperationsContextIsChecked(t *testing.T) {
	for _, tc := range []struct {
		context map[string]any
		wantErr string
	}{
		{map[string]any{CtxPlannerReservedConcurrency: -1}, CtxPlannerReservedConcurrency},
		{map[string]any{CtxAPIReservedConcurrency: "some"}, "not a whole number"},
		{map[string]any{CtxRunRetentionDays: MaxRunRetentionDays + 1}, CtxRunRetentionDays},
		{map[string]any{CtxOTelCollectorLayer: "aws-otel-collector"}, "not a Lambda layer version ARN"},
	} {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &tc.context})
		if _, err := PropsFromContext(app.Node()); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("context %v: error %v, want one saying %q", tc.context, err, tc.wantErr)
		}
	}
	app := awscdk.NewApp(nil)
	p, err := PropsFromContext(app.Node())
	if err != nil || p.PlannerReservedConcurrency != 0 || p.APIReservedConcurrency != 0 || p.RunRetentionDays != DefaultRunRetentionDays || p.OTelCollectorLayer != "" {
		t.Errorf("defaults %+v (%v): no reservations, no layer, %d days", p, err, DefaultRunRetentionDays)
	}
}

// cdk.json spells out the operations settings at their defaults: nothing
// reserved (a reservation fails the deploy on a new account's quota), the
// default retention, no collector layer.
func TestCDKJSONOperationsDefaults(t *testing.T) {
	f, err := readCDKJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{CtxPlannerReservedConcurrency: 0.0, CtxAPIReservedConcurrency: 0.0,
		CtxRunRetentionDays: float64(DefaultRunRetentionDays), CtxOTelCollectorLayer: ""}
	for k, v := range want {
		if got, ok := f.Context[k]; !ok || got != v {
			t.Errorf("cdk.json %s = %v, want %v", k, got, v)
		}
	}
}
