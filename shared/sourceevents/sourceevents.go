// Package sourceevents says how S3 "Object Created" events travel from a
// source bucket's account to the platform: what the bucket's owner
// configures (the bucket's notification configuration, a rule on their
// default bus for that bucket and the datasets' prefixes, the role the
// rule forwards with) and the policy of the platform's inbound bus, which
// admits S3's events from any account with one statement, conditioned on
// the event's source (events:source, events:detail-type; a bus policy is
// at most 10 KB, so not one statement per account). The same values serve
// GET /connections/{id}/policies, the local owner (make source-events)
// and the CDK stack.
package sourceevents

import (
	"net/url"
	"slices"
	"strings"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// The events forwarded: S3's, of objects created.
const (
	Source     = "aws.s3"
	DetailType = "Object Created"
)

// NotificationConfiguration is the bucket's notification configuration
// (PutBucketNotificationConfiguration): every event to the owner's default
// bus; S3 filters nothing, the rule does.
var NotificationConfiguration = map[string]any{"EventBridgeConfiguration": map[string]any{}}

// Pattern is the owner's rule's event pattern: Object Created events of
// bucket, under one of prefixes ("" or none: the whole bucket). Keys in
// S3's events may be URL-encoded (AWS-FACTS §4.2), so a prefix whose
// encoding differs is matched in both forms.
func Pattern(bucket string, prefixes []string) map[string]any {
	detail := map[string]any{"bucket": map[string]any{"name": []string{bucket}}}
	var keys []any
	var seen []string
	for _, p := range prefixes {
		if p == "" {
			keys = nil
			break
		}
		for _, form := range []string{p, EncodeKey(p)} {
			if !slices.Contains(seen, form) {
				seen = append(seen, form)
				keys = append(keys, map[string]string{"prefix": form})
			}
		}
	}
	if len(keys) > 0 {
		detail["object"] = map[string]any{"key": keys}
	}
	return map[string]any{"source": []string{Source}, "detail-type": []string{DetailType}, "detail": detail}
}

// EncodeKey is a key as S3's notifications write it: URL-encoded, "/" kept.
func EncodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// DecodeKey is the object key an event names.
func DecodeKey(key string) (string, error) { return url.QueryUnescape(key) }

// RuleName is the owner's rule for bucket (at most 64 characters).
func RuleName(bucket string) string {
	name := "s3connections-" + bucket
	return name[:min(len(name), 64)]
}

// ForwarderRole is the role the owner's rule assumes to put the events on
// the platform's bus in another account.
const ForwarderRole = "s3connections-events-forwarder"

// ForwarderTrust lets EventBridge assume the forwarder role.
func ForwarderTrust() policy.Document {
	return policy.Document{Version: policy.Version, Statement: policy.Statements{{
		Sid: "EventBridgeForwardsS3Events", Effect: policy.Allow, Principal: policy.Principal{"Service": {"events.amazonaws.com"}},
		Action: policy.Strings{"sts:AssumeRole"},
	}}}
}

// ForwarderPermissions lets the forwarder role put events on the
// platform's inbound bus, and nowhere else.
func ForwarderPermissions(inboundBusARN string) policy.Document {
	return policy.Document{Version: policy.Version, Statement: policy.Statements{{
		Sid: "PutS3EventsOnThePlatformsBus", Effect: policy.Allow, Action: policy.Strings{"events:PutEvents"},
		Resource: policy.Strings{inboundBusARN},
	}}}
}

// InboundBusPolicy admits, from any account, only S3's Object Created
// events: a caller cannot put an aws.* source itself, so each such event
// is a real S3 event of a bucket of the sending account, which the events
// function then checks against the connection's S3BucketOwner.
func InboundBusPolicy(inboundBusARN string) policy.Document {
	return policy.Document{Version: policy.Version, Statement: policy.Statements{{
		Sid: "S3ObjectCreatedFromSourceAccounts", Effect: policy.Allow, Principal: policy.Principal{"AWS": {"*"}},
		Action: policy.Strings{"events:PutEvents"}, Resource: policy.Strings{inboundBusARN},
		Condition: policy.Conditions{"StringEquals": {"events:source": {Source}, "events:detail-type": {DetailType}}},
	}}}
}

// BusARN is the ARN of bus name in account and region.
func BusARN(partition, region, account, name string) string {
	return "arn:" + partition + ":events:" + region + ":" + account + ":event-bus/" + name
}
