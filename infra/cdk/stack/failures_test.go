package stack

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/shared/eventscheduler"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// queueID is the logical id of the queue named name.
func queueID(t *testing.T, name string) string {
	t.Helper()
	for id, q := range platformJSON.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == name {
			return id
		}
	}
	t.Fatalf("no queue %s", name)
	return ""
}

// functionID is the logical id of the function named name.
func functionID(t *testing.T, name string) string {
	t.Helper()
	for id, f := range platformJSON.of("AWS::Lambda::Function") {
		if f.Properties["FunctionName"] == name {
			return id
		}
	}
	t.Fatalf("no function %s", name)
	return ""
}

// eventSourceOf is the event source mapping that reads the queue named name.
func eventSourceOf(t *testing.T, name string) resource {
	t.Helper()
	arn := asJSON(getAtt(queueID(t, name), "Arn"))
	for _, m := range platformJSON.of("AWS::Lambda::EventSourceMapping") {
		if asJSON(m.Properties["EventSourceArn"]) == arn {
			return m
		}
	}
	t.Fatalf("no event source reads %s", name)
	return resource{}
}

// A planner invocation that fails every try leaves Lambda's record in the
// planner's failure queue (two retries, then the on-failure destination),
// which the planner consumes in batches with partial batch responses; the
// queue outlasts the planner's timeout while a record is handled, and
// hands a record it cannot handle to its DLQ after FailureMaxReceives.
func TestPlannerFailuresGoToTheirQueueAndBackToThePlanner(t *testing.T) {
	n := platform.NamesFor("", "")
	planner, failures, failuresDLQ := functionID(t, n.PlannerFunction), queueID(t, n.PlannerFailures), queueID(t, n.PlannerFailuresDLQ)
	must(t, "on-failure destination", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), like(
			"FunctionName", ref(planner), "Qualifier", "$LATEST", "MaximumRetryAttempts", PlannerRetries,
			"DestinationConfig", like("OnFailure", like("Destination", getAtt(failures, "Arn"))),
		))
	})
	m := eventSourceOf(t, n.PlannerFailures)
	if asJSON(m.Properties["FunctionName"]) != asJSON(ref(planner)) || m.Properties["BatchSize"] != float64(platform.FailureBatchSize) ||
		asJSON(m.Properties["FunctionResponseTypes"]) != `["ReportBatchItemFailures"]` {
		t.Errorf("the failure queue's event source: %v, want the planner, batches of %d, partial batch responses", m.Properties, platform.FailureBatchSize)
	}
	if FailureVisibilityTimeout < functions.PlannerTimeout {
		t.Errorf("failure queue visibility %v < planner timeout %v: Lambda refuses such an event source", FailureVisibilityTimeout, functions.PlannerTimeout)
	}
	must(t, "failure queue", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), like(
			"QueueName", n.PlannerFailures, "VisibilityTimeout", FailureVisibilityTimeout.Seconds(), "MessageRetentionPeriod", 14*24*3600,
			"RedrivePolicy", like("deadLetterTargetArn", getAtt(failuresDLQ, "Arn"), "maxReceiveCount", FailureMaxReceives),
		))
	})
	// The planner sends (as Lambda's destination) and consumes that queue only.
	g := grants(roleStatements(t, platformJSON, n.PlannerFunction))
	for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"} {
		if g[a] != asJSON(getAtt(failures, "Arn")) {
			t.Errorf("the planner may %s on %s, want only its failure queue", a, g[a])
		}
	}
	if send := g["sqs:SendMessage"]; !strings.Contains(send, asJSON(getAtt(failures, "Arn"))) || strings.Count(send, `"Fn::GetAtt"`) != 2 {
		t.Errorf("the planner sends to %s, want the task queue and its failure queue", send)
	}
}

// Every firing of the platform's schedules is retried by the schedules'
// RetryPolicy, then sent to the scheduler's DLQ, which the scheduler role
// alone may send to; the API gives its schedules that DLQ; the lease
// sweep is such a schedule, invoking the planner with SweepLeases.
func TestSchedulesRetryThenDeadLetter(t *testing.T) {
	n := platform.NamesFor("", "")
	dlq, planner := queueID(t, n.SchedulerDLQ), functionID(t, n.PlannerFunction)
	roleID, _ := roleNamed(t, n.SchedulerRole)
	must(t, "lease sweep", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), like(
			"Name", eventscheduler.SweepScheduleName, "ScheduleExpression", eventscheduler.SweepExpression,
			"Target", like("Arn", getAtt(planner, "Arn"), "RoleArn", getAtt(roleID, "Arn"), "Input", eventscheduler.SweepInput(),
				"RetryPolicy", like("MaximumRetryAttempts", eventscheduler.MaximumRetryAttempts,
					"MaximumEventAgeInSeconds", eventscheduler.MaximumEventAgeInSeconds),
				"DeadLetterConfig", like("Arn", getAtt(dlq, "Arn"))),
		))
	})
	api := platformJSON.Resources[functionID(t, n.APIFunction)]
	env := api.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	if asJSON(env[platform.EnvSchedulerDLQARN]) != asJSON(getAtt(dlq, "Arn")) {
		t.Errorf("the API's %s = %v, want the scheduler's DLQ", platform.EnvSchedulerDLQARN, env[platform.EnvSchedulerDLQARN])
	}
	g := grants(roleStatements(t, platformJSON, n.SchedulerRole))
	if g["sqs:SendMessage"] != asJSON(getAtt(dlq, "Arn")) {
		t.Errorf("the scheduler role sends to %s, want only its DLQ", g["sqs:SendMessage"])
	}
	for _, r := range []string{n.APIFunction, n.PlannerFunction, n.WorkerFunction} {
		if send := grants(roleStatements(t, platformJSON, r))["sqs:SendMessage"]; strings.Contains(send, dlq) {
			t.Errorf("%s may send to the scheduler's DLQ", r)
		}
	}
}

// The dashboard graphs the failure queues the alarms watch (TestAlarms).
func TestDashboardShowsFailureQueues(t *testing.T) {
	n := platform.NamesFor("", "")
	_, d := platformJSON.one(t, "AWS::CloudWatch::Dashboard")
	body := asJSON(d.Properties["DashboardBody"])
	for _, s := range []string{"Planner failures and dead letters", n.PlannerFailures, n.PlannerFailuresDLQ, n.SchedulerDLQ} {
		if !strings.Contains(body, s) {
			t.Errorf("the dashboard does not show %s", s)
		}
	}
}
