// Package eventbridgelocal is the local platform's stand-in for Amazon
// EventBridge event buses: an http.Handler speaking AWS JSON 1.1
// (X-Amz-Target AWSEvents.<Op>) for CreateEventBus, DeleteEventBus,
// DescribeEventBus, PutPermission, PutRule, DeleteRule, DescribeRule,
// PutTargets, RemoveTargets, ListTargetsByRule and PutEvents, for the
// real SDK client (AWS_ENDPOINT_URL_EVENTBRIDGE).
//
// What it models, as ../shared/AWS-FACTS.md §4 states it:
//
//   - Accounts: each request is SigV4-signed (service "events") by a key of
//     an iamlocal registry and acts in the caller's account; each account
//     has its default bus. Identity policies and the bus's resource policy
//     (PutPermission, 10 KB at most) decide each action, across accounts
//     both, with events:source and events:detail-type as condition keys of
//     PutEvents.
//   - Events: PutEvents answers per entry, in order; a missing Source,
//     DetailType or Detail, or a Detail that is not a JSON object, fails
//     its entry; sources starting with "aws." are refused to callers
//     (NotAuthorizedForSourceException): only Emit, for an AWS service such
//     as S3, puts them.
//   - Rules and event patterns (pattern.go: literals, prefix, suffix,
//     equals-ignore-case, wildcard, anything-but, numeric, exists, cidr,
//     $or; InvalidEventPatternException otherwise), five targets per rule.
//   - Delivery (delivery.go): at least once, in no order, with each
//     target's RetryPolicy and dead-letter queue; a bus target in another
//     account receives the event unchanged if its policy admits the
//     sending account, and an event received from another account is not
//     forwarded to a third.
//   - Options.Record receives every accepted event, one JSON line each.
//
// Not provided: schedule rules (EventBridge Scheduler has its own
// stand-in), InputTransformer, archives and replays, API destinations,
// partner buses, endpoints, ListRules and the other read APIs, tags.
// State lives in memory.
package eventbridgelocal
