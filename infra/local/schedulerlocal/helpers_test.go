package schedulerlocal_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
)

const (
	plannerARN = "arn:aws:lambda:us-east-1:000000000000:function:s3conn-planner"
	roleARN    = "arn:aws:iam::000000000000:role/s3conn-scheduler"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is a Server behind httptest with a real SDK client, recording fires.
type env struct {
	srv    *schedulerlocal.Server
	url    string
	client *scheduler.Client
	fires  chan schedulerlocal.Target
	clock  *clock // nil: real time
}

type envOption func(*schedulerlocal.Options)

// newEnv starts a Server; with a non-nil clk it uses that clock.
func newEnv(t *testing.T, clk *clock, opts ...envOption) *env {
	t.Helper()
	e := &env{fires: make(chan schedulerlocal.Target, 100), clock: clk}
	o := schedulerlocal.Options{
		Fire: func(_ context.Context, tg schedulerlocal.Target) error {
			e.fires <- tg
			return nil
		},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryDelay: 10 * time.Millisecond,
	}
	if clk != nil {
		o.Now = clk.Now
	}
	for _, opt := range opts {
		opt(&o)
	}
	e.srv = schedulerlocal.New(o)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	t.Cleanup(e.srv.Close) // runs first
	e.url = ts.URL
	e.client = scheduler.New(scheduler.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	return e
}

// advance moves the test clock and wakes the firing loop.
func (e *env) advance(d time.Duration) {
	e.clock.Set(e.clock.Now().Add(d))
	e.srv.Wake()
}

// create makes a schedule in the default group with an OFF window and the
// planner target; mutate adjusts the input first.
func (e *env) create(t *testing.T, name, expr string, mutate ...func(*scheduler.CreateScheduleInput)) string {
	t.Helper()
	in := createInput(name, expr)
	for _, m := range mutate {
		m(in)
	}
	out, err := e.client.CreateSchedule(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateSchedule %s %s: %v", name, expr, err)
	}
	return aws.ToString(out.ScheduleArn)
}

func createInput(name, expr string) *scheduler.CreateScheduleInput {
	return &scheduler.CreateScheduleInput{
		Name:               aws.String(name),
		ScheduleExpression: aws.String(expr),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{
			Arn:     aws.String(plannerARN),
			RoleArn: aws.String(roleARN),
			Input:   aws.String(`{"ScheduleId":"` + name + `"}`),
		},
	}
}

// patience is how long a test waits for a fire that must come: far longer
// than it takes, so that only a failure, not a loaded machine, runs out of
// it.
const patience = time.Minute

// expectFire waits for the next fire, failing after patience.
func (e *env) expectFire(t *testing.T) schedulerlocal.Target {
	t.Helper()
	select {
	case tg := <-e.fires:
		return tg
	case <-time.After(patience):
		t.Fatalf("no fire within %v", patience)
		return schedulerlocal.Target{}
	}
}

// expectNoFire checks that nothing fires for a while. It is a negative
// check: a slow machine only makes it weaker (a wrong fire may come after
// it), never wrong.
func (e *env) expectNoFire(t *testing.T, during time.Duration) {
	t.Helper()
	select {
	case tg := <-e.fires:
		t.Fatalf("unexpected fire of %s/%s scheduled at %v", tg.GroupName, tg.ScheduleName, tg.ScheduledTime)
	case <-time.After(during):
	}
}
