// Package plannercall is how the API reaches the planner function: through
// lambda:Invoke, on AWS and (against the local Lambda endpoint) locally.
package plannercall

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/run"
)

var (
	_ connection.Tester  = (*Client)(nil)
	_ run.PlannerStarter = (*Client)(nil)
)

// Client invokes the planner function. Safe for concurrent use.
type Client struct {
	lambda   *lambda.Client
	function string
}

// New returns a client of the planner function named function.
func New(client *lambda.Client, function string) *Client {
	return &Client{lambda: client, function: function}
}

// TestConnection asks the planner, synchronously, to list the connection's bucket.
func (c *Client) TestConnection(ctx context.Context, connectionID string) (connection.TestResult, error) {
	var res connection.TestResult
	err := c.call(ctx, ingest.PlannerEvent{Action: ingest.ActionTestConnection, ConnectionId: connectionID}, &res)
	return res, err
}

// StartRun starts the planner on a run without waiting for it
// (InvocationType Event: Lambda queues the event and retries it on failure).
func (c *Client) StartRun(ctx context.Context, scheduleID, runID string) error {
	payload, err := json.Marshal(ingest.PlannerEvent{ScheduleId: scheduleID, RunId: runID})
	if err != nil {
		return fmt.Errorf("encode planner event: %w", err)
	}
	_, err = c.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(c.function),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke planner %s for run %s: %w", c.function, runID, err)
	}
	return nil
}

// ContinueRun hands the rest of a run's planning to a new invocation.
func (c *Client) ContinueRun(ctx context.Context, runID string) error {
	return c.StartRun(ctx, "", runID)
}

func (c *Client) call(ctx context.Context, ev ingest.PlannerEvent, out any) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode planner event: %w", err)
	}
	resp, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(c.function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke planner %s for %s: %w", c.function, ev.Action, err)
	}
	if resp.FunctionError != nil {
		return fmt.Errorf("planner %s failed %s: %s: %s", c.function, ev.Action, aws.ToString(resp.FunctionError), resp.Payload)
	}
	if err := json.Unmarshal(resp.Payload, out); err != nil {
		return fmt.Errorf("decode planner answer to %s: %w", ev.Action, err)
	}
	return nil
}
