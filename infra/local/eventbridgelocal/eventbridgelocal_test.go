package eventbridgelocal

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

const (
	platform, owner, stranger = "000000000000", "111122223333", "444455556666"
	inboundBus                = "arn:aws:events:us-east-1:" + platform + ":event-bus/inbound"
	queueARN                  = "arn:aws:sqs:us-east-1:" + platform + ":tasks"
	dlqARN                    = "arn:aws:sqs:us-east-1:" + platform + ":dlq"
)

// sink collects deliveries and dead letters.
type sink struct {
	mu          sync.Mutex
	delivered   []Delivery
	deadLetters []map[string]string
	fail        error
	got         chan struct{}
}

func (k *sink) deliver(_ context.Context, d Delivery) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.delivered = append(k.delivered, d)
	k.got <- struct{}{}
	return nil
}

func (k *sink) deadLetter(_ context.Context, queue, body string, attrs map[string]string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	attrs["queue"], attrs["body"] = queue, body
	k.deadLetters = append(k.deadLetters, attrs)
	k.got <- struct{}{}
	return nil
}

func (k *sink) wait(t *testing.T) {
	t.Helper()
	select {
	case <-k.got:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing delivered")
	}
}

type env struct {
	srv    *Server
	url    string
	sink   *sink
	record *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func start(t *testing.T) env {
	t.Helper()
	reg := iamlocal.New()
	for akid, account := range map[string]string{"AKIAPLATFORM00000001": platform, "AKIASOURCEOWNER00001": owner, "AKIASTRANGER00000001": stranger} {
		reg.AddKey(akid, "secret-"+account, iamlocal.Principal{Account: account, ARN: "arn:aws:iam::" + account + ":user/admin",
			Policies: []policy.Document{iamlocal.Admin()}})
	}
	k := &sink{got: make(chan struct{}, 100)}
	rec := &syncBuffer{}
	srv := New(Options{IAM: reg, Deliver: k.deliver, DeadLetter: k.deadLetter, Record: rec, RetryDelay: time.Millisecond})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return env{srv: srv, url: hs.URL, sink: k, record: rec}
}

func (e env) client(account string) *eventbridge.Client {
	akid := map[string]string{platform: "AKIAPLATFORM00000001", owner: "AKIASOURCEOWNER00001", stranger: "AKIASTRANGER00000001"}[account]
	return eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(akid, "secret-"+account, "")})
}

// The platform's inbound bus admits S3 events from any account with one
// statement (conditioned on the event source); a source owner forwards
// its bucket's Object Created events to it with a rule, and the
// platform's rule delivers them. Nobody can put aws.s3 events by hand,
// and the bus refuses other sources from other accounts.
func TestS3EventsCrossAccountsThroughRules(t *testing.T) {
	e, ctx := start(t), context.Background()
	p, o, s := e.client(platform), e.client(owner), e.client(stranger)
	mustDo(t, func() error {
		_, err := p.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("inbound")})
		return err
	})
	mustDo(t, func() error {
		_, err := p.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("inbound"), Policy: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Sid":"s3-events","Effect":"Allow","Principal":"*","Action":"events:PutEvents",` +
				`"Resource":"` + inboundBus + `","Condition":{"StringEquals":{"events:source":"aws.s3"}}}]}`)})
		return err
	})
	mustRule(t, p, "inbound", "to-tasks", `{"source":["aws.s3"],"detail-type":["Object Created"]}`, types.Target{Id: aws.String("tasks"), Arn: aws.String(queueARN)})
	mustRule(t, o, "", "forward", `{"source":["aws.s3"],"detail":{"bucket":{"name":["src"]}}}`, types.Target{Id: aws.String("platform"), Arn: aws.String(inboundBus)})

	e.srv.Emit(owner, s3Created("other-bucket", "a.csv"))
	id := e.srv.Emit(owner, s3Created("src", "in/a.csv"))
	e.sink.wait(t)
	if len(e.sink.delivered) != 1 || !strings.Contains(e.sink.delivered[0].Input, `"id":"`+id+`"`) ||
		!strings.Contains(e.sink.delivered[0].Input, `"account":"`+owner+`"`) || e.sink.delivered[0].Target != queueARN {
		t.Fatalf("delivered %+v", e.sink.delivered)
	}
	for source, code := range map[string]string{"aws.s3": "NotAuthorizedForSourceException", "my.app": "AccessDeniedException"} {
		out, err := s.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
			EventBusName: aws.String(inboundBus), Source: aws.String(source), DetailType: aws.String("Object Created"),
			Detail: aws.String(`{"bucket":{"name":"src"},"object":{"key":"forged.csv"}}`)}}})
		if err != nil || out.FailedEntryCount != 1 || aws.ToString(out.Entries[0].ErrorCode) != code {
			t.Fatalf("a stranger puts %s events on the inbound bus: %+v %v", source, out, err)
		}
	}
	if !strings.Contains(e.record.String(), `"bus":"`+inboundBus+`"`) {
		t.Errorf("the inbound bus's events are not recorded: %s", e.record.String())
	}
}

