package schedulerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

var ctx = context.Background()

func TestScheduleCRUD(t *testing.T) {
	clk := &clock{t: time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	start := clk.Now().Add(time.Hour)
	end := clk.Now().AddDate(1, 0, 0)

	arn := e.create(t, "nightly", "cron(0 2 * * ? *)", func(in *scheduler.CreateScheduleInput) {
		in.Description = aws.String("DataIngestion s-1")
		in.ScheduleExpressionTimezone = aws.String("Europe/Rome")
		in.StartDate, in.EndDate = &start, &end
		in.State = types.ScheduleStateDisabled
		in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)}
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)}
		in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")}
	})
	if want := "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly"; arn != want {
		t.Errorf("ScheduleArn = %s, want %s", arn, want)
	}

	got, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"Arn", aws.ToString(got.Arn), arn},
		{"Name", aws.ToString(got.Name), "nightly"},
		{"GroupName", aws.ToString(got.GroupName), "default"},
		{"Description", aws.ToString(got.Description), "DataIngestion s-1"},
		{"ScheduleExpression", aws.ToString(got.ScheduleExpression), "cron(0 2 * * ? *)"},
		{"ScheduleExpressionTimezone", aws.ToString(got.ScheduleExpressionTimezone), "Europe/Rome"},
		{"State", got.State, types.ScheduleStateDisabled},
		{"ActionAfterCompletion", got.ActionAfterCompletion, types.ActionAfterCompletionNone},
		{"StartDate", got.StartDate.Equal(start), true},
		{"EndDate", got.EndDate.Equal(end), true},
		{"CreationDate", got.CreationDate.Equal(clk.Now()), true},
		{"LastModificationDate", got.LastModificationDate.Equal(clk.Now()), true},
		{"Mode", got.FlexibleTimeWindow.Mode, types.FlexibleTimeWindowModeFlexible},
		{"MaximumWindowInMinutes", aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes), int32(15)},
		{"Target.Arn", aws.ToString(got.Target.Arn), plannerARN},
		{"Target.RoleArn", aws.ToString(got.Target.RoleArn), roleARN},
		{"Target.Input", aws.ToString(got.Target.Input), `{"ScheduleId":"nightly"}`},
		{"MaximumRetryAttempts", aws.ToInt32(got.Target.RetryPolicy.MaximumRetryAttempts), int32(2)},
		{"MaximumEventAgeInSeconds (default)", aws.ToInt32(got.Target.RetryPolicy.MaximumEventAgeInSeconds), int32(86400)},
		{"DeadLetterConfig", aws.ToString(got.Target.DeadLetterConfig.Arn), "arn:aws:sqs:us-east-1:000000000000:dlq"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("GetSchedule %s = %v, want %v", c.what, c.got, c.want)
		}
	}

	// UpdateSchedule replaces everything: what is left out returns to its
	// default, as on AWS.
	clk.Set(clk.Now().Add(time.Minute))
	upd, err := e.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name:               aws.String("nightly"),
		ScheduleExpression: aws.String("rate(6 hours)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(plannerARN), RoleArn: aws.String(roleARN)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.ScheduleArn) != arn {
		t.Errorf("UpdateSchedule ARN = %s", aws.ToString(upd.ScheduleArn))
	}
	got, err = e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != nil || got.StartDate != nil || got.EndDate != nil || got.Target.Input != nil ||
		got.State != types.ScheduleStateEnabled || aws.ToString(got.ScheduleExpressionTimezone) != "UTC" ||
		aws.ToString(got.ScheduleExpression) != "rate(6 hours)" || aws.ToInt32(got.Target.RetryPolicy.MaximumRetryAttempts) != 185 ||
		!got.CreationDate.Equal(clk.Now().Add(-time.Minute)) || !got.LastModificationDate.Equal(clk.Now()) {
		t.Errorf("after a full-replace update: %+v", got)
	}

	if _, err := e.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("nightly")}); err != nil {
		t.Fatal(err)
	}
	var nf *types.ResourceNotFoundException
	_, err = e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Schedule nightly does not exist." {
		t.Errorf("GetSchedule after delete: %v, want ResourceNotFoundException", err)
	}
	_, err = e.client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("nightly")})
	if !errors.As(err, &nf) {
		t.Errorf("DeleteSchedule twice: %v, want ResourceNotFoundException", err)
	}
	_, err = e.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String("nightly"), ScheduleExpression: aws.String("rate(1 hour)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             &types.Target{Arn: aws.String(plannerARN), RoleArn: aws.String(roleARN)},
	})
	if !errors.As(err, &nf) {
		t.Errorf("UpdateSchedule of a deleted schedule: %v, want ResourceNotFoundException", err)
	}
}

