package schedulerlocal

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// DeadLetters sends a message, with String message attributes, to the SQS
// queue arn names, as Scheduler does with the schedule's execution role.
type DeadLetters interface {
	Send(ctx context.Context, arn, body string, attrs map[string]string) error
}

// Values of the EXHAUSTED_RETRY_CONDITION attribute: which limit of the
// target's RetryPolicy ended the retries.
const (
	conditionRetries = "MaximumRetryAttempts"
	conditionAge     = "MaximumEventAgeInSeconds"
)

// targetError is what an SDK or stand-in error tells of the target's API
// error (smithy.APIError and lambdalocal.ServiceError both have it).
type targetError interface {
	ErrorCode() string
	ErrorMessage() string
}

// deadLetterAttributes are the message attributes of a dead-letter event:
// the target's error, which fire it was, and why retries stopped. Errors
// that are not the target API's are Scheduler's internal error, with its
// fixed message.
func deadLetterAttributes(t Target, condition string, err error) map[string]string {
	code, msg := "AWS.Scheduler.InternalServerError", "Unexpected error occurred while processing the request"
	var ae targetError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	return map[string]string{
		"ERROR_CODE":                code,
		"ERROR_MESSAGE":             msg,
		"EXECUTION_ID":              t.ExecutionID,
		"EXHAUSTED_RETRY_CONDITION": condition,
		"IS_PAYLOAD_TRUNCATED":      "false", // Input is at most 8,192 characters, SQS takes 256 KiB
		"RETRY_ATTEMPTS":            strconv.Itoa(t.Attempt - 1),
		"SCHEDULED_TIME":            t.ScheduledTime.UTC().Format(time.RFC3339),
		"SCHEDULE_ARN":              t.ScheduleArn,
		"TARGET_ARN":                t.Arn,
	}
}

// deadLetter sends the dead-letter event of fire t (its Input as the body)
// to the target's dead-letter queue, if it has one.
func (s *Server) deadLetter(j job, t Target, condition string, err error, log *slog.Logger) {
	if j.deadLetter == "" || s.deadLetters == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 30*time.Second)
	defer cancel()
	if serr := s.deadLetters.Send(ctx, j.deadLetter, t.Input, deadLetterAttributes(t, condition, err)); serr != nil {
		log.Error("schedule dead-letter queue not reached; the event is lost", slog.String("dlq", j.deadLetter), slog.Any("error", serr))
		return
	}
	log.Warn("schedule event sent to its dead-letter queue", slog.String("dlq", j.deadLetter))
}
