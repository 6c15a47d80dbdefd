package connection

import (
	"context"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/policy"
	"github.com/datalake-platform/s3connections/shared/sourceevents"
)

// EventsSetup is what the bucket's owner configures in their account so
// that the connection's event-driven datasets receive the bucket's
// Object Created events: the bucket's notification configuration
// (PutBucketNotificationConfiguration), a rule on their default bus
// (PutRule with EventPattern, then PutTargets with Target), and the role
// the rule assumes to put the events on the platform's inbound bus.
type EventsSetup struct {
	NotificationConfiguration map[string]any
	Rule                      EventsRule
	RoleName                  string
	RoleTrustPolicy           policy.Document
	RolePermissionsPolicy     policy.Document
}

// EventsRule is the owner's rule and its one target.
type EventsRule struct {
	Name         string
	EventBusName string
	EventPattern map[string]any
	Target       EventsTarget
}

// EventsTarget is the platform's inbound bus, reached with the forwarder role.
type EventsTarget struct {
	Id      string
	Arn     string
	RoleArn string
}

// eventsSetupFor is c's EventsSetup for the event-driven datasets among
// refs, or nil if there is none.
func eventsSetupFor(c Connection, refs []DatasetRef, inboundBusARN string) *EventsSetup {
	var prefixes []string
	for _, r := range refs {
		if r.Trigger == "events" {
			prefixes = append(prefixes, r.DirectoryPath)
		}
	}
	if len(prefixes) == 0 || inboundBusARN == "" {
		return nil
	}
	role := "arn:" + Partition(c.S3BucketRegion) + ":iam::" + c.S3BucketOwner + ":role/" + sourceevents.ForwarderRole
	return &EventsSetup{
		NotificationConfiguration: sourceevents.NotificationConfiguration,
		Rule: EventsRule{Name: sourceevents.RuleName(c.S3Bucket), EventBusName: "default",
			EventPattern: sourceevents.Pattern(c.S3Bucket, prefixes),
			Target:       EventsTarget{Id: "s3connections", Arn: inboundBusARN, RoleArn: role}},
		RoleName:              sourceevents.ForwarderRole,
		RoleTrustPolicy:       sourceevents.ForwarderTrust(),
		RolePermissionsPolicy: sourceevents.ForwarderPermissions(inboundBusARN),
	}
}

// refuseOwnerRemoval stops a connection from dropping S3BucketOwner while
// event-driven datasets use it: their events are accepted only from that
// account.
func (s *Service) refuseOwnerRemoval(ctx context.Context, c Connection) error {
	refs, err := s.Store.DatasetsOfConnection(ctx, c.ConnectionId)
	if err != nil {
		return err
	}
	var driven []DatasetRef
	for _, r := range refs {
		if r.Trigger == "events" {
			driven = append(driven, r)
		}
	}
	if len(driven) > 0 {
		return apperr.Conflict("S3BucketOwner", "connection %s has event-driven datasets %s, which accept events only from the bucket owner's account: set their Trigger to \"schedule\" first", c.ConnectionName, names(driven))
	}
	return nil
}