func TestCreateConflictAndClientTokenIdempotency(t *testing.T) {
	e := newEnv(t, nil)
	in := createInput("dup", "rate(1 hour)")
	in.ClientToken = aws.String("token-1")
	first, err := e.client.CreateSchedule(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK reuses ClientToken when it retries: a repeat succeeds.
	again, err := e.client.CreateSchedule(ctx, in)
	if err != nil || aws.ToString(again.ScheduleArn) != aws.ToString(first.ScheduleArn) {
		t.Fatalf("retry with the same ClientToken: %v, %v", again, err)
	}
	in.ClientToken = aws.String("token-2")
	_, err = e.client.CreateSchedule(ctx, in)
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != "Schedule dup already exists." {
		t.Fatalf("second create: %v, want ConflictException", err)
	}
	// Without a ClientToken the SDK generates one per call: a conflict.
	in.ClientToken = nil
	if _, err = e.client.CreateSchedule(ctx, in); !errors.As(err, &conflict) {
		t.Fatalf("create without token: %v, want ConflictException", err)
	}
	// A retried delete succeeds.
	del := &scheduler.DeleteScheduleInput{Name: aws.String("dup"), ClientToken: aws.String("del-1")}
	for i := 0; i < 2; i++ {
		if _, err := e.client.DeleteSchedule(ctx, del); err != nil {
			t.Fatalf("delete #%d with the same ClientToken: %v", i+1, err)
		}
	}
}

func TestValidationErrors(t *testing.T) {
	clk := &clock{t: time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	past := clk.Now().Add(-time.Hour)
	soon := clk.Now().Add(time.Hour)
	later := clk.Now().Add(2 * time.Hour)
	testCases := []struct {
		name   string
		mutate func(*scheduler.CreateScheduleInput)
		msg    string // the whole ValidationException message
	}{
		{"bad expression", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("rate(5 minute)") },
			`Invalid Schedule Expression rate(5 minute): rate unit "minute" needs value 1; use "minutes"`},
		{"cron without ?", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 12 * * * *)") },
			"Invalid Schedule Expression cron(0 12 * * * *): day-of-month and day-of-week cannot both be specified: use ? in one of them"},
		{"five-field cron", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 12 * * ?)") },
			"Invalid Schedule Expression cron(0 12 * * ?): cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"},
		{"bad time zone", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpressionTimezone = aws.String("Europe/Atlantis") },
			`Invalid ScheduleExpressionTimezone Europe/Atlantis: time zone "Europe/Atlantis" is not an IANA time zone name (e.g. UTC, Europe/Rome)`},
		{"bad name", func(in *scheduler.CreateScheduleInput) { in.Name = aws.String("no spaces") },
			"1 validation error detected: Value 'no spaces' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+"},
		{"long name", func(in *scheduler.CreateScheduleInput) { in.Name = aws.String(strings.Repeat("n", 65)) },
			"1 validation error detected: Value '" + strings.Repeat("n", 65) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"bad group name", func(in *scheduler.CreateScheduleInput) { in.GroupName = aws.String("a/b") },
			"1 validation error detected: Value 'a/b' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+"},
		{"FLEXIBLE without window", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible}
		}, "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE."},
		{"window too long", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(1441)}
		}, "1 validation error detected: Value '1441' at 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint: Member must have value between 1 and 1440"},
		{"OFF with window", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow.MaximumWindowInMinutes = aws.Int32(5)
		}, "MaximumWindowInMinutes is only allowed when FlexibleTimeWindow Mode is FLEXIBLE."},
		{"bad mode", func(in *scheduler.CreateScheduleInput) { in.FlexibleTimeWindow.Mode = "SOMETIMES" },
			"1 validation error detected: Value 'SOMETIMES' at 'flexibleTimeWindow.mode' failed to satisfy constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]"},
		{"bad state", func(in *scheduler.CreateScheduleInput) { in.State = "PAUSED" },
			"1 validation error detected: Value 'PAUSED' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"},
		{"bad action", func(in *scheduler.CreateScheduleInput) { in.ActionAfterCompletion = "ARCHIVE" },
			"1 validation error detected: Value 'ARCHIVE' at 'actionAfterCompletion' failed to satisfy constraint: Member must satisfy enum value set: [NONE, DELETE]"},
		{"role is not a role", func(in *scheduler.CreateScheduleInput) {
			in.Target.RoleArn = aws.String("arn:aws:iam::000000000000:user/bob")
		},
			`1 validation error detected: Value 'arn:aws:iam::000000000000:user/bob' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:iam::\d{12}:role\/(service-role\/){0,1}[a-zA-Z0-9\+=,\.@\-_]+`},
		{"Lambda input not JSON", func(in *scheduler.CreateScheduleInput) { in.Target.Input = aws.String("ScheduleId=s-1") },
			"Target.Input must be well-formed JSON for a lambda target."},
		{"empty input", func(in *scheduler.CreateScheduleInput) { in.Target.Input = aws.String("") },
			"1 validation error detected: Value '' at 'target.input' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"retry attempts out of range", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}
		}, "1 validation error detected: Value '186' at 'target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185"},
		{"event age out of range", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(59)}
		}, "1 validation error detected: Value '59' at 'target.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400"},
		{"StartDate an hour ago", func(in *scheduler.CreateScheduleInput) { in.StartDate = &past },
			"The StartDate you specify cannot be earlier than 5 minutes ago."},
		{"EndDate before StartDate", func(in *scheduler.CreateScheduleInput) { in.StartDate, in.EndDate = &later, &soon },
			"The EndDate you specify must be after the StartDate."},
		{"EndDate in the past", func(in *scheduler.CreateScheduleInput) { in.EndDate = &past },
			"The EndDate you specify cannot be earlier than the current time."},
		{"long description", func(in *scheduler.CreateScheduleInput) { in.Description = aws.String(strings.Repeat("d", 513)) },
			"1 validation error detected: Value '" + strings.Repeat("d", 100) + "...' at 'description' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"bad client token", func(in *scheduler.CreateScheduleInput) { in.ClientToken = aws.String("not ok!") },
			"1 validation error detected: Value 'not ok!' at 'clientToken' failed to satisfy constraint: Member must have length between 1 and 64 and satisfy regular expression pattern: [a-zA-Z0-9-_]+"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput("v", "rate(1 hour)")
			tc.mutate(in)
			_, err := e.client.CreateSchedule(ctx, in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("CreateSchedule: %v, want ValidationException", err)
			}
			if aws.ToString(ve.Message) != tc.msg {
				t.Errorf("message\n got: %s\nwant: %s", aws.ToString(ve.Message), tc.msg)
			}
		})
	}
	// Nothing was created.
	out, err := e.client.ListSchedules(ctx, &scheduler.ListSchedulesInput{})
	if err != nil || len(out.Schedules) != 0 {
		t.Errorf("ListSchedules after rejected creates: %v, %v", out, err)
	}
	// at() ignores StartDate and EndDate, as Scheduler does.
	e.create(t, "once", "at(2030-06-01T00:00:00)", func(in *scheduler.CreateScheduleInput) { in.StartDate = &past; in.EndDate = &past })
	// A schedule in a group that does not exist.
	in := createInput("orphan", "rate(1 hour)")
	in.GroupName = aws.String("nope")
	_, err = e.client.CreateSchedule(ctx, in)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Schedule group nope does not exist." {
		t.Errorf("create in a missing group: %v, want ResourceNotFoundException", err)
	}
}

