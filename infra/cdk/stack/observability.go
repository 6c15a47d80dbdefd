package stack

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/metrics"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// LogRetention is how long every log group keeps its events.
const LogRetention = awslogs.RetentionDays_THREE_MONTHS

// TaskAgeAlarm is the age of the oldest task message that raises an alarm:
// older than any task that is merely being retried (TaskMaxReceives
// receives, each hiding it for TaskVisibilityTimeout, and the batching
// window before each) plus an hour, so the task waits because nothing
// consumes the queue. The stack test checks it leaves at least a day before
// the queue's retention drops the task.
const TaskAgeAlarm = TaskMaxReceives*(TaskVisibilityTimeout+TaskBatchingWindow) + time.Hour

// APIServerErrorRate is the share of the API's responses, in percent over
// five minutes, that are 5xx (the function's internal errors, its
// timeouts, the gateway's own failures) at which an alarm fires.
const APIServerErrorRate = 5

// Observability is what people look at: the KMS-encrypted log groups of
// the functions and of the API, the alarms (with the topic they notify),
// and the dashboard of the metrics the functions write in Embedded Metric
// Format (namespace and names from shared/metrics).
type Observability struct {
	Scope     constructs.Construct
	Topic     awssns.Topic
	Alarms    []awscloudwatch.Alarm
	Dashboard awscloudwatch.Dashboard
	key       awskms.IKey
	names     platform.Names
	api       awsapigatewayv2.HttpApi // set by WatchAPI
}

// NewObservability creates the alarm topic (email subscription when email
// is set); log groups, alarms and the dashboard follow from LogGroup and
// Watch.
func NewObservability(scope constructs.Construct, id string, names platform.Names, key awskms.IKey, email string) *Observability {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := awscdk.Stack_Of(scope)
	topic := awssns.NewTopic(c, jsii.String("Alarms"), &awssns.TopicProps{
		TopicName:   jsii.String(platform.Prefix + "-alarms"),
		DisplayName: jsii.String("S3 Connections alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsOfThisAccountPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    strs("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": st.Account()}},
	}))
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	tag(c, "observability")
	return &Observability{Scope: c, Topic: topic, key: key, names: names}
}

// LogGroup creates a log group named name, encrypted with the platform key.
func (o *Observability) LogGroup(id, name string) awslogs.LogGroup {
	return awslogs.NewLogGroup(o.Scope, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		EncryptionKey: o.key,
		Retention:     LogRetention,
		// Deleted with the stack, so a redeploy can create it again.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

// Watch adds the alarms and the dashboard.
func (o *Observability) Watch(fns *FunctionSet, q *Queues) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	dlqDepth := q.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1)),
	})
	o.alarm("DLQNotEmpty", o.names.TaskDLQ+"-not-empty",
		"Copy tasks failed "+fmt.Sprint(TaskMaxReceives)+" times and wait in "+o.names.TaskDLQ+": look at the worker's logs, then redrive them",
		dlqDepth, 1)
	failures := o.watchFailures(q)
	oldest := q.Tasks.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five})
	o.alarm("TaskAge", o.names.TaskQueue+"-oldest-task",
		fmt.Sprintf("A copy task has waited over %v in %s, longer than any retry takes: are the workers throttled, failing or stopped (their event source disabled)? Tasks expire after the queue's retention", TaskAgeAlarm, o.names.TaskQueue),
		oldest, TaskAgeAlarm.Seconds())
	graphs := o.watchFunctions(fns, five)
	queueDepth := []awscloudwatch.IMetric{
		q.Tasks.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String("waiting")}),
		q.Tasks.MetricApproximateNumberOfMessagesNotVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five, Label: jsii.String("in flight")}),
	}
	ops := []awscloudwatch.IWidget{graph("Oldest task (s)", []awscloudwatch.IMetric{oldest}), graph("Function throttles", graphs.throttles)}
	if o.api != nil {
		ops = append(ops, graph("API requests and 5xx", o.apiMetrics(five)))
	}
	ops = append(ops, graph("Source events accepted and dropped", emf(metrics.EventsAccepted, metrics.EventsDropped)))
	o.addDashboard([]*[]awscloudwatch.IWidget{
		{
			graph("Files skipped and failed", emf(metrics.FilesSkippedUnchanged, metrics.FilesSkippedStorageClass, metrics.FilesSkippedUnsafeKey, metrics.FilesFailed)),
			graph("Task queue depth", queueDepth),
			graph("Dead-letter queue depth", []awscloudwatch.IMetric{dlqDepth}),
		},
		{failures},
		{
			graph("Function invocations", graphs.invocations),
			graph("Function errors", graphs.errors),
			graph("Function duration p99 (ms)", graphs.durations),
		},
		&ops,
	})
}

// functionGraphs are the functions' metrics the dashboard draws, one line
// each.
type functionGraphs struct{ invocations, errors, durations, throttles []awscloudwatch.IMetric }

