package iamlocal

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// AssumeRoleInput is an sts:AssumeRole request, as the local STS passes it
// on.
type AssumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	ExternalId      string        // "" when not sent
	Duration        time.Duration // 0 when not sent: one hour
	Tags            []Tag
	// TransitiveTagKeys are the keys of Tags that sessions the new session
	// starts inherit.
	TransitiveTagKeys []string
}

// Tag is a session tag: policies read it as aws:PrincipalTag/<Key>.
type Tag struct{ Key, Value string }

// Session is what AssumeRole issues: the credentials and the identity
// STS returns to the caller.
type Session struct {
	AccessKeyId, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	AssumedRoleArn, AssumedRoleId              string
}

// Error is an STS or IAM error: its status, code and message as AWS sends
// them, so the local STS and IAM endpoints can send them on unchanged.
type Error struct {
	Status        int
	Code, Message string
}

// Error makes *Error an error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

var (
	sessionName = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalID  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	roleARN     = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	tagChars    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

func validation(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
}

func invalidParameter(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: msg}
}

// constraint is AWS's message for one violated model constraint.
func constraint(value any, field, rule string) *Error {
	return validation(fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must %s", value, field, rule))
}

// AssumeRole issues a session of in.RoleArn to caller if the role's trust
// policy (and, across accounts or when the trust policy names only the
// caller's account, the caller's identity policy) allows sts:AssumeRole,
// and sts:TagSession when tags are passed; the ExternalId, the session
// name and the requested tags are condition keys (sts:ExternalId,
// sts:RoleSessionName, aws:RequestTag/<key>), as in AWS.
func (r *Registry) AssumeRole(caller Principal, in AssumeRoleInput, now time.Time) (Session, error) {
	if err := checkInput(caller, in); err != nil {
		return Session{}, err
	}
	denied := func(action string) error {
		return &Error{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, in.RoleArn)}
	}
	role, ok := r.role(in.RoleArn)
	if !ok {
		return Session{}, denied("sts:AssumeRole")
	}
	ctx := map[string]string{"sts:RoleSessionName": in.RoleSessionName}
	if in.ExternalId != "" {
		ctx["sts:ExternalId"] = in.ExternalId
	}
	for _, t := range in.Tags {
		ctx["aws:RequestTag/"+t.Key] = t.Value
	}
	req := Request{Principal: caller, Action: "sts:AssumeRole", Resource: role.ARN, ResourceAccount: Account(role.ARN), Context: ctx}
	if !trusted(req, role.Trust) {
		return Session{}, denied(req.Action)
	}
	if len(in.Tags) > 0 {
		req.Action = "sts:TagSession"
		if !trusted(req, role.Trust) {
			return Session{}, denied(req.Action)
		}
	}
	return r.issue(caller, role, in, now)
}

// trusted says whether a role's trust policy lets req through: unlike
// other resources, a role needs its trust policy's allow even in its own
// account; an identity policy alone never suffices.
func trusted(req Request, trust policy.Document) bool {
	v := decide(req, &trust)
	return (v.resNamed || v.resAccount) && Allowed(req, &trust)
}