// TestRawRequests covers what the SDK checks before sending (required
// members) and the error wire shape, for clients other than the SDK.
func TestRawRequests(t *testing.T) {
	e := newEnv(t, nil)
	testCases := []struct {
		name, method, path, body string
		status                   int
		errType, msg             string
	}{
		{"missing expression", "POST", "/schedules/x", `{"FlexibleTimeWindow":{"Mode":"OFF"},"Target":{"Arn":"a","RoleArn":"` + roleARN + `"}}`,
			400, "ValidationException", "ScheduleExpression is required."},
		{"missing window", "POST", "/schedules/x", `{"ScheduleExpression":"rate(1 hour)","Target":{"Arn":"a","RoleArn":"` + roleARN + `"}}`,
			400, "ValidationException", "FlexibleTimeWindow is required."},
		{"missing target", "POST", "/schedules/x", `{"ScheduleExpression":"rate(1 hour)","FlexibleTimeWindow":{"Mode":"OFF"}}`,
			400, "ValidationException", "Target is required."},
		{"missing role", "POST", "/schedules/x", `{"ScheduleExpression":"rate(1 hour)","FlexibleTimeWindow":{"Mode":"OFF"},"Target":{"Arn":"a"}}`,
			400, "ValidationException", "Target.RoleArn is required."},
		{"not JSON", "POST", "/schedules/x", `{`, 400, "SerializationException", ""},
		{"unknown route", "GET", "/nothing", "", 404, "UnknownOperationException", "No operation matches GET /nothing"},
		{"bad MaxResults", "GET", "/schedules?MaxResults=500", "", 400, "ValidationException",
			"1 validation error detected: Value '500' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"},
		{"bad NextToken", "GET", "/schedules?NextToken=not*base64", "", 400, "ValidationException", "The NextToken is not valid."},
		{"bad NamePrefix", "GET", "/schedule-groups?NamePrefix=1abc", "", 400, "ValidationException",
			"1 validation error detected: Value '1abc' at 'namePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z][0-9a-zA-Z-_]*$"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.url+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("x-amzn-errortype") != tc.errType {
				t.Fatalf("status %d, x-amzn-errortype %q; want %d %q (%s)", resp.StatusCode, resp.Header.Get("x-amzn-errortype"), tc.status, tc.errType, body)
			}
			if tc.msg != "" && !strings.Contains(string(body), `"Message":"`+jsonEscape(tc.msg)+`"`) {
				t.Errorf("body %s, want Message %q", body, tc.msg)
			}
		})
	}
}

func jsonEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`)
	return r.Replace(s)
}

func TestScheduleGroups(t *testing.T) {
	e := newEnv(t, nil)
	out, err := e.client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{
		Name: aws.String("s3conn"),
		Tags: []types.Tag{{Key: aws.String("project"), Value: aws.String("s3connections")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	groupARN := "arn:aws:scheduler:us-east-1:000000000000:schedule-group/s3conn"
	if aws.ToString(out.ScheduleGroupArn) != groupARN {
		t.Errorf("ScheduleGroupArn = %s", aws.ToString(out.ScheduleGroupArn))
	}
	var conflict *types.ConflictException
	if _, err := e.client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("s3conn")}); !errors.As(err, &conflict) {
		t.Errorf("second CreateScheduleGroup: %v, want ConflictException", err)
	}
	g, err := e.client.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("s3conn")})
	if err != nil || aws.ToString(g.Arn) != groupARN || g.State != types.ScheduleGroupStateActive || g.CreationDate == nil {
		t.Fatalf("GetScheduleGroup: %+v, %v", g, err)
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.client.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("GetScheduleGroup of a missing group: %v", err)
	}

	// Tags (schedule groups only, as on AWS).
	if _, err := e.client.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: aws.String(groupARN),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("data")}, {Key: aws.String("project"), Value: aws.String("s3c")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(ctx, &scheduler.UntagResourceInput{ResourceArn: aws.String(groupARN), TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.client.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: aws.String(groupARN)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "s3c" {
		t.Errorf("ListTagsForResource: %+v, %v", tags, err)
	}

	// Schedules in the group; deleting the group deletes them.
	e.create(t, "in-group", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) { in.GroupName = aws.String("s3conn") })
	e.create(t, "in-default", "rate(1 hour)")
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("in-group")}); !errors.As(err, &nf) {
		t.Errorf("GetSchedule without its group: %v, want ResourceNotFoundException", err)
	}
	if _, err := e.client.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("s3conn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("in-group"), GroupName: aws.String("s3conn")}); !errors.As(err, &nf) {
		t.Errorf("schedule of a deleted group: %v, want ResourceNotFoundException", err)
	}
	if _, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("in-default")}); err != nil {
		t.Errorf("schedule of another group: %v", err)
	}
	var ve *types.ValidationException
	if _, err := e.client.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("default")}); !errors.As(err, &ve) {
		t.Errorf("deleting the default group: %v, want ValidationException", err)
	}
	if _, err := e.client.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("s3conn")}); !errors.As(err, &nf) {
		t.Errorf("deleting a deleted group: %v, want ResourceNotFoundException", err)
	}

	// ListScheduleGroups: prefix and pagination.
	for i := 0; i < 5; i++ {
		if _, err := e.client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(fmt.Sprintf("team-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := scheduler.NewListScheduleGroupsPaginator(e.client, &scheduler.ListScheduleGroupsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.ScheduleGroups) > 2 {
			t.Fatalf("page of %d", len(page.ScheduleGroups))
		}
		for _, g := range page.ScheduleGroups {
			names = append(names, aws.ToString(g.Name))
		}
	}
	if want := []string{"default", "team-0", "team-1", "team-2", "team-3", "team-4"}; !slices.Equal(names, want) {
		t.Errorf("groups = %v, want %v", names, want)
	}
	pre, err := e.client.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{NamePrefix: aws.String("team")})
	if err != nil || len(pre.ScheduleGroups) != 5 {
		t.Errorf("NamePrefix team: %d groups, %v", len(pre.ScheduleGroups), err)
	}
}

func TestListSchedulesFiltersAndPages(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("g2")}); err != nil {
		t.Fatal(err)
	}
	type sched struct{ group, name, state string }
	all := []sched{
		{"default", "alpha", "ENABLED"}, {"default", "beta", "DISABLED"}, {"default", "ds-1", "ENABLED"},
		{"g2", "ds-2", "ENABLED"}, {"g2", "ds-3", "DISABLED"}, {"g2", "gamma", "ENABLED"}, {"g2", "ds-4", "ENABLED"},
	}
	for _, s := range all {
		e.create(t, s.name, "rate(1 hour)", func(in *scheduler.CreateScheduleInput) {
			in.GroupName, in.State = aws.String(s.group), types.ScheduleState(s.state)
		})
	}
	list := func(in *scheduler.ListSchedulesInput) []string {
		t.Helper()
		var got []string
		p := scheduler.NewListSchedulesPaginator(e.client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Schedules {
				if aws.ToString(s.Target.Arn) != plannerARN || s.CreationDate == nil {
					t.Errorf("summary %+v", s)
				}
				got = append(got, aws.ToString(s.GroupName)+"/"+aws.ToString(s.Name)+"/"+string(s.State))
			}
		}
		return got
	}
	testCases := []struct {
		name string
		in   *scheduler.ListSchedulesInput
		want []string
	}{
		{"all, in pages of 3", &scheduler.ListSchedulesInput{MaxResults: aws.Int32(3)}, []string{
			"default/alpha/ENABLED", "default/beta/DISABLED", "default/ds-1/ENABLED",
			"g2/ds-2/ENABLED", "g2/ds-3/DISABLED", "g2/ds-4/ENABLED", "g2/gamma/ENABLED"}},
		{"group", &scheduler.ListSchedulesInput{GroupName: aws.String("g2")}, []string{"g2/ds-2/ENABLED", "g2/ds-3/DISABLED", "g2/ds-4/ENABLED", "g2/gamma/ENABLED"}},
		{"prefix", &scheduler.ListSchedulesInput{NamePrefix: aws.String("ds-"), MaxResults: aws.Int32(1)}, []string{"default/ds-1/ENABLED", "g2/ds-2/ENABLED", "g2/ds-3/DISABLED", "g2/ds-4/ENABLED"}},
		{"state", &scheduler.ListSchedulesInput{State: types.ScheduleStateDisabled}, []string{"default/beta/DISABLED", "g2/ds-3/DISABLED"}},
		{"all filters", &scheduler.ListSchedulesInput{GroupName: aws.String("g2"), NamePrefix: aws.String("ds"), State: types.ScheduleStateEnabled}, []string{"g2/ds-2/ENABLED", "g2/ds-4/ENABLED"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.client.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("ListSchedules of a missing group: %v, want ResourceNotFoundException", err)
	}
}

// TestUpdateKeepsAStartedSchedulesDates: GetSchedule-then-UpdateSchedule
// must work once StartDate is in the past; a new past StartDate is refused.
func TestUpdateKeepsAStartedSchedulesDates(t *testing.T) {
	clk := &clock{t: time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, clk)
	start := clk.Now().Add(time.Minute)
	e.create(t, "started", "rate(1 hour)", func(in *scheduler.CreateScheduleInput) { in.StartDate = &start })
	clk.Set(clk.Now().Add(3 * time.Hour))
	got, err := e.client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("started")})
	if err != nil {
		t.Fatal(err)
	}
	upd := &scheduler.UpdateScheduleInput{
		Name: got.Name, GroupName: got.GroupName, ScheduleExpression: got.ScheduleExpression,
		StartDate: got.StartDate, FlexibleTimeWindow: got.FlexibleTimeWindow, Target: got.Target,
		Description: aws.String("renamed"),
	}
	if _, err := e.client.UpdateSchedule(ctx, upd); err != nil {
		t.Fatalf("update keeping StartDate: %v", err)
	}
	moved := start.Add(time.Hour) // still two hours ago
	upd.StartDate = &moved
	var ve *types.ValidationException
	if _, err := e.client.UpdateSchedule(ctx, upd); !errors.As(err, &ve) {
		t.Fatalf("update to another past StartDate: %v, want ValidationException", err)
	}
	// A bad update of a missing schedule is a 400, not a 404.
	upd.Name, upd.ScheduleExpression = aws.String("missing"), aws.String("rate(0 hours)")
	if _, err := e.client.UpdateSchedule(ctx, upd); !errors.As(err, &ve) {
		t.Fatalf("bad update of a missing schedule: %v, want ValidationException", err)
	}
}
