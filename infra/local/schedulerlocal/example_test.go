package schedulerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
)

// The platform's wiring: the real Scheduler client talks to the local
// server, and Fire hands the target to the local Lambda runtime (here, a
// channel). A rate() schedule fires as soon as it is created.
func Example() {
	fired := make(chan schedulerlocal.Target, 1)
	srv := schedulerlocal.New(schedulerlocal.Options{
		Fire: func(_ context.Context, t schedulerlocal.Target) error {
			fired <- t // the platform: lambdaRuntime.InvokeAsync(t.Arn, []byte(t.Input))
			return nil
		},
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	client := scheduler.New(scheduler.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	ctx := context.Background()
	if _, err := client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("s3conn")}); err != nil {
		fmt.Println(err)
		return
	}
	_, err := client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:               aws.String("ingest-sch-1"),
		GroupName:          aws.String("s3conn"),
		ScheduleExpression: aws.String("rate(1 minute)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{
			Arn:     aws.String("arn:aws:lambda:us-east-1:000000000000:function:s3conn-planner"),
			RoleArn: aws.String("arn:aws:iam::000000000000:role/s3conn-scheduler"),
			Input:   aws.String(`{"ScheduleId":"sch-1"}`),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := <-fired
	fmt.Println(t.GroupName, t.ScheduleName, t.Input)

	_, err = client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:               aws.String("bad"),
		ScheduleExpression: aws.String("cron(0 12 * * *)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")},
	})
	var ve *types.ValidationException
	if errors.As(err, &ve) {
		fmt.Println(aws.ToString(ve.Message))
	}
	// Output:
	// s3conn ingest-sch-1 {"ScheduleId":"sch-1"}
	// Invalid Schedule Expression cron(0 12 * * *): cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 5
}
