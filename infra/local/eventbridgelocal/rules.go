package eventbridgelocal

import (
	"slices"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
)

// rule sends the events of its bus that match its pattern to its targets.
type rule struct {
	name, arn, patternSrc, state string
	pattern                      *Pattern
	targets                      []*target // in the order they were put
}

// target is one destination of a rule.
type target struct {
	Id               string
	Arn              string
	RoleArn          string                `json:",omitempty"`
	Input            string                `json:",omitempty"`
	InputPath        string                `json:",omitempty"`
	DeadLetterConfig *struct{ Arn string } `json:",omitempty"`
	RetryPolicy      *retryPolicy          `json:",omitempty"`
}

type retryPolicy struct {
	MaximumRetryAttempts     *int `json:",omitempty"`
	MaximumEventAgeInSeconds *int `json:",omitempty"`
}

func (r *rule) enabled() bool { return r.state != "DISABLED" }

// ruleOf returns a rule of one of who's buses. The caller holds s.mu.
func (s *Server) ruleOf(who iamlocal.Principal, busName, name, action string) (*bus, *rule, *apiError) {
	b, e := s.ownBus(who, busName, action)
	if e != nil {
		return nil, nil, e
	}
	r, ok := b.rules[name]
	if !ok {
		return nil, nil, errNotFound("Rule " + name + " does not exist on EventBus " + b.name + ".")
	}
	return b, r, nil
}

func (s *Server) putRule(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name, EventBusName, EventPattern, State, ScheduleExpression, RoleArn, Description string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := checkName("name", in.Name); e != nil {
		return nil, e
	}
	if in.ScheduleExpression != "" || in.EventPattern == "" {
		return nil, errValidation("the local EventBridge takes rules with an EventPattern (schedules: EventBridge Scheduler)")
	}
	if !slices.Contains([]string{"", "ENABLED", "DISABLED"}, in.State) {
		return nil, errValidation("Parameter State is not valid: " + in.State)
	}
	p, err := ParsePattern(in.EventPattern)
	if err != nil {
		return nil, &apiError{400, "InvalidEventPatternException", err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.ownBus(who, in.EventBusName, "events:PutRule")
	if e != nil {
		return nil, e
	}
	arn := strings.Replace(b.arn, ":event-bus/"+b.name, ":rule/", 1) + in.Name
	if b.name != "default" {
		arn = strings.Replace(b.arn, ":event-bus/", ":rule/", 1) + "/" + in.Name
	}
	r, ok := b.rules[in.Name]
	if !ok {
		r = &rule{name: in.Name, arn: arn}
		b.rules[in.Name] = r
	}
	r.pattern, r.patternSrc, r.state = p, in.EventPattern, in.State
	return map[string]string{"RuleArn": arn}, nil
}

func (s *Server) deleteRule(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name, EventBusName string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, e := s.ruleOf(who, in.EventBusName, in.Name, "events:DeleteRule")
	if e != nil {
		return struct{}{}, nil // deleting a rule that is not there succeeds
	}
	if len(r.targets) > 0 {
		return nil, errValidation("Rule can't be deleted since it has targets.")
	}
	delete(b.rules, in.Name)
	return struct{}{}, nil
}

func (s *Server) describeRule(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name, EventBusName string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, e := s.ruleOf(who, in.EventBusName, in.Name, "events:DescribeRule")
	if e != nil {
		return nil, e
	}
	state := r.state
	if state == "" {
		state = "ENABLED"
	}
	return map[string]string{"Name": r.name, "Arn": r.arn, "EventPattern": r.patternSrc, "State": state, "EventBusName": b.name}, nil
}

func (s *Server) putTargets(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct {
		Rule, EventBusName string
		Targets            []*target
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, errValidation("Targets must hold 1 to 10 targets")
	}
	for _, t := range in.Targets {
		if e := s.checkTarget(t); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, e := s.ruleOf(who, in.EventBusName, in.Rule, "events:PutTargets")
	if e != nil {
		return nil, e
	}
	for _, t := range in.Targets {
		r.targets = slices.DeleteFunc(r.targets, func(old *target) bool { return old.Id == t.Id })
		if len(r.targets) == 5 {
			return nil, &apiError{400, "LimitExceededException", "The requested resource exceeds the maximum number allowed: 5 targets per rule."}
		}
		r.targets = append(r.targets, t)
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

// checkTarget refuses what the local stand-in cannot deliver faithfully.
func (s *Server) checkTarget(t *target) *apiError {
	if e := checkName("Id", t.Id); e != nil {
		return e
	}
	if !strings.HasPrefix(t.Arn, "arn:aws:") {
		return errValidation("Parameter " + t.Arn + " is not valid. Reason: Provided Arn is not in correct format.")
	}
	if t.InputPath != "" && !strings.HasPrefix(t.InputPath, "$") {
		return errValidation("Parameter InputPath is not valid: " + t.InputPath)
	}
	if isBus(t.Arn) && (t.Input != "" || t.InputPath != "") {
		return errValidation("Input, InputPath and InputTransformer are not available for event bus targets.")
	}
	if rp := t.RetryPolicy; rp != nil {
		if n := rp.MaximumRetryAttempts; n != nil && (*n < 0 || *n > 185) {
			return errValidation("MaximumRetryAttempts must be 0 to 185")
		}
		if n := rp.MaximumEventAgeInSeconds; n != nil && (*n < 60 || *n > 86400) {
			return errValidation("MaximumEventAgeInSeconds must be 60 to 86400")
		}
	}
	return nil
}

func isBus(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:events:") && strings.Contains(arn, ":event-bus/")
}

func (s *Server) removeTargets(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct {
		Rule, EventBusName string
		Ids                []string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, e := s.ruleOf(who, in.EventBusName, in.Rule, "events:RemoveTargets")
	if e != nil {
		return nil, e
	}
	r.targets = slices.DeleteFunc(r.targets, func(t *target) bool { return slices.Contains(in.Ids, t.Id) })
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

func (s *Server) listTargetsByRule(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Rule, EventBusName string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, e := s.ruleOf(who, in.EventBusName, in.Rule, "events:ListTargetsByRule")
	if e != nil {
		return nil, e
	}
	return map[string]any{"Targets": r.targets}, nil
}
