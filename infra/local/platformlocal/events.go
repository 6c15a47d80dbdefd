package platformlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/shared/runevents"
)

// EventsFile is where, under the data folder, the local EventBridge
// records every event its buses accept, one JSON line each: `tail -f
// .local/events.jsonl` watches the run events.
const EventsFile = "events.jsonl"

// startEventBridge serves the local EventBridge. Its buses deliver to SQS
// queues as EventBridge does (sqslocal's ARN sender), to Lambda functions
// through the local runtime (asynchronously), and to the platform's
// notification topic, which logs each notification as an SNS subscriber
// would receive it; every accepted event is recorded in EventsFile and in
// Options.EventRecord.
func (p *Platform) startEventBridge(_ context.Context, opts Options) error {
	var records []io.Writer
	if path := dataPath(opts, EventsFile); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("the events record: %w", err)
		}
		p.closers = append(p.closers, func() { _ = f.Close() })
		records = append(records, f)
	}
	if opts.EventRecord != nil {
		records = append(records, opts.EventRecord)
	}
	log := opts.Log.With("service", "eventbridge")
	p.Events = eventbridgelocal.New(eventbridgelocal.Options{
		Region: Region, DefaultAccount: Account, IAM: p.IAM, Logger: log, Record: io.MultiWriter(records...),
		Deliver: func(ctx context.Context, d eventbridgelocal.Delivery) error { return p.deliverEvent(ctx, log, d) },
		DeadLetter: func(ctx context.Context, queueARN, body string, attrs map[string]string) error {
			return p.serviceSQS().Send(ctx, queueARN, body, attrs)
		},
	})
	p.closers = append(p.closers, p.Events.Close)
	var err error
	p.Endpoints["EVENTBRIDGE"], err = p.serve(addr(opts, 8), p.Events)
	return err
}

// deliverEvent hands an event to a target that is not a bus, by the
// service its ARN names.
func (p *Platform) deliverEvent(ctx context.Context, log *slog.Logger, d eventbridgelocal.Delivery) error {
	parts := strings.SplitN(d.Target, ":", 6)
	if len(parts) < 6 {
		return &eventbridgelocal.DeliveryError{Code: "NO_RESOURCE", Message: "not an ARN: " + d.Target}
	}
	switch parts[2] {
	case "sqs":
		return p.serviceSQS().Send(ctx, d.Target, d.Input, nil)
	case "lambda":
		_, err := p.Runtime.InvokeAsync(functionName(d.Target), []byte(d.Input))
		return err
	case "sns":
		if d.Target != p.topicARN() {
			return &eventbridgelocal.DeliveryError{Code: "NO_RESOURCE", Message: "no such topic: " + d.Target}
		}
		notify(ctx, log, d)
		return nil
	}
	return &eventbridgelocal.DeliveryError{Code: "NO_RESOURCE", Message: "the local EventBridge does not deliver to " + d.Target}
}

// notify is the local notification topic: it logs what its subscribers
// would receive (the run event, as the message body they filter on).
func notify(ctx context.Context, log *slog.Logger, d eventbridgelocal.Delivery) {
	var ev struct {
		DetailType string `json:"detail-type"`
		Detail     runevents.Detail
	}
	_ = json.Unmarshal([]byte(d.Input), &ev)
	log.InfoContext(ctx, "notification", "topic", d.Target, "rule", d.Rule, "detailType", ev.DetailType,
		"eventId", ev.Detail.EventId, "runId", ev.Detail.RunId, "scheduleId", ev.Detail.ScheduleId,
		"state", ev.Detail.State, "reason", ev.Detail.Reason, "notify", ev.Detail.Notify)
}

// topicARN is the platform's notification topic, as the stack names it.
func (p *Platform) topicARN() string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", Region, Account, p.Names.NotificationTopic)
}

// ensureEventBus creates the platform's outbound bus and its notification
// rules, whose target is the notification topic, as the stack does.
func (p *Platform) ensureEventBus(ctx context.Context, c *eventbridge.Client) error {
	bus := p.Names.EventBus
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	var exists *ebtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create event bus %s: %w", bus, err)
	}
	for _, r := range runevents.NotificationRules() {
		pattern, _ := json.Marshal(r.Pattern())
		name := p.Names.EventBus + "-" + r.Name
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus),
			EventPattern: aws.String(string(pattern)), Description: aws.String(r.Description)}); err != nil {
			return fmt.Errorf("create rule %s: %w", name, err)
		}
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
			Targets: []ebtypes.Target{{Id: aws.String("notifications"), Arn: aws.String(p.topicARN())}}}); err != nil {
			return fmt.Errorf("target of rule %s: %w", name, err)
		}
	}
	return nil
}
