package eventbridgelocal

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Delivery to targets is at least once and in no order, as EventBridge's:
// each (event, target) pair is delivered by a goroutine of its own that
// retries a failed attempt with exponential backoff within the target's
// RetryPolicy (by default 185 retries over 24 hours), and sends the event
// to the target's dead-letter queue when the policy is exhausted or the
// error cannot be retried (NO_PERMISSIONS, NO_RESOURCE), with the message
// attributes EventBridge sets.

const (
	defaultRetries = 185
	defaultMaxAge  = 24 * time.Hour
	maxRetryDelay  = time.Minute
)

// startDelivery delivers ev to t in the background. The caller holds s.mu.
func (s *Server) startDelivery(b *bus, r *rule, t target, ev Event, raw []byte, generic map[string]any) {
	input := string(raw)
	switch {
	case t.Input != "":
		input = t.Input
	case t.InputPath != "":
		sel, _ := json.Marshal(selectPath(generic, t.InputPath))
		input = string(sel)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.deliver(b, r.arn, t, ev, input)
	}()
}

func (s *Server) deliver(from *bus, ruleARN string, t target, ev Event, input string) {
	retries, maxAge := defaultRetries, defaultMaxAge
	if rp := t.RetryPolicy; rp != nil && rp.MaximumRetryAttempts != nil {
		retries = *rp.MaximumRetryAttempts
	}
	if rp := t.RetryPolicy; rp != nil && rp.MaximumEventAgeInSeconds != nil {
		maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
	}
	started, delay := s.opts.Now(), s.opts.RetryDelay
	for attempt := 1; ; attempt++ {
		err := s.attempt(from, ruleARN, t, ev, input, attempt)
		if err == nil {
			return
		}
		var de *DeliveryError
		retriable := !errors.As(err, &de) || de.Retriable
		exhausted := ""
		switch {
		case !retriable:
		case attempt > retries:
			exhausted = "MaximumRetryAttempts"
		case s.opts.Now().Add(delay).Sub(started) > maxAge:
			exhausted = "MaximumEventAgeInSeconds"
		default:
			select {
			case <-time.After(delay):
				delay = min(2*delay, maxRetryDelay)
				continue
			case <-s.ctx.Done():
				return
			}
		}
		s.deadLetter(ruleARN, t, ev, err, exhausted, attempt-1)
		return
	}
}

// attempt makes one delivery: to a bus of this server, or through Deliver.
func (s *Server) attempt(from *bus, ruleARN string, t target, ev Event, input string, n int) error {
	if isBus(t.Arn) {
		return s.forward(from, t, ev)
	}
	if s.opts.Deliver == nil {
		return &DeliveryError{Code: "NO_RESOURCE", Message: "no delivery for " + t.Arn}
	}
	return s.opts.Deliver(s.ctx, Delivery{Target: t.Arn, RoleArn: t.RoleArn, Rule: ruleARN, Input: input, Attempt: n})
}

// forward puts ev, unchanged, on the target bus. Across accounts the
// target bus's policy must admit the sending account (events:source and
// events:detail-type are its condition keys); an event received from
// another account is not forwarded to a third.
func (s *Server) forward(from *bus, t target, ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	to, e := s.busOf(from.account, t.Arn)
	if e != nil {
		return &DeliveryError{Code: "NO_RESOURCE", Message: e.msg}
	}
	if ev.Account != from.account && to.account != from.account {
		s.opts.Logger.Info("event not forwarded to a third account", "event", ev.ID, "from", from.arn, "to", to.arn)
		return nil
	}
	if !allowed(rootOf(from.account), "events:PutEvents", to.arn, to, conditionKeys(ev.Source, ev.DetailType)) {
		return &DeliveryError{Code: "NO_PERMISSIONS", Message: "the policy of " + to.arn + " does not admit account " + from.account}
	}
	s.accept(to, ev)
	return nil
}

func (s *Server) deadLetter(ruleARN string, t target, ev Event, err error, exhausted string, retries int) {
	code, msg := "INTERNAL_ERROR", err.Error()
	var de *DeliveryError
	if errors.As(err, &de) {
		code, msg = de.Code, de.Message
	}
	s.opts.Logger.Warn("event delivery failed", "event", ev.ID, "rule", ruleARN, "target", t.Arn, "error_code", code, "retries", retries)
	if t.DeadLetterConfig == nil || s.opts.DeadLetter == nil {
		return
	}
	attrs := map[string]string{"RULE_ARN": ruleARN, "TARGET_ARN": t.Arn, "ERROR_CODE": code, "ERROR_MESSAGE": msg,
		"RETRY_ATTEMPTS": strconv.Itoa(retries)}
	if exhausted != "" {
		attrs["EXHAUSTED_RETRY_CONDITION"] = exhausted
	}
	body, _ := json.Marshal(ev)
	if err := s.opts.DeadLetter(s.ctx, t.DeadLetterConfig.Arn, string(body), attrs); err != nil {
		s.opts.Logger.Error("event lost: its dead-letter queue refused it", "event", ev.ID, "queue", t.DeadLetterConfig.Arn, "error", err)
	}
}

// selectPath is the value at a JSONPath of the simple form $.a.b ("$" is
// the whole event); nil where there is none.
func selectPath(v map[string]any, path string) any {
	var cur any = v
	for _, k := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "$"), "."), ".") {
		if k == "" {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}
