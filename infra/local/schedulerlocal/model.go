package schedulerlocal

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// Constraints of the Scheduler Smithy model (aws-models/scheduler.json).
var (
	namePattern        = regexp.MustCompile(`^[0-9a-zA-Z-_.]+$`)
	namePrefixPattern  = regexp.MustCompile(`^[a-zA-Z][0-9a-zA-Z-_]*$`)
	clientTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	roleArnPattern     = regexp.MustCompile(`^arn:aws(-[a-z]+)?:iam::\d{12}:role\/(service-role\/){0,1}[a-zA-Z0-9\+=,\.@\-_]+$`)
	kmsKeyArnPattern   = regexp.MustCompile(`^arn:aws(-[a-z]+)?:kms:[a-z0-9\-]+:\d{12}:(key|alias)\/[0-9a-zA-Z-_]*$`)
	sqsArnPattern      = regexp.MustCompile(`^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$`)
	groupArnPattern    = regexp.MustCompile(`^arn:aws(-[a-z]+)?:scheduler:[a-z0-9\-]+:\d{12}:schedule-group\/([0-9a-zA-Z-_.]+)$`)
)

// Enum values and defaults.
const (
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
	modeOff       = "OFF"
	modeFlexible  = "FLEXIBLE"
	actionNone    = "NONE"
	actionDelete  = "DELETE"
	defaultGroup  = "default"

	defaultMaxEventAge      = 86400 // seconds; also the maximum
	defaultMaxRetryAttempts = 185   // also the maximum
	startDateGrace          = 5 * time.Minute
)

// epoch is a timestamp in the REST-JSON wire form: seconds since the Unix
// epoch as a JSON number, with a fraction for sub-second precision.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e13 {
		return fmt.Errorf("timestamp %s is not a number of seconds since the epoch", b)
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC())
	return nil
}

func epochPtr(t *time.Time) *epoch {
	if t == nil {
		return nil
	}
	e := epoch(*t)
	return &e
}

func timePtr(e *epoch) *time.Time {
	if e == nil {
		return nil
	}
	t := time.Time(*e)
	return &t
}

// flexibleTimeWindow is types.FlexibleTimeWindow on the wire.
type flexibleTimeWindow struct {
	Mode                   string `json:"Mode,omitempty"`
	MaximumWindowInMinutes *int32 `json:"MaximumWindowInMinutes,omitempty"`
}

type retryPolicy struct {
	MaximumEventAgeInSeconds *int32 `json:"MaximumEventAgeInSeconds,omitempty"`
	MaximumRetryAttempts     *int32 `json:"MaximumRetryAttempts,omitempty"`
}

type deadLetterConfig struct {
	Arn *string `json:"Arn,omitempty"`
}

// target is types.Target on the wire. The templated-target parameters are
// kept as raw JSON: stored and returned, never interpreted.
type target struct {
	Arn                         *string           `json:"Arn,omitempty"`
	RoleArn                     *string           `json:"RoleArn,omitempty"`
	Input                       *string           `json:"Input,omitempty"`
	RetryPolicy                 *retryPolicy      `json:"RetryPolicy,omitempty"`
	DeadLetterConfig            *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	EcsParameters               json.RawMessage   `json:"EcsParameters,omitempty"`
	EventBridgeParameters       json.RawMessage   `json:"EventBridgeParameters,omitempty"`
	KinesisParameters           json.RawMessage   `json:"KinesisParameters,omitempty"`
	SageMakerPipelineParameters json.RawMessage   `json:"SageMakerPipelineParameters,omitempty"`
	SqsParameters               json.RawMessage   `json:"SqsParameters,omitempty"`
}

// scheduleInput is the body of CreateSchedule and UpdateSchedule.
type scheduleInput struct {
	ActionAfterCompletion      string              `json:"ActionAfterCompletion"`
	ClientToken                *string             `json:"ClientToken"`
	Description                *string             `json:"Description"`
	EndDate                    *epoch              `json:"EndDate"`
	FlexibleTimeWindow         *flexibleTimeWindow `json:"FlexibleTimeWindow"`
	GroupName                  *string             `json:"GroupName"`
	KmsKeyArn                  *string             `json:"KmsKeyArn"`
	ScheduleExpression         *string             `json:"ScheduleExpression"`
	ScheduleExpressionTimezone *string             `json:"ScheduleExpressionTimezone"`
	StartDate                  *epoch              `json:"StartDate"`
	State                      string              `json:"State"`
	Target                     *target             `json:"Target"`
}

