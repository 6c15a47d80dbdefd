package eventscheduler

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

const (
	planner = "arn:aws:lambda:us-east-1:000000000000:function:s3connections-planner"
	role    = "arn:aws:iam::000000000000:role/s3connections-scheduler"
	dlq     = "arn:aws:sqs:us-east-1:000000000000:s3connections-scheduler-dlq"
)

// The adapter is tested with the real Scheduler client against the local
// Scheduler, which checks requests as the AWS API model does.
func TestPutUpdateDelete(t *testing.T) {
	fired := make(chan schedulerlocal.Target, 16) // room for the fires of at()s put again below
	srv := schedulerlocal.New(schedulerlocal.Options{Fire: func(_ context.Context, tg schedulerlocal.Target) error {
		fired <- tg
		return nil
	}})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := scheduler.New(scheduler.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	ctx := context.Background()
	if _, err := client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("s3connections")}); err != nil {
		t.Fatal(err)
	}
	c := New(client, "s3connections", planner, role, dlq)
	sch := schedule.Schedule{ScheduleId: "0198f5d2-9b3c-7d4e-8f5a-6b7c8d9e0f12", ScheduleName: "daily", DatasetId: "d1",
		ScheduleExpression: "cron(0 6 * * ? *)", ScheduleExpressionTimezone: "Europe/Rome", IsEnabled: true}
	if err := c.Put(ctx, sch); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(sch.ScheduleId), GroupName: aws.String("s3connections")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Target.Arn) != planner || aws.ToString(got.Target.RoleArn) != role ||
		aws.ToString(got.Target.Input) != `{"ScheduleId":"`+sch.ScheduleId+`","Firing":"<aws.scheduler.execution-id>"}` ||
		got.State != types.ScheduleStateEnabled ||
		aws.ToInt32(got.Target.RetryPolicy.MaximumRetryAttempts) != MaximumRetryAttempts ||
		aws.ToInt32(got.Target.RetryPolicy.MaximumEventAgeInSeconds) != MaximumEventAgeInSeconds ||
		got.Target.DeadLetterConfig == nil || aws.ToString(got.Target.DeadLetterConfig.Arn) != dlq ||
		got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeOff || aws.ToString(got.ScheduleExpressionTimezone) != "Europe/Rome" {
		t.Fatalf("schedule as created: %+v target %+v", got, got.Target)
	}

	// Put again replaces it: disabled, another expression.
	sch.IsEnabled, sch.ScheduleExpression, sch.ScheduleExpressionTimezone = false, "rate(5 minutes)", ""
	if err := c.Put(ctx, sch); err != nil {
		t.Fatal(err)
	}
	got, err = client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(sch.ScheduleId), GroupName: aws.String("s3connections")})
	if err != nil || got.State != types.ScheduleStateDisabled || aws.ToString(got.ScheduleExpression) != "rate(5 minutes)" {
		t.Fatalf("schedule as updated: %+v, %v", got, err)
	}

	// An enabled at() one to two seconds ahead fires the planner with the
	// schedule's id. An at() put after its time (a slow machine) would never
	// fire: put a later one then.
	for try := 1; ; try++ {
		at := time.Now().Truncate(time.Second).Add(2 * time.Second)
		sch.IsEnabled, sch.ScheduleExpression = true, "at("+at.UTC().Format("2006-01-02T15:04:05")+")"
		if err := c.Put(ctx, sch); err != nil {
			t.Fatal(err)
		}
		if time.Now().Before(at) {
			break
		}
		if try == 10 {
			t.Fatalf("no at() put before its time in %d tries", try)
		}
	}
	select {
	case tg := <-fired:
		if tg.Arn != planner || tg.Input != `{"ScheduleId":"`+sch.ScheduleId+`","Firing":"`+tg.ExecutionID+`"}` || tg.ExecutionID == "" {
			t.Fatalf("fired %+v", tg)
		}
	case <-time.After(time.Minute): // generous: a loaded machine is slow, not stuck
		t.Fatal("the schedule did not fire")
	}

	if err := c.Delete(ctx, sch.ScheduleId); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, sch.ScheduleId); err != nil {
		t.Fatalf("deleting an absent schedule: %v", err)
	}
	if _, err := client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(sch.ScheduleId), GroupName: aws.String("s3connections")}); err == nil {
		t.Fatal("schedule still there")
	}
}
