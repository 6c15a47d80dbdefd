package schedulerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
)

// quiet is how long a test waits to be sure nothing fires: a short quiet
// period for a negative check, which a slow machine only makes weaker.
const quiet = 150 * time.Millisecond

// lateness bounds how late a loaded machine may make a timer of the firing
// loop: generous, yet well below maxTimerWait (a minute), so that a loop
// that sleeps its whole cap instead of until the fire time still fails.
const lateness = 30 * time.Second

// TestAtFiresOnTheRealClock runs the real timer: an at() schedule two
// seconds ahead fires once, on time, with its Input verbatim, and is then
// deleted (ActionAfterCompletion DELETE).
func TestAtFiresOnTheRealClock(t *testing.T) {
	e := newEnv(t, nil)
	input := `{"ScheduleId":"s-42","Note":"tab\tand \"quotes\" <b>"}`
	// An at() one to two seconds ahead. A slow machine may create it only
	// after its time, when it would never fire: then try again, under
	// another name, as a try left behind may still fire.
	var name string
	var at time.Time
	for try := 1; ; try++ {
		name, at = fmt.Sprintf("once-%d", try), time.Now().Truncate(time.Second).Add(2*time.Second)
		e.create(t, name, "at("+at.UTC().Format("2006-01-02T15:04:05")+")", func(in *scheduler.CreateScheduleInput) {
			in.ActionAfterCompletion = types.ActionAfterCompletionDelete
			in.Target.Input = aws.String(input)
		})
		next, ok := e.srv.NextFireTime("", name)
		if time.Now().Before(at) { // created and asked before its time: it must be waiting for it
			if !ok || !next.Equal(at) {
				t.Fatalf("NextFireTime = %v, %v; want %v", next, ok, at)
			}
			break
		}
		if try == 10 {
			t.Fatalf("no at() schedule created before its time in %d tries", try)
		}
		t.Logf("%s was created after its time (a slow machine): trying again", name)
		_, _ = e.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(name)})
	}
	tg := e.expectFire(t)
	for tg.ScheduleName != name { // a try left behind
		tg = e.expectFire(t)
	}
	firedAt := time.Now()
	if firedAt.Before(at) || firedAt.After(at.Add(lateness)) {
		t.Errorf("fired at %v, scheduled for %v", firedAt, at)
	}
	if tg.Input != input || tg.Arn != plannerARN || tg.RoleArn != roleARN || tg.ScheduleName != name ||
		tg.GroupName != "default" || !tg.ScheduledTime.Equal(at) || tg.Attempt != 1 || tg.ExecutionID == "" ||
		tg.ScheduleArn != "arn:aws:scheduler:us-east-1:000000000000:schedule/default/"+name {
		t.Errorf("target %+v", tg)
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)}); !errors.As(err, &nf) {
		t.Errorf("GetSchedule after an at() with DELETE fired: %v, want ResourceNotFoundException", err)
	}
	// It does not fire again (a negative check; a try left behind may).
	for end := time.After(quiet); ; {
		select {
		case tg := <-e.fires:
			if tg.ScheduleName == name {
				t.Fatalf("%s fired again, scheduled at %v", name, tg.ScheduledTime)
			}
		case <-end:
			return
		}
	}
}

func TestAtWithoutDeleteStaysAndDoesNotFireAgain(t *testing.T) {
	clk := &clock{t: time.Date(2030, 1, 1, 11, 59, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	e.create(t, "once", "at(2030-01-01T13:00:00)", func(in *scheduler.CreateScheduleInput) {
		in.ScheduleExpressionTimezone = aws.String("Europe/Rome") // 12:00 UTC
	})
	if next, _ := e.srv.NextFireTime("", "once"); !next.Equal(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("NextFireTime = %v", next)
	}
	e.advance(time.Minute)
	e.expectFire(t)
	e.advance(time.Hour)
	e.expectNoFire(t, quiet)
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("once")}); err != nil {
		t.Errorf("at() with ActionAfterCompletion NONE was deleted: %v", err)
	}
	if _, ok := e.srv.NextFireTime("", "once"); ok {
		t.Error("a fired at() still has a next fire time")
	}
}

