package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/sourceevents"
)

// The inbound bus admits S3's Object Created events from any account
// with one statement conditioned on events:source and events:detail-type;
// its one rule invokes the events function (and only that rule may), with
// retries and the events DLQ; the events function's role reads the table
// and sends tasks, and puts no event, opens no secret, assumes no role.
func TestInboundBusTakesOnlyS3EventsToTheEventsFunction(t *testing.T) {
	n := platform.NamesFor("", "")
	busID := ""
	for id, b := range platformJSON.of("AWS::Events::EventBus") {
		if b.Properties["Name"] == n.InboundBus {
			busID = id
		}
	}
	_, pol := platformJSON.one(t, "AWS::Events::EventBusPolicy")
	st := asJSON(pol.Properties["Statement"])
	for _, want := range []string{`"events:source":["` + sourceevents.Source + `"]`, `"events:detail-type":["` + sourceevents.DetailType + `"]`,
		`"Action":["events:PutEvents"]`, `"Effect":"Allow"`} {
		if !strings.Contains(st, want) {
			t.Errorf("the inbound bus's policy %s lacks %s", st, want)
		}
	}
	if busID == "" || asJSON(pol.Properties["EventBusName"]) != asJSON(ref(busID)) {
		t.Errorf("the policy is on %v, want the inbound bus %s", pol.Properties["EventBusName"], busID)
	}
	fn := functionID(t, n.EventsFunction)
	var ruleID string
	for id, r := range platformJSON.of("AWS::Events::Rule") {
		if r.Properties["Name"] == n.InboundBus+"-to-events" {
			ruleID = id
			targets := asJSON(r.Properties["Targets"])
			if !strings.Contains(targets, asJSON(getAtt(fn, "Arn"))) || !strings.Contains(targets, "DeadLetterConfig") ||
				!strings.Contains(targets, `"MaximumEventAgeInSeconds":86400`) || asJSON(r.Properties["EventBusName"]) != asJSON(ref(busID)) {
				t.Errorf("the inbound rule: %s on %v", targets, r.Properties["EventBusName"])
			}
		}
	}
	for _, p := range platformJSON.of("AWS::Lambda::Permission") {
		if asJSON(p.Properties["FunctionName"]) == asJSON(getAtt(fn, "Arn")) && asJSON(p.Properties["SourceArn"]) != asJSON(getAtt(ruleID, "Arn")) {
			t.Errorf("the events function may be invoked by %v, want the inbound rule only", p.Properties["SourceArn"])
		}
	}
	for _, s := range roleStatements(t, platformJSON, n.EventsFunction) {
		for _, a := range s.actions() {
			if strings.HasPrefix(a, "events:") || strings.HasPrefix(a, "sts:") || strings.HasPrefix(a, "s3:") ||
				slices.Contains([]string{"lambda:InvokeFunction"}, a) || strings.Contains(asJSON(s.Resource), "SecretsKey") {
				t.Errorf("the events function's role may %s on %s", a, asJSON(s.Resource))
			}
		}
	}
}