// A target that keeps failing gets its retries, then the dead-letter
// queue with EventBridge's attributes; an error that cannot be retried
// goes there at once.
func TestFailedDeliveriesGoToTheDeadLetterQueue(t *testing.T) {
	e, ctx := start(t), context.Background()
	p := e.client(platform)
	mustRule(t, p, "", "to-tasks", `{"source":["my.app"]}`, types.Target{Id: aws.String("tasks"), Arn: aws.String(queueARN),
		DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlqARN)}, RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)}})
	for _, tc := range []struct {
		fail              error
		retries, exhausts string
	}{
		{errors.New("queue unavailable"), "2", "MaximumRetryAttempts"},
		{&DeliveryError{Code: "NO_PERMISSIONS", Message: "denied"}, "0", ""},
	} {
		e.sink.mu.Lock()
		e.sink.fail, e.sink.deadLetters = tc.fail, nil
		e.sink.mu.Unlock()
		put(t, p, "my.app")
		e.sink.wait(t)
		got := e.sink.deadLetters[0]
		if got["queue"] != dlqARN || got["TARGET_ARN"] != queueARN || got["RETRY_ATTEMPTS"] != tc.retries ||
			got["EXHAUSTED_RETRY_CONDITION"] != tc.exhausts || !strings.HasSuffix(got["RULE_ARN"], ":rule/to-tasks") || !strings.Contains(got["body"], `"source":"my.app"`) {
			t.Fatalf("%v: dead letter %v", tc.fail, got)
		}
	}
	if _, err := p.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"source":"x"}`)}); !errors.As(err, new(*types.InvalidEventPatternException)) {
		t.Errorf("an invalid pattern: %v", err)
	}
	if _, err := p.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("none"), Targets: []types.Target{{Id: aws.String("x"), Arn: aws.String(queueARN)}}}); !errors.As(err, new(*types.ResourceNotFoundException)) {
		t.Errorf("targets of a missing rule: %v", err)
	}
}

func mustDo(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

func mustRule(t *testing.T, c *eventbridge.Client, bus, name, pattern string, target types.Target) {
	t.Helper()
	ctx := context.Background()
	var busName *string
	if bus != "" {
		busName = aws.String(bus)
	}
	mustDo(t, func() error {
		_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: busName, EventPattern: aws.String(pattern)})
		return err
	})
	mustDo(t, func() error {
		_, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: busName, Targets: []types.Target{target}})
		return err
	})
}

func put(t *testing.T, c *eventbridge.Client, source string) {
	t.Helper()
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		Source: aws.String(source), DetailType: aws.String("Thing Happened"), Detail: aws.String(`{"n":1}`)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %+v %v", out, err)
	}
}

func s3Created(bucket, key string) Event {
	return Event{DetailType: "Object Created", Source: "aws.s3", Resources: []string{"arn:aws:s3:::" + bucket},
		Detail: map[string]any{"version": "0", "bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": key, "size": 1, "etag": "abc"}, "reason": "PutObject"}}
}

// Without a policy that admits it, another account's forwarded event is
// refused by the bus: the sender's rule gets NO_PERMISSIONS, at once.
func TestABusAdmitsOtherAccountsOnlyByItsPolicy(t *testing.T) {
	e, ctx := start(t), context.Background()
	p, o := e.client(platform), e.client(owner)
	mustDo(t, func() error {
		_, err := p.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("inbound")})
		return err
	})
	mustRule(t, p, "inbound", "to-tasks", `{"source":["aws.s3"]}`, types.Target{Id: aws.String("tasks"), Arn: aws.String(queueARN)})
	mustRule(t, o, "", "forward", `{"source":["aws.s3"]}`, types.Target{Id: aws.String("platform"), Arn: aws.String(inboundBus),
		DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:" + owner + ":dlq")}})
	e.srv.Emit(owner, s3Created("src", "a.csv"))
	e.sink.wait(t)
	if len(e.sink.delivered) != 0 || len(e.sink.deadLetters) != 1 || e.sink.deadLetters[0]["ERROR_CODE"] != "NO_PERMISSIONS" {
		t.Fatalf("delivered %v, dead letters %v", e.sink.delivered, e.sink.deadLetters)
	}
}