// scheduleOutput is GetScheduleOutput on the wire.
type scheduleOutput struct {
	ActionAfterCompletion      string             `json:"ActionAfterCompletion"`
	Arn                        string             `json:"Arn"`
	CreationDate               epoch              `json:"CreationDate"`
	Description                *string            `json:"Description,omitempty"`
	EndDate                    *epoch             `json:"EndDate,omitempty"`
	FlexibleTimeWindow         flexibleTimeWindow `json:"FlexibleTimeWindow"`
	GroupName                  string             `json:"GroupName"`
	KmsKeyArn                  *string            `json:"KmsKeyArn,omitempty"`
	LastModificationDate       epoch              `json:"LastModificationDate"`
	Name                       string             `json:"Name"`
	ScheduleExpression         string             `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string             `json:"ScheduleExpressionTimezone"`
	StartDate                  *epoch             `json:"StartDate,omitempty"`
	State                      string             `json:"State"`
	Target                     target             `json:"Target"`
}

type scheduleSummary struct {
	Arn                  string            `json:"Arn"`
	CreationDate         epoch             `json:"CreationDate"`
	GroupName            string            `json:"GroupName"`
	LastModificationDate epoch             `json:"LastModificationDate"`
	Name                 string            `json:"Name"`
	State                string            `json:"State"`
	Target               map[string]string `json:"Target"`
}

type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type groupSummary struct {
	Arn                  string `json:"Arn"`
	CreationDate         epoch  `json:"CreationDate"`
	LastModificationDate epoch  `json:"LastModificationDate"`
	Name                 string `json:"Name"`
	State                string `json:"State"`
}

// scheduleSpec is a validated CreateSchedule or UpdateSchedule request.
type scheduleSpec struct {
	group       string
	clientToken string
	description *string
	expr        scheduleexpr.Expression
	timezone    string
	startDate   *time.Time
	endDate     *time.Time
	state       string
	flex        flexibleTimeWindow
	target      target
	kmsKeyArn   *string
	action      string
}

func validateName(member, name string) *apiError {
	switch {
	case len(name) < 1:
		return errConstraint(name, member, "Member must have length greater than or equal to 1")
	case len(name) > 64:
		return errConstraint(name, member, "Member must have length less than or equal to 64")
	case !namePattern.MatchString(name):
		return errConstraint(name, member, "Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+")
	}
	return nil
}

func validateClientToken(tok *string) *apiError {
	if tok == nil {
		return nil
	}
	if len(*tok) < 1 || len(*tok) > 64 || !clientTokenPattern.MatchString(*tok) {
		return errConstraint(*tok, "clientToken", "Member must have length between 1 and 64 and satisfy regular expression pattern: [a-zA-Z0-9-_]+")
	}
	return nil
}

// validateSchedule checks a CreateSchedule or UpdateSchedule body against
// the model and Scheduler's documented rules. now is for the StartDate and
// EndDate checks, which an update that keeps prev's dates passes (so that
// GetSchedule-then-UpdateSchedule works on a schedule that has started);
// prev is nil for a create.
func validateSchedule(in *scheduleInput, now time.Time, prev *scheduleSpec) (*scheduleSpec, *apiError) {
	sp := &scheduleSpec{group: defaultGroup, description: in.Description, kmsKeyArn: in.KmsKeyArn}
	if in.GroupName != nil {
		if err := validateName("groupName", *in.GroupName); err != nil {
			return nil, err
		}
		sp.group = *in.GroupName
	}
	if err := validateClientToken(in.ClientToken); err != nil {
		return nil, err
	}
	if in.ClientToken != nil {
		sp.clientToken = *in.ClientToken
	}
	if in.Description != nil && len(*in.Description) > 512 {
		return nil, errConstraint(truncate(*in.Description), "description", "Member must have length less than or equal to 512")
	}

	// Expression and time zone.
	if in.ScheduleExpression == nil {
		return nil, errValidation("ScheduleExpression is required.")
	}
	if *in.ScheduleExpression == "" {
		return nil, errConstraint("", "scheduleExpression", "Member must have length greater than or equal to 1")
	}
	if in.ScheduleExpressionTimezone != nil {
		tz := *in.ScheduleExpressionTimezone
		if len(tz) < 1 || len(tz) > 50 {
			return nil, errConstraint(tz, "scheduleExpressionTimezone", "Member must have length between 1 and 50")
		}
		sp.timezone = tz
	}
	expr, err := scheduleexpr.Parse(*in.ScheduleExpression, sp.timezone)
	if err != nil {
		if pe, ok := err.(*scheduleexpr.Error); ok && pe.Field == "timezone" {
			return nil, errValidation("Invalid ScheduleExpressionTimezone %s: %s", sp.timezone, err)
		}
		return nil, errValidation("Invalid Schedule Expression %s: %s", truncate(*in.ScheduleExpression), err)
	}
	sp.expr = expr
	sp.timezone = expr.Timezone()

	// State, action.
	switch in.State {
	case "":
		sp.state = stateEnabled
	case stateEnabled, stateDisabled:
		sp.state = in.State
	default:
		return nil, errConstraint(in.State, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	switch in.ActionAfterCompletion {
	case "":
		sp.action = actionNone
	case actionNone, actionDelete:
		sp.action = in.ActionAfterCompletion
	default:
		return nil, errConstraint(in.ActionAfterCompletion, "actionAfterCompletion", "Member must satisfy enum value set: [NONE, DELETE]")
	}

	// Flexible time window.
	if in.FlexibleTimeWindow == nil {
		return nil, errValidation("FlexibleTimeWindow is required.")
	}
	sp.flex = *in.FlexibleTimeWindow
	switch sp.flex.Mode {
	case modeOff:
		if sp.flex.MaximumWindowInMinutes != nil {
			return nil, errValidation("MaximumWindowInMinutes is only allowed when FlexibleTimeWindow Mode is FLEXIBLE.")
		}
	case modeFlexible:
		w := sp.flex.MaximumWindowInMinutes
		if w == nil {
			return nil, errValidation("MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.")
		}
		if *w < 1 || *w > 1440 {
			return nil, errConstraint(*w, "flexibleTimeWindow.maximumWindowInMinutes", "Member must have value between 1 and 1440")
		}
	case "":
		return nil, errValidation("FlexibleTimeWindow.Mode is required.")
	default:
		return nil, errConstraint(sp.flex.Mode, "flexibleTimeWindow.mode", "Member must satisfy enum value set: [OFF, FLEXIBLE]")
	}

	if err := validateTarget(in.Target); err != nil {
		return nil, err
	}
	sp.target = *in.Target
	if sp.target.RetryPolicy == nil {
		sp.target.RetryPolicy = &retryPolicy{}
	}
	if sp.target.RetryPolicy.MaximumEventAgeInSeconds == nil {
		v := int32(defaultMaxEventAge)
		sp.target.RetryPolicy.MaximumEventAgeInSeconds = &v
	}
	if sp.target.RetryPolicy.MaximumRetryAttempts == nil {
		v := int32(defaultMaxRetryAttempts)
		sp.target.RetryPolicy.MaximumRetryAttempts = &v
	}

	if in.KmsKeyArn != nil && (len(*in.KmsKeyArn) > 2048 || !kmsKeyArnPattern.MatchString(*in.KmsKeyArn)) {
		return nil, errConstraint(*in.KmsKeyArn, "kmsKeyArn", "Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:kms:[a-z0-9\\-]+:\\d{12}:(key|alias)\\/[0-9a-zA-Z-_]*")
	}

	// Dates: stored for every schedule, enforced for recurring ones only
	// (Scheduler ignores them for at()).
	sp.startDate, sp.endDate = timePtr(in.StartDate), timePtr(in.EndDate)
	if expr.Recurring() {
		keptStart := prev != nil && sameTime(prev.startDate, sp.startDate)
		keptEnd := prev != nil && sameTime(prev.endDate, sp.endDate)
		if sp.startDate != nil && !keptStart && sp.startDate.Before(now.Add(-startDateGrace)) {
			return nil, errValidation("The StartDate you specify cannot be earlier than 5 minutes ago.")
		}
		if sp.endDate != nil {
			if !keptEnd && !sp.endDate.After(now) {
				return nil, errValidation("The EndDate you specify cannot be earlier than the current time.")
			}
			if sp.startDate != nil && !sp.endDate.After(*sp.startDate) {
				return nil, errValidation("The EndDate you specify must be after the StartDate.")
			}
		}
	}
	return sp, nil
}

func validateTarget(t *target) *apiError {
	if t == nil {
		return errValidation("Target is required.")
	}
	if t.Arn == nil || *t.Arn == "" {
		return errValidation("Target.Arn is required.")
	}
	if len(*t.Arn) > 1600 {
		return errConstraint(truncate(*t.Arn), "target.arn", "Member must have length less than or equal to 1600")
	}
	if t.RoleArn == nil || *t.RoleArn == "" {
		return errValidation("Target.RoleArn is required.")
	}
	if len(*t.RoleArn) > 1600 || !roleArnPattern.MatchString(*t.RoleArn) {
		return errConstraint(truncate(*t.RoleArn), "target.roleArn", "Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/(service-role\\/){0,1}[a-zA-Z0-9\\+=,\\.@\\-_]+")
	}
	if t.Input != nil {
		if len(*t.Input) < 1 {
			return errConstraint("", "target.input", "Member must have length greater than or equal to 1")
		}
		// Scheduler requires JSON for templated Lambda, Step Functions and
		// EventBridge targets.
		if isTemplatedJSONTarget(*t.Arn) && !json.Valid([]byte(contextAttributes.Replace(*t.Input))) {
			return errValidation("Target.Input must be well-formed JSON for a %s target.", arnService(*t.Arn))
		}
	}
	if rp := t.RetryPolicy; rp != nil {
		if v := rp.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > defaultMaxEventAge) {
			return errConstraint(*v, "target.retryPolicy.maximumEventAgeInSeconds", "Member must have value between 60 and 86400")
		}
		if v := rp.MaximumRetryAttempts; v != nil && (*v < 0 || *v > defaultMaxRetryAttempts) {
			return errConstraint(*v, "target.retryPolicy.maximumRetryAttempts", "Member must have value between 0 and 185")
		}
	}
	if dl := t.DeadLetterConfig; dl != nil && dl.Arn != nil && !sqsArnPattern.MatchString(*dl.Arn) {
		return errConstraint(*dl.Arn, "target.deadLetterConfig.arn", "Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+")
	}
	return nil
}

// contextAttributes stands a JSON number in for each context attribute, so
// that an Input is judged as JSON as it will be once substituted (an
// attribute may sit inside a string or, like the attempt number, be one).
var contextAttributes = strings.NewReplacer(
	"<aws.scheduler.schedule-arn>", "0",
	"<aws.scheduler.scheduled-time>", "0",
	"<aws.scheduler.execution-id>", "0",
	"<aws.scheduler.attempt-number>", "0",
)

// isTemplatedJSONTarget reports whether arn is a Lambda function, a Step
// Functions state machine or an EventBridge bus.
func isTemplatedJSONTarget(arn string) bool {
	switch arnService(arn) {
	case "lambda", "states", "events":
		return true
	}
	return false
}

func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || parts[0] != "arn" {
		return ""
	}
	return parts[2]
}

func validateTags(tags []tag) *apiError {
	if len(tags) > 200 {
		return errConstraint(len(tags), "tags", "Member must have length less than or equal to 200")
	}
	for _, t := range tags {
		if t.Key == nil || len(*t.Key) < 1 || len(*t.Key) > 128 {
			return errValidation("Tag keys are required and must have length between 1 and 128.")
		}
		if t.Value == nil || len(*t.Value) < 1 || len(*t.Value) > 256 {
			return errValidation("Tag values are required and must have length between 1 and 256.")
		}
	}
	return nil
}

// truncate keeps echoed user input short in messages.
func truncate(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