func checkInput(caller Principal, in AssumeRoleInput) error {
	switch {
	case len(in.RoleArn) < 20:
		return constraint(in.RoleArn, "roleArn", "have length greater than or equal to 20")
	case !roleARN.MatchString(in.RoleArn):
		return validation(in.RoleArn + " is invalid")
	case len(in.RoleSessionName) < 2:
		return constraint(in.RoleSessionName, "roleSessionName", "have length greater than or equal to 2")
	case len(in.RoleSessionName) > 64:
		return constraint(in.RoleSessionName, "roleSessionName", "have length less than or equal to 64")
	case !sessionName.MatchString(in.RoleSessionName):
		return constraint(in.RoleSessionName, "roleSessionName", `satisfy regular expression pattern: [\w+=,.@-]*`)
	case in.ExternalId != "" && (len(in.ExternalId) < 2 || len(in.ExternalId) > 1224):
		return constraint(in.ExternalId, "externalId", "have length between 2 and 1224")
	case !externalID.MatchString(in.ExternalId):
		return constraint(in.ExternalId, "externalId", `satisfy regular expression pattern: [\w+=,.@:\/-]*`)
	case in.Duration != 0 && in.Duration < 15*time.Minute:
		return constraint(int64(in.Duration/time.Second), "durationSeconds", "have value greater than or equal to 900")
	case in.Duration > 12*time.Hour:
		return constraint(int64(in.Duration/time.Second), "durationSeconds", "have value less than or equal to 43200")
	case caller.RoleARN != "" && in.Duration > time.Hour:
		return validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	return checkTags(caller, in)
}

// checkTags refuses session tags AWS refuses.
func checkTags(caller Principal, in AssumeRoleInput) error {
	if len(in.Tags) > 50 {
		return constraint("[...]", "tags", "have length less than or equal to 50")
	}
	seen := map[string]bool{}
	for i, t := range in.Tags {
		field := fmt.Sprintf("tags.%d.member", i+1)
		switch {
		case len(t.Key) < 1 || len(t.Key) > 128:
			return constraint(t.Key, field+".key", "have length between 1 and 128")
		case len(t.Value) > 256:
			return constraint(t.Value, field+".value", "have length less than or equal to 256")
		case !tagChars.MatchString(t.Key):
			return constraint(t.Key, field+".key", `satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		case !tagChars.MatchString(t.Value):
			return constraint(t.Value, field+".value", `satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		if containsFold(caller.Transitive, t.Key) {
			return invalidParameter("One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
		}
	}
	for _, k := range in.TransitiveTagKeys {
		if !seen[strings.ToLower(k)] {
			return invalidParameter("The specified transitive tag key must be included in the requested tags.")
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func (r *Registry) issue(caller Principal, role Role, in AssumeRoleInput, now time.Time) (Session, error) {
	d := in.Duration
	if d == 0 {
		d = time.Hour
	}
	maxSession := role.MaxSession
	if maxSession == 0 {
		maxSession = time.Hour
	}
	if d > maxSession {
		return Session{}, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	name := RoleName(role.ARN)
	account := Account(role.ARN)
	s := Session{
		AccessKeyId:     "ASIA" + random(16, upper),
		SecretAccessKey: random(40, upper+"abcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken:    token(),
		Expiration:      now.Add(d).UTC().Truncate(time.Second),
		AssumedRoleArn:  "arn:" + partition(role.ARN) + ":sts::" + account + ":assumed-role/" + name + "/" + in.RoleSessionName,
		AssumedRoleId:   role.ID + ":" + in.RoleSessionName,
	}
	// Lookup gives the session its role's policies as they are when it acts.
	p := Principal{Account: account, ARN: s.AssumedRoleArn, RoleARN: role.ARN, RoleID: role.ID, Tags: map[string]string{}}
	for _, k := range caller.Transitive { // inherited through role chaining
		p.Tags[k] = caller.Tags[k]
		p.Transitive = append(p.Transitive, k)
	}
	for _, t := range in.Tags {
		p.Tags[t.Key] = t.Value
	}
	for _, k := range in.TransitiveTagKeys {
		for _, t := range in.Tags {
			if strings.EqualFold(t.Key, k) {
				p.Transitive = append(p.Transitive, t.Key)
			}
		}
	}
	r.addSession(s.AccessKeyId, Key{Secret: s.SecretAccessKey, Token: s.SessionToken, Expires: s.Expiration, Principal: p})
	return s, nil
}

// RoleID is a role's stable unique id (AROA...), the first part of its
// sessions' AssumedRoleId and aws:userid.
func RoleID(arn string) string {
	return "AROA" + strings.ToUpper(fmt.Sprintf("%016x", hash(arn)))
}

// partition is an ARN's partition, "aws" when it has none.
func partition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[1] == "" {
		return "aws"
	}
	return parts[1]
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