// watchFunctions adds each function's alarms (errors, throttles, over its
// time budget where it has one) and returns its dashboard metrics.
func (o *Observability) watchFunctions(fns *FunctionSet, period awscdk.Duration) functionGraphs {
	var g functionGraphs
	for _, f := range fns.All {
		name := f.Spec.FunctionName(o.names)
		// Alarm metrics carry no label: CloudWatch alarms take plain metrics.
		o.alarm(f.Spec.Name+"Errors", name+"-errors", "The "+name+" function failed: look at its log group /aws/lambda/"+name,
			f.Fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}), 1)
		o.alarm(f.Spec.Name+"Throttles", name+"-throttles",
			"Lambda refused invocations of "+name+" (the account's or its reserved concurrency is used up): see the README's deploy guide on reserved concurrency",
			f.Fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}), 1)
		if f.Spec.OverTime > 0 {
			d := f.Fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period})
			o.alarm(f.Spec.Name+"OverTime", name+"-over-time-budget",
				fmt.Sprintf("An invocation of %s lasted over %v of its %v timeout: it did not hand its work on in time, and the next may time out", name, f.Spec.OverTime, f.Spec.Timeout),
				d, float64(f.Spec.OverTime.Milliseconds()))
		}
		sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period, Label: jsii.String(name)}
		g.throttles = append(g.throttles, f.Fn.MetricThrottles(sum))
		g.invocations = append(g.invocations, f.Fn.MetricInvocations(sum))
		g.errors = append(g.errors, f.Fn.MetricErrors(sum))
		g.durations = append(g.durations, f.Fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: period, Label: jsii.String(name)}))
	}
	return g
}

// addDashboard makes the dashboard: a title, the runs' metrics, rows, and
// the state of every alarm.
func (o *Observability) addDashboard(rows []*[]awscloudwatch.IWidget) {
	alarms := make([]interfacesawscloudwatch.IAlarmRef, len(o.Alarms))
	for i, a := range o.Alarms {
		alarms[i] = a
	}
	widgets := []*[]awscloudwatch.IWidget{
		{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Width: jsii.Number(24), Height: jsii.Number(2), Markdown: jsii.String(
			"# S3 Connections\nIngestion runs and files (from the functions' Embedded Metric Format logs, namespace `" + metrics.Namespace +
				"`), the task queue, the functions and the alarms.")})},
		{
			graph("Runs", emf(metrics.RunsStarted, metrics.RunsSucceeded, metrics.RunsFailed)),
			graph("Objects listed and copied", emf(metrics.ObjectsListed, metrics.ObjectsCopied)),
			graph("Bytes copied", emf(metrics.BytesCopied)),
		},
	}
	widgets = append(widgets, rows...)
	widgets = append(widgets, &[]awscloudwatch.IWidget{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24),
	})})
	o.Dashboard = awscloudwatch.NewDashboard(o.Scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(o.names.Dashboard),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
		Widgets:         &widgets,
	})
	o.untagDashboard()
}

// WatchAPI adds the alarm on the API's 5xx rate; Watch shows it on the
// dashboard. Call it before Watch.
func (o *Observability) WatchAPI(api *API) {
	if api == nil {
		return
	}
	o.api = api.HTTP
	five := awscdk.Duration_Minutes(jsii.Number(5))
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("100 * FILL(errors, 0) / requests"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"errors": o.api.MetricServerError(nil), "requests": o.api.MetricCount(nil)},
		Period:       five,
		Label:        jsii.String("5xx (%)"),
	})
	o.alarm("ApiServerErrors", o.names.APIName+"-5xx-rate",
		fmt.Sprintf("Over %d%% of the API's responses in 5 minutes were 5xx: look at the API function's log group and the API's access logs", APIServerErrorRate),
		rate, APIServerErrorRate)
}

// apiMetrics are the API's requests and 5xx responses, summed over period.
func (o *Observability) apiMetrics(period awscdk.Duration) []awscloudwatch.IMetric {
	sum := func(label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period, Label: jsii.String(label)}
	}
	return []awscloudwatch.IMetric{o.api.MetricCount(sum("requests")), o.api.MetricServerError(sum("5xx"))}
}

// untagDashboard leaves the dashboard without tags: CloudFormation takes
// Tags on AWS::CloudWatch::Dashboard in some regions only (cfn-lint E3002
// in us-east-1), and the template must deploy in every commercial region.
func (o *Observability) untagDashboard() {
	for _, k := range []string{TagProject, TagComponent} {
		awscdk.Tags_Of(o.Dashboard).Remove(jsii.String(k), nil)
	}
}

// alarm fires when metric reaches threshold, and notifies the topic.
func (o *Observability) alarm(id, name, description string, metric awscloudwatch.IMetric, threshold float64) {
	a := awscloudwatch.NewAlarm(o.Scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(o.Topic)
	a.AddAlarmAction(action)
	a.AddOkAction(action)
	o.Alarms = append(o.Alarms, a)
}

// emf returns the platform's own metrics, summed over 5 minutes.
func emf(ms ...metrics.Metric) []awscloudwatch.IMetric {
	out := make([]awscloudwatch.IMetric, len(ms))
	for i, m := range ms {
		out[i] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metrics.Namespace), MetricName: jsii.String(m.Name),
			Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)), Label: jsii.String(m.Name),
		})
	}
	return out
}

func graph(title string, left []awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6),
	})
}
