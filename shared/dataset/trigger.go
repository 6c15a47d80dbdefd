package dataset

import (
	"context"
	"fmt"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// Trigger is what makes a dataset's files arrive: its schedules' runs
// (which list the source), or the source's S3 events, each object within
// seconds of its write, with the schedules' runs reconciling what the
// events missed.
type Trigger string

// Triggers.
const (
	OnSchedule Trigger = "schedule"
	OnEvents   Trigger = "events"
)

// Or is t, or the default (OnSchedule) when unset.
func (t Trigger) Or() Trigger {
	if t == "" {
		return OnSchedule
	}
	return t
}

// EventDriven says whether d ingests from its source's events.
func (d Dataset) EventDriven() bool { return d.Trigger == OnEvents }

// normalizeTrigger checks a Trigger given for a dataset on c: an
// event-driven dataset's connection names the bucket's owner, as the
// platform accepts an event only from that account.
func normalizeTrigger(t Trigger, c connection.Connection) (Trigger, error) {
	switch t.Or() {
	case OnSchedule:
		return "", nil
	case OnEvents:
		if c.S3BucketOwner == "" {
			return "", apperr.Invalid("Trigger", "%q needs the connection's S3BucketOwner: the platform accepts a bucket's events only from its owner's account; set it on connection %s first", OnEvents, c.ConnectionName)
		}
		return OnEvents, nil
	}
	return "", apperr.Invalid("Trigger", "must be %q or %q", OnSchedule, OnEvents)
}

// updateTrigger applies an update's Trigger to d.
func (s *Service) updateTrigger(ctx context.Context, d *Dataset, t Trigger) error {
	conn, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return fmt.Errorf("read connection %s: %w", d.ConnectionId, err)
	}
	if d.Trigger, err = normalizeTrigger(t, conn); err != nil {
		return err
	}
	d.EventBucket = ""
	if d.EventDriven() {
		d.EventBucket = conn.S3Bucket
	}
	return nil
}