// TestCronEveryMinute moves the clock by hand: each minute fires once, and
// ten missed minutes fire once, not ten times.
func TestCronEveryMinute(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 30, 0, time.UTC)}
	e := newEnv(t, clk)
	e.create(t, "every-minute", "cron(* * * * ? *)")
	if next, _ := e.srv.NextFireTime("default", "every-minute"); !next.Equal(time.Date(2030, 3, 4, 10, 1, 0, 0, time.UTC)) {
		t.Fatalf("NextFireTime = %v", next)
	}
	e.expectNoFire(t, quiet)

	e.advance(30 * time.Second) // 10:01:00
	if tg := e.expectFire(t); !tg.ScheduledTime.Equal(time.Date(2030, 3, 4, 10, 1, 0, 0, time.UTC)) {
		t.Errorf("ScheduledTime = %v", tg.ScheduledTime)
	}
	e.expectNoFire(t, quiet)

	e.advance(10*time.Minute + 5*time.Second) // 10:11:05: 10:02 ... 10:11 were missed
	if tg := e.expectFire(t); !tg.ScheduledTime.Equal(time.Date(2030, 3, 4, 10, 2, 0, 0, time.UTC)) {
		t.Errorf("ScheduledTime = %v, want the first missed minute", tg.ScheduledTime)
	}
	e.expectNoFire(t, quiet)
	if next, _ := e.srv.NextFireTime("", "every-minute"); !next.Equal(time.Date(2030, 3, 4, 10, 12, 0, 0, time.UTC)) {
		t.Errorf("NextFireTime after catching up = %v, want 10:12", next)
	}
}

func TestRateFiresAtCreationThenEveryPeriod(t *testing.T) {
	created := time.Date(2030, 3, 4, 10, 0, 17, 0, time.UTC)
	clk := &clock{t: created}
	e := newEnv(t, clk)
	e.create(t, "r", "rate(5 minutes)")
	if tg := e.expectFire(t); !tg.ScheduledTime.Equal(created) {
		t.Errorf("first fire scheduled at %v, want the creation time %v", tg.ScheduledTime, created)
	}
	if next, _ := e.srv.NextFireTime("", "r"); !next.Equal(created.Add(5 * time.Minute)) {
		t.Fatalf("NextFireTime = %v", next)
	}
	e.advance(4 * time.Minute)
	e.expectNoFire(t, quiet)
	e.advance(time.Minute)
	if tg := e.expectFire(t); !tg.ScheduledTime.Equal(created.Add(5 * time.Minute)) {
		t.Errorf("second fire scheduled at %v", tg.ScheduledTime)
	}
}

func TestStartAndEndDates(t *testing.T) {
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	e := newEnv(t, clk)
	start, end := now.Add(time.Hour), now.Add(time.Hour+25*time.Minute)
	e.create(t, "window", "rate(10 minutes)", func(in *scheduler.CreateScheduleInput) {
		in.StartDate, in.EndDate = &start, &end
		in.ActionAfterCompletion = types.ActionAfterCompletionDelete
	})
	e.expectNoFire(t, quiet)
	if next, _ := e.srv.NextFireTime("", "window"); !next.Equal(start) {
		t.Fatalf("NextFireTime = %v, want StartDate %v", next, start)
	}
	var times []time.Time
	for i := 0; i < 3; i++ { // 11:00, 11:10, 11:20; 11:30 is past EndDate
		next, ok := e.srv.NextFireTime("", "window")
		if !ok {
			t.Fatalf("no next fire after %v", times)
		}
		clk.Set(next)
		e.srv.Wake()
		times = append(times, e.expectFire(t).ScheduledTime)
	}
	if want := start.Add(20 * time.Minute); !times[2].Equal(want) {
		t.Errorf("fired at %v, last want %v", times, want)
	}
	// Completed: with DELETE it is gone.
	var nf *types.ResourceNotFoundException
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("window")}); !errors.As(err, &nf) {
		t.Errorf("completed schedule with DELETE: %v, want ResourceNotFoundException", err)
	}
	// A cron with a StartDate fires from the first match at or after it.
	cronStart := now.Add(90 * time.Minute) // 11:30
	e.create(t, "cron-window", "cron(0 * * * ? *)", func(in *scheduler.CreateScheduleInput) { in.StartDate = &cronStart })
	if next, _ := e.srv.NextFireTime("", "cron-window"); !next.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("cron NextFireTime = %v, want 12:00", next)
	}
}

