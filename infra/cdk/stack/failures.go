package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// watchFailures alarms when a queue of asynchronous failures holds a
// message, and returns the dashboard graph of their depths. The planner
// consumes its failure queue within seconds, so a record seen there means
// planner invocations failed every try (their runs were ended) or the
// planner cannot handle the record; the two dead-letter queues hold what
// nothing will retry.
func (o *Observability) watchFailures(q *Queues) awscloudwatch.IWidget {
	n := o.names
	watched := []struct {
		id, name, description string
		queue                 awssqs.Queue
	}{
		{"PlannerFailuresNotEmpty", n.PlannerFailures, "Planner invocations failed every try: their runs were ended as failed by the planner, " +
			"which consumes " + n.PlannerFailures + "; if this stays in alarm the planner cannot handle a record: look at its logs " +
			"(\"planner failure record not handled\")", q.PlannerFailures},
		{"PlannerFailuresDLQNotEmpty", n.PlannerFailuresDLQ, "Records of failed planner invocations the planner could not handle " +
			"wait in " + n.PlannerFailuresDLQ + ": their runs may still look in progress until the lease sweep ends them; " +
			"look at the planner's logs, then redrive them to " + n.PlannerFailures, q.PlannerFailuresDLQ},
		{"SchedulerDLQNotEmpty", n.SchedulerDLQ, "EventBridge Scheduler could not invoke the planner for a firing within its retry policy: " +
			"the firing waits in " + n.SchedulerDLQ + " (ERROR_CODE and ERROR_MESSAGE attributes say why) and its run never started", q.SchedulerDLQ},
	}
	var depths []awscloudwatch.IMetric
	for _, w := range watched {
		o.alarm(w.id, w.name+"-not-empty", w.description, w.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1)),
		}), 1)
		depths = append(depths, w.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)), Label: jsii.String(w.name),
		}))
	}
	return graph("Planner failures and dead letters", depths)
}
