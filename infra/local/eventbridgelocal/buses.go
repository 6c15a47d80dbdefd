package eventbridgelocal

import (
	"encoding/json"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// bus is an event bus: its rules, and the policy that lets other
// accounts put events on it.
type bus struct {
	arn, name, account string
	policy             *policy.Document
	rules              map[string]*rule // by name
}

func (s *Server) busARN(account, name string) string {
	return "arn:aws:events:" + s.opts.Region + ":" + account + ":event-bus/" + name
}

// resolve names a bus from an EventBusName (a name or an ARN; "" is the
// default bus) as seen by account.
func (s *Server) resolve(account, nameOrARN string) (acct, name string, e *apiError) {
	if nameOrARN == "" {
		return account, "default", nil
	}
	if rest, ok := strings.CutPrefix(nameOrARN, "arn:aws:events:"); ok {
		parts := strings.SplitN(rest, ":", 3)
		name, isBus := strings.CutPrefix(parts[len(parts)-1], "event-bus/")
		if len(parts) != 3 || parts[0] != s.opts.Region || !isBus {
			return "", "", errValidation("Parameter EventBusName is not valid: " + nameOrARN)
		}
		return parts[1], name, nil
	}
	return account, nameOrARN, checkName("eventBusName", nameOrARN)
}

// lookup returns the bus, creating an account's default bus on first use.
// The caller holds s.mu.
func (s *Server) lookup(account, name string) (*bus, *apiError) {
	arn := s.busARN(account, name)
	if b, ok := s.buses[arn]; ok {
		return b, nil
	}
	if name != "default" {
		return nil, errNotFound("Event bus " + name + " does not exist.")
	}
	b := &bus{arn: arn, name: name, account: account, rules: map[string]*rule{}}
	s.buses[arn] = b
	return b, nil
}

// busOf is the bus nameOrARN names as seen by account. The caller holds s.mu.
func (s *Server) busOf(account, nameOrARN string) (*bus, *apiError) {
	acct, name, e := s.resolve(account, nameOrARN)
	if e != nil {
		return nil, e
	}
	return s.lookup(acct, name)
}

// ownBus resolves a bus of who's own account that who may manage with action.
func (s *Server) ownBus(who iamlocal.Principal, nameOrARN, action string) (*bus, *apiError) {
	b, e := s.busOf(who.Account, nameOrARN)
	if e != nil {
		return nil, e
	}
	if b.account != who.Account {
		return nil, errDenied("the local EventBridge manages buses of the caller's own account only")
	}
	if !allowed(who, action, b.arn, b, nil) {
		return nil, errDenied(who.ARN + " is not authorized to perform: " + action + " on resource: " + b.arn)
	}
	return b, nil
}

func (s *Server) createEventBus(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if e := checkName("name", in.Name); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := s.busARN(who.Account, in.Name)
	if _, ok := s.buses[arn]; ok || in.Name == "default" {
		return nil, &apiError{400, "ResourceAlreadyExistsException", "Event bus " + in.Name + " already exists."}
	}
	b := &bus{arn: arn, name: in.Name, account: who.Account, rules: map[string]*rule{}}
	if !allowed(who, "events:CreateEventBus", arn, b, nil) {
		return nil, errDenied(who.ARN + " is not authorized to perform: events:CreateEventBus on resource: " + arn)
	}
	s.buses[arn] = b
	return map[string]string{"EventBusArn": arn}, nil
}

func (s *Server) deleteEventBus(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Name == "default" {
		return nil, errValidation("Cannot delete event bus default.")
	}
	b, e := s.ownBus(who, in.Name, "events:DeleteEventBus")
	if e != nil {
		return struct{}{}, nil // deleting a bus that is not there succeeds
	}
	delete(s.buses, b.arn)
	return struct{}{}, nil
}

func (s *Server) describeEventBus(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Name string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.ownBus(who, in.Name, "events:DescribeEventBus")
	if e != nil {
		return nil, e
	}
	out := map[string]string{"Name": b.name, "Arn": b.arn}
	if b.policy != nil {
		p, _ := json.Marshal(b.policy)
		out["Policy"] = string(p)
	}
	return out, nil
}

// putPermission sets the bus's policy: a whole Policy, or one statement
// letting Principal (an account id or "*") put events.
func (s *Server) putPermission(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct {
		EventBusName, Action, Principal, StatementId, Policy string
		Condition                                            *struct{ Type, Key, Value string }
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.ownBus(who, in.EventBusName, "events:PutPermission")
	if e != nil {
		return nil, e
	}
	src := in.Policy
	if src == "" {
		src = statementPolicy(b, in.Action, in.Principal, in.StatementId, in.Condition)
	}
	doc, err := policy.Parse([]byte(src))
	if err == nil {
		err = iamlocal.Check(doc)
	}
	if err != nil || len(src) > 10240 {
		return nil, &apiError{400, "MalformedPolicyDocumentException", "The policy is not valid (10 KB at most, evaluable statements): " + errText(err)}
	}
	b.policy = &doc
	return struct{}{}, nil
}

// statementPolicy is the bus's policy with one more statement, as
// PutPermission without a Policy adds it.
func statementPolicy(b *bus, action, principal, sid string, cond *struct{ Type, Key, Value string }) string {
	st := map[string]any{"Sid": sid, "Effect": "Allow", "Action": action, "Resource": b.arn,
		"Principal": map[string]string{"AWS": principal}}
	if principal == "*" {
		st["Principal"] = "*"
	}
	if cond != nil {
		st["Condition"] = map[string]map[string]string{cond.Type: {cond.Key: cond.Value}}
	}
	var statements []any
	if b.policy != nil {
		raw, _ := json.Marshal(b.policy)
		var old struct{ Statement []any }
		_ = json.Unmarshal(raw, &old)
		statements = old.Statement
	}
	out, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": append(statements, st)})
	return string(out)
}

func errText(err error) string {
	if err == nil {
		return "too long"
	}
	return err.Error()
}