func TestDisabledSchedulesDoNotFire(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 30, 0, time.UTC)}
	e := newEnv(t, clk)
	in := createInput("off", "cron(* * * * ? *)")
	in.State = types.ScheduleStateDisabled
	if _, err := e.client.CreateSchedule(ctx, in); err != nil {
		t.Fatal(err)
	}
	e.create(t, "off-rate", "rate(1 minute)", func(in *scheduler.CreateScheduleInput) { in.State = types.ScheduleStateDisabled })
	if _, ok := e.srv.NextFireTime("", "off"); ok {
		t.Error("a disabled schedule has a next fire time")
	}
	e.advance(5 * time.Minute)
	e.expectNoFire(t, quiet)

	// Enabling it (UpdateSchedule, full input) makes it fire from the next minute.
	if _, err := e.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: in.Name, ScheduleExpression: in.ScheduleExpression, FlexibleTimeWindow: in.FlexibleTimeWindow,
		Target: in.Target, State: types.ScheduleStateEnabled,
	}); err != nil {
		t.Fatal(err)
	}
	e.advance(30 * time.Second) // 10:06:00
	if tg := e.expectFire(t); tg.ScheduleName != "off" || !tg.ScheduledTime.Equal(time.Date(2030, 3, 4, 10, 6, 0, 0, time.UTC)) {
		t.Errorf("fire %+v", tg)
	}
}

func TestUpdateChangesTheNextFire(t *testing.T) {
	clk := &clock{t: time.Date(2030, 7, 1, 8, 0, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	in := createInput("daily", "cron(0 12 * * ? *)")
	if _, err := e.client.CreateSchedule(ctx, in); err != nil {
		t.Fatal(err)
	}
	if next, _ := e.srv.NextFireTime("", "daily"); !next.Equal(time.Date(2030, 7, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("NextFireTime = %v", next)
	}
	update := &scheduler.UpdateScheduleInput{
		Name: in.Name, ScheduleExpression: aws.String("cron(30 10 * * ? *)"), ScheduleExpressionTimezone: aws.String("Europe/Rome"),
		FlexibleTimeWindow: in.FlexibleTimeWindow, Target: in.Target,
	}
	if _, err := e.client.UpdateSchedule(ctx, update); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2030, 7, 1, 8, 30, 0, 0, time.UTC) // 10:30 CEST
	if next, _ := e.srv.NextFireTime("", "daily"); !next.Equal(want) {
		t.Fatalf("NextFireTime after update = %v, want %v", next, want)
	}
	e.advance(30 * time.Minute)
	if tg := e.expectFire(t); !tg.ScheduledTime.Equal(want) {
		t.Errorf("ScheduledTime = %v, want %v", tg.ScheduledTime, want)
	}
	// An update that only changes the description keeps a rate's cadence.
	rate := createInput("r", "rate(1 hour)")
	if _, err := e.client.CreateSchedule(ctx, rate); err != nil {
		t.Fatal(err)
	}
	e.expectFire(t) // at creation
	first, _ := e.srv.NextFireTime("", "r")
	e.advance(20 * time.Minute)
	if _, err := e.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: rate.Name, ScheduleExpression: rate.ScheduleExpression, Description: aws.String("new words"),
		FlexibleTimeWindow: rate.FlexibleTimeWindow, Target: rate.Target,
	}); err != nil {
		t.Fatal(err)
	}
	if next, _ := e.srv.NextFireTime("", "r"); !next.Equal(first) {
		t.Errorf("NextFireTime after a description change = %v, want unchanged %v", next, first)
	}
	e.expectNoFire(t, quiet)
}

