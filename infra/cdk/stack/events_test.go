package stack

import (
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// topicNamed returns the logical id of the topic named name.
func topicNamed(t *testing.T, name string) string {
	t.Helper()
	for id, r := range platformJSON.of("AWS::SNS::Topic") {
		if r.Properties["TopicName"] == name {
			return id
		}
	}
	t.Fatalf("no topic %s", name)
	return ""
}

// busID returns the logical id of the outbound bus.
func busID(t *testing.T) string {
	t.Helper()
	id, bus := "", resource{}
	for bid, b := range platformJSON.of("AWS::Events::EventBus") {
		if b.Properties["Name"] == platform.NamesFor("", "").EventBus {
			id, bus = bid, b
		}
	}
	if id == "" {
		t.Fatalf("no bus named %s", platform.NamesFor("", "").EventBus)
	}
	if _, policy := bus.Properties["Policy"]; policy {
		t.Errorf("the outbound bus has a resource policy: no other account may put events on it")
	}
	return id
}

// The notification rules are shared/runevents' on the outbound bus, each
// with the notification topic as its one target (dead letters to the
// notifications' DLQ); only those rules may publish to the topic and to
// the DLQ; the topic is the platform key's.
func TestNotificationRulesFeedTheTopic(t *testing.T) {
	n := platform.NamesFor("", "")
	bus, topic := busID(t), topicNamed(t, n.NotificationTopic)
	dlq := ""
	for id, q := range platformJSON.of("AWS::SQS::Queue") {
		if q.Properties["QueueName"] == n.NotificationsDLQ {
			dlq = id
		}
	}
	want := map[string]string{}
	for _, r := range runevents.NotificationRules() {
		want[n.EventBus+"-"+r.Name] = asJSON(r.Pattern())
	}
	var ruleIDs []string
	for id, r := range platformJSON.of("AWS::Events::Rule") {
		name, _ := r.Properties["Name"].(string)
		if name == n.InboundBus+"-to-events" {
			continue // the inbound bus's (inbound_test.go)
		}
		if asJSON(r.Properties["EventPattern"]) != want[name] {
			t.Errorf("rule %s pattern %s, want %s", name, asJSON(r.Properties["EventPattern"]), want[name])
		}
		delete(want, name)
		if asJSON(r.Properties["EventBusName"]) != asJSON(ref(bus)) || r.Properties["State"] != "ENABLED" {
			t.Errorf("rule %s on %v, %v", name, r.Properties["EventBusName"], r.Properties["State"])
		}
		targets := asJSON(r.Properties["Targets"])
		wantTargets := asJSON([]any{map[string]any{"Arn": ref(topic), "DeadLetterConfig": map[string]any{"Arn": getAtt(dlq, "Arn")}, "Id": "notifications"}})
		if targets != wantTargets {
			t.Errorf("rule %s targets %s, want %s", name, targets, wantTargets)
		}
		ruleIDs = append(ruleIDs, id)
	}
	if len(want) > 0 {
		t.Errorf("rules missing: %v", want)
	}
	for _, policyType := range []string{"AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"} {
		for _, p := range platformJSON.of(policyType) {
			doc := asJSON(p.Properties["PolicyDocument"])
			if !strings.Contains(doc, "events.amazonaws.com") || strings.Contains(doc, "InboundRuleDeadLetter") {
				continue // the inbound rule's DLQ: inbound_test.go
			}
			for _, id := range ruleIDs {
				if !strings.Contains(doc, asJSON(getAtt(id, "Arn"))) || !strings.Contains(doc, "aws:SourceArn") {
					t.Errorf("%s lets EventBridge in beyond the notification rules: %s", policyType, doc)
				}
			}
		}
	}
}

// The ingestion functions put run events on the outbound bus, named by
// EVENT_BUS_NAME, and on no other bus; the API puts none.
func TestOnlyIngestionPutsRunEvents(t *testing.T) {
	n, bus := platform.NamesFor("", ""), busID(t)
	for _, fn := range platformJSON.of("AWS::Lambda::Function") {
		name := fn.Properties["FunctionName"].(string)
		env := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		ingestion := name == n.PlannerFunction || name == n.WorkerFunction
		if got := asJSON(env[platform.EnvEventBus]); ingestion && got != asJSON(ref(bus)) {
			t.Errorf("%s: %s = %s, want the outbound bus", name, platform.EnvEventBus, got)
		}
		var puts []string
		for _, s := range roleStatements(t, platformJSON, name) {
			for _, a := range s.actions() {
				if strings.HasPrefix(a, "events:") {
					puts = append(puts, a+" on "+asJSON(s.Resource))
				}
			}
		}
		want := 0
		if ingestion {
			want = 1
		}
		if len(puts) != want || (want == 1 && puts[0] != "events:PutEvents on "+asJSON(getAtt(bus, "Arn"))) {
			t.Errorf("%s may %v, want events:PutEvents on the outbound bus only for the ingestion functions", name, puts)
		}
	}
}
