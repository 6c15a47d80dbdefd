// Package schedulerlocal is the platform's local stand-in for Amazon
// EventBridge Scheduler: an in-process [http.Handler] that speaks the
// Scheduler REST-JSON API, and a firing loop that calls Options.Fire with a
// schedule's target at the times its expression gives.
//
// On AWS the platform creates one Scheduler schedule per DataIngestion
// schedule and Scheduler invokes the planner Lambda. Locally the same
// github.com/aws/aws-sdk-go-v2/service/scheduler client is pointed at this
// server (BaseEndpoint = the server's URL), and Fire invokes the planner in
// the local Lambda runtime:
//
//	srv := schedulerlocal.New(schedulerlocal.Options{
//		Fire: func(ctx context.Context, t schedulerlocal.Target) error {
//			_, err := lambdaRuntime.InvokeAsync(t.Arn, []byte(t.Input)) // lambdalocal
//			return err
//		},
//	})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	defer srv.Close() // runs first: stops firing, waits for fires in flight
//	client := scheduler.New(scheduler.Options{
//		Region:       "us-east-1",
//		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
//		BaseEndpoint: aws.String(ts.URL),
//	})
//
// # Implemented
//
// CreateSchedule, GetSchedule, UpdateSchedule (a full replace, as on AWS:
// optional fields left out return to their defaults), DeleteSchedule,
// ListSchedules (ScheduleGroup, NamePrefix and State filters, MaxResults
// and NextToken pagination), CreateScheduleGroup, GetScheduleGroup,
// DeleteScheduleGroup (deletes the group's schedules), ListScheduleGroups,
// TagResource, UntagResource and ListTagsForResource (schedule groups only,
// as on AWS). The "default" group always exists and cannot be deleted.
//
// Requests are validated with the constraints of the Scheduler Smithy model
// (name lengths and patterns, enums, ranges, required members) and
// ScheduleExpression with [scheduleexpr.Parse], whose message is part of the
// ValidationException; RoleArn must be an IAM role ARN, Input to a Lambda
// target must be JSON, FLEXIBLE needs MaximumWindowInMinutes (and OFF must
// not have one), a recurring schedule's StartDate may be at most 5 minutes in
// the past and its EndDate must be after StartDate and now. Errors use the
// REST-JSON shape (x-amzn-errortype header, {"Message": ...} body, the
// model's status codes), so the SDK returns *types.ValidationException,
// *types.ResourceNotFoundException and *types.ConflictException. ClientToken
// makes a retried CreateSchedule, CreateScheduleGroup or DeleteSchedule
// succeed instead of failing with a conflict or not-found (the SDK fills
// ClientToken and reuses it across its retries).
//
// # Firing
//
// One goroutine sleeps on one timer set to the soonest next fire time of
// all ENABLED schedules (a min-heap keyed by that time), and is woken to
// recompute it whenever a schedule changes. When it wakes it fires every
// schedule whose time has come and computes each one's next time strictly
// after now, so a fire time missed while the process was busy (or the clock
// jumped) fires once, not as a burst of catch-up calls. A single sleep lasts
// at most a minute, because Go timers stop while the machine is suspended
// and the wall clock does not.
//
// Fire times follow Scheduler: rate() fires at its StartDate or, without
// one, at once when the schedule is created, and then every period (the
// series keeps its anchor across updates that change neither the
// expression, its time zone nor StartDate, so disabling and re-enabling
// does not shift it); cron() fires at the matching wall-clock minutes of
// ScheduleExpressionTimezone, with Scheduler's daylight-saving rules (see
// package scheduleexpr); a recurring schedule fires only at times t with
// StartDate <= t < EndDate; at() fires once at its time (StartDate and
// EndDate are ignored, as on AWS) and, with ActionAfterCompletion DELETE, is
// then deleted; so is a recurring schedule with DELETE once its EndDate or
// year range leaves it nothing to fire. An at() whose time has already
// passed is accepted and never fires. DISABLED schedules do not fire.
// Flexible time windows fire at the start of the window (a time AWS may
// also pick).
//
// Each fire runs in its own goroutine: Fire gets the target with Input after
// Scheduler's context-attribute substitution (<aws.scheduler.schedule-arn>,
// <aws.scheduler.scheduled-time>, <aws.scheduler.execution-id>,
// <aws.scheduler.attempt-number>); any other Input, or none, is delivered
// verbatim. A Fire that returns an error is logged and retried with
// exponential backoff (Options.RetryDelay, doubling, at most one minute)
// within the target's RetryPolicy: MaximumRetryAttempts retries (default
// 185) while the event is younger than MaximumEventAgeInSeconds (default
// 86400). A fire that exhausts its RetryPolicy goes to the target's
// DeadLetterConfig queue, through Options.DeadLetters (the local SQS:
// sqslocal.ARNSender), as Scheduler's dead-letter event: the Input as the
// body and the String attributes ERROR_CODE and ERROR_MESSAGE (the
// target API's, read from an error with ErrorCode and ErrorMessage, or
// AWS.Scheduler.InternalServerError), EXECUTION_ID,
// EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts or
// MaximumEventAgeInSeconds), IS_PAYLOAD_TRUNCATED, RETRY_ATTEMPTS,
// SCHEDULED_TIME, SCHEDULE_ARN and TARGET_ARN. Every error is treated as
// retryable. Close cancels the context given to Fire and waits for the
// fire goroutines to return.
//
// # Not implemented
//
// Persistence: schedules live in memory and are lost when the process
// exits. Also: authentication and SigV4 checks, KMS encryption (KmsKeyArn is
// validated and stored only), non-retryable target errors (Scheduler
// sends those to the dead-letter queue at once), templated-target parameters other than Input (EcsParameters and
// the like are stored and returned verbatim), random placement inside a
// flexible time window, the DELETING state of schedule groups (deletion is
// immediate), and service quotas and throttling.
package schedulerlocal