func TestDeleteStopsFiring(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 30, 0, time.UTC)}
	e := newEnv(t, clk)
	e.create(t, "doomed", "cron(* * * * ? *)")
	e.create(t, "kept", "cron(0/2 * * * ? *)")
	if _, err := e.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	e.advance(30 * time.Second) // 10:01
	e.expectNoFire(t, quiet)
	e.advance(time.Minute) // 10:02
	if tg := e.expectFire(t); tg.ScheduleName != "kept" {
		t.Errorf("fired %s", tg.ScheduleName)
	}
	e.expectNoFire(t, quiet)
}

func TestInputContextAttributes(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	e.create(t, "ctx", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
		in.Target.Input = aws.String(`{"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","try":<aws.scheduler.attempt-number>,"id":"<aws.scheduler.execution-id>"}`)
	})
	tg := e.expectFire(t)
	want := `{"arn":"arn:aws:scheduler:us-east-1:000000000000:schedule/default/ctx","at":"2030-03-04T10:00:00Z","try":1,"id":"` + tg.ExecutionID + `"}`
	if tg.Input != want {
		t.Errorf("Input\n got: %s\nwant: %s", tg.Input, want)
	}
}

func TestRetryPolicy(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)}
	var failures atomic.Int32
	attempts := make(chan schedulerlocal.Target, 10)
	e := newEnv(t, clk, func(o *schedulerlocal.Options) {
		o.Fire = func(_ context.Context, tg schedulerlocal.Target) error {
			// Decide before reporting the attempt: once the test has seen
			// it, it may set failures for the next schedule.
			fail := failures.Add(-1) >= 0
			attempts <- tg
			if fail {
				return errors.New("throttled")
			}
			return nil
		}
	})
	collect := func(n int) []schedulerlocal.Target {
		var got []schedulerlocal.Target
		for i := 0; i < n; i++ {
			select {
			case tg := <-attempts:
				got = append(got, tg)
			case <-time.After(patience):
				t.Fatalf("%d attempts, want %d", len(got), n)
			}
		}
		select { // a quiet period: a slow machine only makes the check weaker
		case tg := <-attempts:
			t.Fatalf("unexpected attempt %d", tg.Attempt)
		case <-time.After(quiet):
		}
		return got
	}

	failures.Store(2) // fails twice, then succeeds on the third attempt
	e.create(t, "flaky", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(5)}
		in.Target.Input = aws.String(`{"attempt":<aws.scheduler.attempt-number>}`)
	})
	got := collect(3)
	for i, tg := range got {
		if tg.Attempt != i+1 || tg.ExecutionID != got[0].ExecutionID || tg.Input != `{"attempt":`+string(rune('1'+i))+`}` {
			t.Errorf("attempt %d: %+v", i+1, tg)
		}
	}

	failures.Store(100) // always fails: 1 attempt + 2 retries
	e.create(t, "broken", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)}
	})
	collect(3)

	e.create(t, "no-retries", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(0)}
	})
	collect(1)
}

func TestCloseCancelsAndWaitsForFires(t *testing.T) {
	clk := &clock{t: time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)}
	started := make(chan struct{})
	var sawCancel atomic.Bool
	e := newEnv(t, clk, func(o *schedulerlocal.Options) {
		o.Fire = func(ctx context.Context, _ schedulerlocal.Target) error {
			close(started)
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // still running when Close is called
			sawCancel.Store(true)
			return ctx.Err()
		}
	})
	e.create(t, "slow", "rate(1 hour)")
	<-started
	done := make(chan struct{})
	go func() { e.srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatal("Close did not return")
	}
	if !sawCancel.Load() {
		t.Error("Close returned before the fire in flight finished")
	}
	// The API still answers after Close; nothing fires any more.
	e.create(t, "after-close", "rate(1 hour)")
	e.srv.Close() // idempotent
}
