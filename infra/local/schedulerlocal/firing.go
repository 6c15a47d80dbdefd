package schedulerlocal

import (
	"container/heap"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// maxRetryDelay caps the doubling wait between attempts of a failed fire.
const maxRetryDelay = time.Minute

// maxTimerWait caps one sleep of the firing loop. Go timers run on the
// monotonic clock, which stops while the machine is suspended (a laptop
// lid closed), so a timer set for an hour ahead could fire far past its
// wall-clock time; waking at least once a minute re-reads the wall clock.
// It is a bounded re-check of the heap's head, not a scan.
const maxTimerWait = time.Minute

// nextFire is sc's first fire time strictly after after, within StartDate
// and EndDate for recurring schedules; false when it will not fire (again).
// Callers hold s.mu.
func (s *Server) nextFire(sc *schedule, after time.Time) (time.Time, bool) {
	sp := sc.spec
	if sp.state != stateEnabled {
		return time.Time{}, false
	}
	recurring := sc.expr.Recurring()
	if recurring && sp.startDate != nil {
		if notBefore := sp.startDate.Add(-time.Nanosecond); after.Before(notBefore) {
			after = notBefore
		}
	}
	t, ok := sc.expr.Next(after)
	if !ok || (recurring && sp.endDate != nil && !t.Before(*sp.endDate)) {
		return time.Time{}, false
	}
	return t, true
}

// job is one due fire, captured under s.mu so that Fire runs unlocked.
type job struct {
	target      Target
	maxRetries  int
	maxEventAge time.Duration
	deadLetter  string // the target's DeadLetterConfig.Arn, or ""
}

// loop is the firing goroutine: it sleeps until the soonest next fire time
// (or a Wake), fires what is due, and goes back to sleep.
func (s *Server) loop() {
	defer close(s.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := s.now()
		jobs := s.takeDue(now)
		var wait <-chan time.Time
		if len(s.queue) > 0 {
			timer.Reset(min(max(s.queue[0].next.Sub(now), 0), maxTimerWait))
			wait = timer.C
		}
		s.mu.Unlock()
		if s.ctx.Err() != nil { // closed while this round was computed
			return
		}
		for _, j := range jobs {
			s.start(j)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-wait:
		}
		timer.Stop()
	}
}

// takeDue pops every schedule due at now, moves each to its next fire time
// after now (so missed times are not replayed one by one) and deletes
// completed schedules whose ActionAfterCompletion is DELETE. Callers hold
// s.mu.
func (s *Server) takeDue(now time.Time) []job {
	var jobs []job
	for len(s.queue) > 0 && !s.queue[0].next.After(now) {
		sc := s.queue[0]
		sp := sc.spec
		rp := sp.target.RetryPolicy
		t := Target{
			Arn: *sp.target.Arn, RoleArn: *sp.target.RoleArn,
			ScheduleName: sc.name, GroupName: sc.group.name, ScheduleArn: sc.arn,
			ScheduledTime: sc.next, ExecutionID: newID()[:16],
		}
		if sp.target.Input != nil {
			t.Input = *sp.target.Input
		}
		j := job{
			target:      t,
			maxRetries:  int(*rp.MaximumRetryAttempts),
			maxEventAge: time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second,
		}
		if dl := sp.target.DeadLetterConfig; dl != nil && dl.Arn != nil {
			j.deadLetter = *dl.Arn
		}
		jobs = append(jobs, j)
		next, ok := s.nextFire(sc, now)
		if ok {
			sc.next = next
			heap.Fix(&s.queue, 0)
			continue
		}
		heap.Pop(&s.queue)
		if sp.action == actionDelete {
			s.log.Info("schedule completed; deleting it (ActionAfterCompletion DELETE)",
				slog.String("schedule", sc.name), slog.String("group", sc.group.name))
			s.removeSchedule(sc)
		}
	}
	return jobs
}

// start runs one fire, with its retries, in its own goroutine.
func (s *Server) start(j job) {
	s.fires.Add(1)
	go func() {
		defer s.fires.Done()
		s.deliver(j)
	}()
}

// deliver calls Fire until it succeeds or the target's RetryPolicy gives
// up: MaximumRetryAttempts retries while the event is younger than
// MaximumEventAgeInSeconds.
func (s *Server) deliver(j job) {
	t := j.target
	input := t.Input
	delay := s.retryDelay
	for attempt := 1; ; attempt++ {
		t.Attempt = attempt
		t.Input = substitute(input, t)
		log := s.log.With(slog.String("schedule", t.ScheduleName), slog.String("group", t.GroupName),
			slog.String("target", t.Arn), slog.Time("scheduled_time", t.ScheduledTime),
			slog.String("execution_id", t.ExecutionID), slog.Int("attempt", attempt))
		if s.fire == nil {
			log.Info("schedule fired (no Fire configured)")
			return
		}
		err := s.fire(s.ctx, t)
		if err == nil {
			log.Info("schedule fired")
			return
		}
		if s.ctx.Err() != nil {
			log.Warn("schedule fire interrupted by shutdown", slog.Any("error", err))
			return
		}
		age := s.now().Sub(t.ScheduledTime)
		if attempt > j.maxRetries || age+delay > j.maxEventAge {
			condition := conditionRetries
			if attempt <= j.maxRetries {
				condition = conditionAge
			}
			log.Error("schedule fire failed; giving up (RetryPolicy exhausted)", slog.Any("error", err), slog.String("condition", condition))
			s.deadLetter(j, t, condition, err, log)
			return
		}
		log.Warn("schedule fire failed; retrying", slog.Any("error", err), slog.Duration("retry_in", delay))
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// substitute replaces Scheduler's context attributes in a target's Input.
func substitute(input string, t Target) string {
	if !strings.Contains(input, "<aws.scheduler.") {
		return input
	}
	return strings.NewReplacer(
		"<aws.scheduler.schedule-arn>", t.ScheduleArn,
		"<aws.scheduler.scheduled-time>", t.ScheduledTime.UTC().Format(time.RFC3339),
		"<aws.scheduler.execution-id>", t.ExecutionID,
		"<aws.scheduler.attempt-number>", strconv.Itoa(t.Attempt),
	).Replace(input)
}
