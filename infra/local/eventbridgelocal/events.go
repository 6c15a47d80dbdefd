package eventbridgelocal

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/google/uuid"
)

// entry is one PutEvents request entry.
type entry struct {
	Time                       *float64 // epoch seconds, as the SDK sends a timestamp
	Source, DetailType, Detail string
	EventBusName               string
	Resources                  []string
	TraceHeader                string
}

// resultEntry is one PutEvents result, in the order of the entries.
type resultEntry struct {
	EventId      string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

// putEvents accepts each valid, authorized entry on its bus: an event is
// recorded and routed to the targets of the rules it matches. Sources
// starting with "aws." are AWS services' own: callers may not put them
// (NotAuthorizedForSourceException), so that only real service events
// (Emit), forwarded by their account's rules, carry them.
func (s *Server) putEvents(who iamlocal.Principal, body []byte) (any, *apiError) {
	var in struct{ Entries []entry }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, errValidation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	size := 0
	for _, en := range in.Entries {
		size += 14 + len(en.Source) + len(en.DetailType) + len(en.Detail) + len(strings.Join(en.Resources, ""))
	}
	if size > 256*1024 {
		return nil, errValidation("Total size of the entries in the request is over the limit.")
	}
	out := struct {
		FailedEntryCount int
		Entries          []resultEntry
	}{Entries: make([]resultEntry, len(in.Entries))}
	for i, en := range in.Entries {
		out.Entries[i] = s.putEntry(who, en)
		if out.Entries[i].ErrorCode != "" {
			out.FailedEntryCount++
		}
	}
	return out, nil
}

func (s *Server) putEntry(who iamlocal.Principal, en entry) resultEntry {
	var detail map[string]any
	switch {
	case en.Source == "" || en.DetailType == "" || en.Detail == "":
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source, DetailType and Detail are required."}
	case json.Unmarshal([]byte(en.Detail), &detail) != nil || detail == nil:
		return resultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	case strings.HasPrefix(en.Source, "aws."):
		return resultEntry{ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.busOf(who.Account, en.EventBusName)
	if e != nil {
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: e.msg}
	}
	if !allowed(who, "events:PutEvents", b.arn, b, conditionKeys(en.Source, en.DetailType)) {
		return resultEntry{ErrorCode: "AccessDeniedException", ErrorMessage: who.ARN + " is not authorized to perform: events:PutEvents on resource: " + b.arn}
	}
	t := s.opts.Now()
	if en.Time != nil {
		t = time.Unix(int64(*en.Time), 0)
	}
	ev := Event{Version: "0", ID: uuid.NewString(), DetailType: en.DetailType, Source: en.Source, Account: who.Account,
		Time: t.UTC().Format(time.RFC3339), Region: s.opts.Region, Resources: en.Resources, Detail: detail}
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	s.accept(b, ev)
	return resultEntry{EventId: ev.ID}
}

func conditionKeys(source, detailType string) map[string]string {
	return map[string]string{"events:source": source, "events:detail-type": detailType}
}

// Event is an event as EventBridge delivers it.
type Event struct {
	Version    string         `json:"version"`
	ID         string         `json:"id"`
	DetailType string         `json:"detail-type"`
	Source     string         `json:"source"`
	Account    string         `json:"account"`
	Time       string         `json:"time"`
	Region     string         `json:"region"`
	Resources  []string       `json:"resources"`
	Detail     map[string]any `json:"detail"`
}

// Emit puts an AWS service's event (an S3 "Object Created") on account's
// default bus, as the service does: no caller, no authorization.
func (s *Server) Emit(account string, ev Event) string {
	ev.Version, ev.Account, ev.Region = "0", account, s.opts.Region
	if ev.ID == "" {
		ev.ID = uuid.NewString()
	}
	if ev.Time == "" {
		ev.Time = s.opts.Now().UTC().Format(time.RFC3339)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := s.lookup(account, "default")
	s.accept(b, ev)
	return ev.ID
}

// accept records ev as received by b and starts its deliveries. The
// caller holds s.mu.
func (s *Server) accept(b *bus, ev Event) {
	raw, _ := json.Marshal(ev)
	s.record(b.arn, raw)
	var generic map[string]any
	_ = decodeStrict(raw, &generic)
	for _, r := range b.rules {
		if !r.enabled() || !r.pattern.Matches(generic) {
			continue
		}
		for _, t := range r.targets {
			s.startDelivery(b, r, *t, ev, raw, generic)
		}
	}
}

func (s *Server) record(busARN string, raw []byte) {
	if s.opts.Record == nil {
		return
	}
	line, _ := json.Marshal(map[string]any{"bus": busARN, "event": json.RawMessage(raw)})
	s.recMu.Lock()
	defer s.recMu.Unlock()
	_, _ = s.opts.Record.Write(append(line, '\n'))
}
