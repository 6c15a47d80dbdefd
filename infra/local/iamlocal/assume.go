package iamlocal

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// AssumeRoleInput is an sts:AssumeRole request.
type AssumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	ExternalId      string // "" when not sent
	Duration        time.Duration
	Tags            []Tag
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// Session is what AssumeRole issues.
type Session struct {
	AccessKeyId, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	AssumedRoleArn, AssumedRoleId              string
}

// Error is an STS error: its status, code and message as AWS sends them.
type Error struct {
	Status        int
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

var (
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalID  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	roleARN     = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
)

func validation(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
}

// AssumeRole issues a session of in.RoleArn to caller if the role's trust
// policy (and, across accounts, the caller's identity policy) allows
// sts:AssumeRole, and sts:TagSession when tags are passed; the ExternalId
// and the requested tags are condition keys (sts:ExternalId,
// aws:RequestTag/<key>), as in AWS.
func (r *Registry) AssumeRole(caller Principal, in AssumeRoleInput, now time.Time) (Session, error) {
	if err := checkInput(caller, in); err != nil {
		return Session{}, err
	}
	denied := &Error{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleArn)}
	role, ok := r.role(in.RoleArn)
	if !ok {
		return Session{}, denied
	}
	ctx := map[string]string{}
	if in.ExternalId != "" {
		ctx["sts:ExternalId"] = in.ExternalId
	}
	for _, t := range in.Tags {
		ctx["aws:RequestTag/"+t.Key] = t.Value
	}
	req := Request{Principal: caller, Action: "sts:AssumeRole", Resource: role.ARN, ResourceAccount: Account(role.ARN), Context: ctx}
	if !Allowed(req, &role.Trust) {
		return Session{}, denied
	}
	if len(in.Tags) > 0 {
		req.Action = "sts:TagSession"
		if !Allowed(req, &role.Trust) {
			denied.Message = fmt.Sprintf("User: %s is not authorized to perform: sts:TagSession on resource: %s", caller.ARN, in.RoleArn)
			return Session{}, denied
		}
	}
	return r.issue(role, in, now)
}

func checkInput(caller Principal, in AssumeRoleInput) error {
	if !roleARN.MatchString(in.RoleArn) {
		return validation(in.RoleArn + " is invalid")
	}
	if !sessionName.MatchString(in.RoleSessionName) {
		return validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", in.RoleSessionName))
	}
	if in.ExternalId != "" && !externalID.MatchString(in.ExternalId) {
		return validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", in.ExternalId))
	}
	if in.Duration != 0 && (in.Duration < 15*time.Minute || in.Duration > 12*time.Hour) {
		return validation("The requested DurationSeconds is outside the allowed range of 900 to 43200 seconds.")
	}
	if caller.RoleARN != "" && in.Duration > time.Hour {
		return validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	seen := map[string]bool{}
	for _, t := range in.Tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
		}
		seen[k] = true
	}
	if len(in.Tags) > 50 {
		return validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	return nil
}

func (r *Registry) issue(role Role, in AssumeRoleInput, now time.Time) (Session, error) {
	d := in.Duration
	if d == 0 {
		d = time.Hour
	}
	max := role.MaxSession
	if max == 0 {
		max = time.Hour
	}
	if d > max {
		return Session{}, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	name := role.ARN[strings.LastIndex(role.ARN, "/")+1:]
	account := Account(role.ARN)
	s := Session{
		AccessKeyId:     "ASIA" + random(16, upper),
		SecretAccessKey: random(40, upper+"abcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken:    token(),
		Expiration:      now.Add(d).UTC().Truncate(time.Second),
		AssumedRoleArn:  "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + in.RoleSessionName,
		AssumedRoleId:   "AROA" + strings.ToUpper(fmt.Sprintf("%016x", hash(role.ARN))) + ":" + in.RoleSessionName,
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	r.addSession(s.AccessKeyId, Key{
		Secret: s.SecretAccessKey, Token: s.SessionToken, Expires: s.Expiration,
		Principal: Principal{Account: account, ARN: s.AssumedRoleArn, RoleARN: role.ARN, Tags: tags, Policies: role.Policies},
	})
	return s, nil
}

// hash is FNV-1a, a stable role id.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
