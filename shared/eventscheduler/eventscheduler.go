// Package eventscheduler keeps a DataIngestion schedule's EventBridge
// Scheduler schedule: named after the schedule's id, in the platform's
// group, invoking the planner with {"ScheduleId": …} through the scheduler
// role.
package eventscheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

var _ schedule.Scheduler = (*Client)(nil)

// Client manages schedules in one group. Safe for concurrent use.
type Client struct {
	client    *scheduler.Client
	group     string
	targetARN string // the planner function
	roleARN   string // the role EventBridge Scheduler assumes to invoke it
}

// New returns a Client for group, targeting targetARN through roleARN.
func New(client *scheduler.Client, group, targetARN, roleARN string) *Client {
	return &Client{client: client, group: group, targetARN: targetARN, roleARN: roleARN}
}

// Put creates or replaces the EventBridge schedule of s.
func (c *Client) Put(ctx context.Context, s schedule.Schedule) error {
	input, err := json.Marshal(ingest.PlannerEvent{ScheduleId: s.ScheduleId}) // what each firing passes to the planner
	if err != nil {
		return err
	}
	state := types.ScheduleStateEnabled
	if !s.IsEnabled {
		state = types.ScheduleStateDisabled
	}
	target := &types.Target{Arn: aws.String(c.targetARN), RoleArn: aws.String(c.roleARN), Input: aws.String(string(input))}
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
