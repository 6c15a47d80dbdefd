// Package eventscheduler keeps a DataIngestion schedule's EventBridge
// Scheduler schedule: named after the schedule's id, in the platform's
// group, invoking the planner with {"ScheduleId": …, "Firing": <execution
// id>} through the scheduler role, retried by RetryPolicy and then sent to
// the scheduler's dead-letter queue. It also names the platform's own
// schedule that sweeps expired leases.
package eventscheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

var _ schedule.Scheduler = (*Client)(nil)

// The retries of a firing whose planner invocation Scheduler cannot make
// (throttled, the function being updated): for up to an hour, after which
// a firing is no longer worth starting late; then the event goes to the
// dead-letter queue, where an alarm waits.
const (
	MaximumRetryAttempts     = 10
	MaximumEventAgeInSeconds = 3600
)

// RetryPolicy is every schedule's target retry policy.
func RetryPolicy() *types.RetryPolicy {
	return &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(MaximumRetryAttempts), MaximumEventAgeInSeconds: aws.Int32(MaximumEventAgeInSeconds)}
}

// The platform's sweep: a schedule of the stack (and of the local
// platform) in the platform's group that has the planner end the runs
// whose lease expired, publish the run ends left in the outbox and start
// the follow-up runs of due restores (ingest.ActionSweepLeases), every
// SweepExpression: a minute, Scheduler's finest rate, so that an
// Expedited restore (1–5 minutes) is followed up within a minute of its
// expected end. A sweep with nothing to do is two queries.
const (
	SweepScheduleName = platform.Prefix + "-lease-sweep"
	SweepExpression   = "rate(1 minute)"
)

// SweepInput is the sweep schedule's input to the planner.
func SweepInput() string { return `{"Action":"` + ingest.ActionSweepLeases + `"}` }

// firingInput is what each firing of scheduleID passes to the planner:
// the schedule, and Scheduler's execution id of the firing (a context
// attribute Scheduler substitutes; its angle brackets must not be
// escaped). Lambda's retries of the invocation carry the same payload.
func firingInput(scheduleID string) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ingest.PlannerEvent{ScheduleId: scheduleID, Firing: "<aws.scheduler.execution-id>"}); err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b.Bytes())), nil
}

// Client manages schedules in one group. Safe for concurrent use.
type Client struct {
	client    *scheduler.Client
	group     string
	targetARN string // the planner function
	roleARN   string // the role EventBridge Scheduler assumes to invoke it
	dlqARN    string // the queue of firings that failed every retry; "" for none
}

// New returns a Client for group, targeting targetARN through roleARN,
// with dlqARN as every schedule's dead-letter queue.
func New(client *scheduler.Client, group, targetARN, roleARN, dlqARN string) *Client {
	return &Client{client: client, group: group, targetARN: targetARN, roleARN: roleARN, dlqARN: dlqARN}
}

// Put creates or replaces the EventBridge schedule of s.
func (c *Client) Put(ctx context.Context, s schedule.Schedule) error {
	input, err := firingInput(s.ScheduleId)
	if err != nil {
		return err
	}
	state := types.ScheduleStateEnabled
	if !s.IsEnabled {
		state = types.ScheduleStateDisabled
	}
	target := &types.Target{Arn: aws.String(c.targetARN), RoleArn: aws.String(c.roleARN), Input: aws.String(input), RetryPolicy: RetryPolicy()}
	if c.dlqARN != "" {
		target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(c.dlqARN)}
	}
	window := &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
	desc := aws.String(fmt.Sprintf("%s: runs of dataset %s", s.ScheduleName, s.DatasetId))
	var tz *string
	if s.ScheduleExpressionTimezone != "" {
		tz = aws.String(s.ScheduleExpressionTimezone)
	}
	_, err = c.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String(s.ScheduleId), GroupName: aws.String(c.group), ScheduleExpression: aws.String(s.ScheduleExpression),
		ScheduleExpressionTimezone: tz, State: state, Target: target, FlexibleTimeWindow: window, Description: desc,
	})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		if err != nil {
			return fmt.Errorf("update EventBridge schedule %s: %w", s.ScheduleId, err)
		}
		return nil
	}
	_, err = c.client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(s.ScheduleId), GroupName: aws.String(c.group), ScheduleExpression: aws.String(s.ScheduleExpression),
		ScheduleExpressionTimezone: tz, State: state, Target: target, FlexibleTimeWindow: window, Description: desc,
		ActionAfterCompletion: types.ActionAfterCompletionNone,
	})
	if err != nil {
		return fmt.Errorf("create EventBridge schedule %s: %w", s.ScheduleId, err)
	}
	return nil
}

// Delete removes the EventBridge schedule of scheduleID, if there is one.
func (c *Client) Delete(ctx context.Context, scheduleID string) error {
	_, err := c.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(scheduleID), GroupName: aws.String(c.group)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete EventBridge schedule %s: %w", scheduleID, err)
	}
	return nil
}
