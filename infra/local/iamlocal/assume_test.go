package iamlocal

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalake-platform/s3connections/shared/policy"
)

var (
	now         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	customerARN = "arn:aws:iam::" + customer + ":role/platform-access"
	noTagARN    = "arn:aws:iam::" + platform + ":role/no-tags"
	accountARN  = "arn:aws:iam::" + platform + ":role/account-trusted"
	longARN     = "arn:aws:iam::" + platform + ":role/path/long"
	taggedARN   = "arn:aws:iam::" + platform + ":role/tagged"
)

// trust is a trust policy for principal, with statement's extra fields.
func trust(principal, actions, condition string) string {
	s := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + `}}`
}

// assumeAny is an identity policy allowing every AssumeRole and TagSession.
const assumeAny = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}}`

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New()
	reader := testReader()
	r.AddRole(Role{ARN: readerARN, Trust: reader.Trust([]string{ingestARN}), Policies: []policy.Document{reader.Identity()}})
	r.AddRole(Role{ARN: customerARN, Trust: doc(t, trust(platform, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"ext-123"}}`))})
	r.AddRole(Role{ARN: noTagARN, Trust: doc(t, trust(aliceARN, `"sts:AssumeRole"`, ""))})
	r.AddRole(Role{ARN: accountARN, Trust: doc(t, trust(Root(platform), `"sts:AssumeRole"`, ""))})
	r.AddRole(Role{ARN: longARN, Trust: doc(t, trust(aliceARN, `"sts:AssumeRole"`, "")), MaxSession: 2 * time.Hour})
	r.AddRole(Role{ARN: taggedARN, Trust: doc(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:TagSession","Condition":{"StringLike":{"aws:RequestTag/ConnectionId":"conn-*"}}}]}`)})
	return r
}

// ingest is a session of the ingestion functions' role, the reader's
// trusted caller.
func ingest() Principal {
	return Principal{Account: platform, ARN: "arn:aws:sts::" + platform + ":assumed-role/ingest/plan", RoleARN: ingestARN,
		Policies: []policy.Document{{Version: policy.Version, Statement: policy.Statements{testReader().Assume(readerARN)}}}}
}

func deniedMessage(caller, action, role string) string {
	return "User: " + caller + " is not authorized to perform: " + action + " on resource: " + role
}

var connTag = []Tag{{Key: "ConnectionId", Value: "conn-1"}}

type assumeCase struct {
	name      string
	caller    Principal
	in        AssumeRoleInput
	code, msg string // want: "" for success; msg is a prefix
	status    int
}

func assumeCases(t *testing.T) []assumeCase {
	admin := alice(Admin())
	bare := alice()
	return []assumeCase{
		{name: "trusted caller, tagged session", caller: ingest(), in: AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "conn-1", Tags: connTag}},
		{name: "untrusted caller, even an administrator", caller: admin, in: AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "s1"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", readerARN)},
		{name: "no such role", caller: admin, in: AssumeRoleInput{RoleArn: "arn:aws:iam::" + platform + ":role/none", RoleSessionName: "s1"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", "arn:aws:iam::"+platform+":role/none")},
		{name: "trust names the user: no identity policy needed", caller: bare, in: AssumeRoleInput{RoleArn: noTagARN, RoleSessionName: "s1"}},
		{name: "tags without sts:TagSession in the trust", caller: bare, in: AssumeRoleInput{RoleArn: noTagARN, RoleSessionName: "s1", Tags: connTag},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:TagSession", noTagARN)},
		{name: "TagSession conditioned on the requested tag", caller: bare, in: AssumeRoleInput{RoleArn: taggedARN, RoleSessionName: "s1", Tags: connTag}},
		{name: "TagSession refused for another tag value", caller: bare,
			in:   AssumeRoleInput{RoleArn: taggedARN, RoleSessionName: "s1", Tags: []Tag{{Key: "ConnectionId", Value: "other"}}},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:TagSession", taggedARN)},
		{name: "trust names the account: identity policy allows", caller: alice(doc(t, assumeAny)), in: AssumeRoleInput{RoleArn: accountARN, RoleSessionName: "s1"}},
		{name: "trust names the account: no identity policy", caller: bare, in: AssumeRoleInput{RoleArn: accountARN, RoleSessionName: "s1"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", accountARN)},
		{name: "identity policy denies", caller: alice(doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sts:*","Resource":"*"}}`)),
			in: AssumeRoleInput{RoleArn: noTagARN, RoleSessionName: "s1"}, code: "AccessDenied", status: 403},
		{name: "cross account, ExternalId matches", caller: alice(doc(t, assumeAny)), in: AssumeRoleInput{RoleArn: customerARN, RoleSessionName: "s1", ExternalId: "ext-123"}},
		{name: "cross account, ExternalId differs", caller: alice(doc(t, assumeAny)), in: AssumeRoleInput{RoleArn: customerARN, RoleSessionName: "s1", ExternalId: "ext-999"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", customerARN)},
		{name: "cross account, ExternalId missing", caller: alice(doc(t, assumeAny)), in: AssumeRoleInput{RoleArn: customerARN, RoleSessionName: "s1"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", customerARN)},
		{name: "cross account needs the caller's identity policy", caller: bare, in: AssumeRoleInput{RoleArn: customerARN, RoleSessionName: "s1", ExternalId: "ext-123"},
			code: "AccessDenied", status: 403, msg: deniedMessage(aliceARN, "sts:AssumeRole", customerARN)},
	}
}

func validationCases() []assumeCase {
	in := func(f func(*AssumeRoleInput)) AssumeRoleInput {
		i := AssumeRoleInput{RoleArn: longARN, RoleSessionName: "s1"}
		f(&i)
		return i
	}
	invalid := func(name string, i AssumeRoleInput, code, msg string) assumeCase {
		return assumeCase{name: name, caller: alice(), in: i, code: code, status: 400, msg: msg}
	}
	return []assumeCase{
		invalid("session name with a space", in(func(i *AssumeRoleInput) { i.RoleSessionName = "bad name" }), "ValidationError",
			`1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`),
		invalid("session name with a colon", in(func(i *AssumeRoleInput) { i.RoleSessionName = "Session1:2" }), "ValidationError",
			`1 validation error detected: Value 'Session1:2' at 'roleSessionName'`),
		invalid("session name too short", in(func(i *AssumeRoleInput) { i.RoleSessionName = "a" }), "ValidationError", "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"),
		invalid("session name too long", in(func(i *AssumeRoleInput) { i.RoleSessionName = strings.Repeat("a", 65) }), "ValidationError", "1 validation error detected"),
		invalid("role ARN not an ARN", in(func(i *AssumeRoleInput) { i.RoleArn = "nothing-valid-in-here" }), "ValidationError", "nothing-valid-in-here is invalid"),
		invalid("role ARN of no role", in(func(i *AssumeRoleInput) { i.RoleArn = "arn:a:::something/test-role" }), "ValidationError", "arn:a:::something/test-role is invalid"),
		invalid("role ARN empty", in(func(i *AssumeRoleInput) { i.RoleArn = "" }), "ValidationError", "1 validation error detected: Value '' at 'roleArn'"),
		invalid("ExternalId too short", in(func(i *AssumeRoleInput) { i.ExternalId = "x" }), "ValidationError", "1 validation error detected: Value 'x' at 'externalId'"),
		invalid("ExternalId bad characters", in(func(i *AssumeRoleInput) { i.ExternalId = "a b" }), "ValidationError", "1 validation error detected: Value 'a b' at 'externalId'"),
		invalid("duration under 15 minutes", in(func(i *AssumeRoleInput) { i.Duration = 10 * time.Minute }), "ValidationError",
			"1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
		invalid("duration over 12 hours", in(func(i *AssumeRoleInput) { i.Duration = 13 * time.Hour }), "ValidationError", "1 validation error detected: Value '46800' at 'durationSeconds'"),
		invalid("duration over the role's maximum", in(func(i *AssumeRoleInput) { i.Duration = 3 * time.Hour }), "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
		invalid("duration over the default maximum", in(func(i *AssumeRoleInput) { i.RoleArn = noTagARN; i.Duration = 2 * time.Hour }), "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
		{name: "duration up to the role's maximum", caller: alice(), in: in(func(i *AssumeRoleInput) { i.Duration = 2 * time.Hour })},
		{name: "role chaining over an hour", caller: ingest(), in: AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "s1", Duration: 2 * time.Hour},
			code: "ValidationError", status: 400, msg: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		invalid("duplicate tag keys", in(func(i *AssumeRoleInput) { i.Tags = []Tag{{"k", "1"}, {"K", "2"}} }), "InvalidParameterValue",
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."),
		invalid("transitive key not a tag", in(func(i *AssumeRoleInput) { i.Tags = connTag; i.TransitiveTagKeys = []string{"other"} }), "InvalidParameterValue",
			"The specified transitive tag key must be included in the requested tags."),
		invalid("empty tag key", in(func(i *AssumeRoleInput) { i.Tags = []Tag{{"", "v"}} }), "ValidationError", "1 validation error detected"),
		invalid("bad tag key", in(func(i *AssumeRoleInput) { i.Tags = []Tag{{"a*b", "v"}} }), "ValidationError", "1 validation error detected"),
		invalid("51 tags", in(func(i *AssumeRoleInput) { i.Tags = make([]Tag, 51) }), "ValidationError", "1 validation error detected"),
	}
}

func TestAssumeRole(t *testing.T) {
	for _, tt := range append(assumeCases(t), validationCases()...) {
		t.Run(tt.name, func(t *testing.T) {
			s, err := testRegistry(t).AssumeRole(tt.caller, tt.in, now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				if !strings.HasPrefix(s.AccessKeyId, "ASIA") {
					t.Errorf("AccessKeyId = %s", s.AccessKeyId)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("AssumeRole = %v, want an *Error %s", err, tt.code)
			}
			if e.Code != tt.code || e.Status != tt.status || !strings.HasPrefix(e.Message, tt.msg) {
				t.Errorf("AssumeRole = %d %s %q, want %d %s %q", e.Status, e.Code, e.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
}

func TestTheIssuedSession(t *testing.T) {
	r := testRegistry(t)
	s, err := r.AssumeRole(ingest(), AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "conn-1", Tags: connTag}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.AccessKeyId) != 20 || !strings.HasPrefix(s.AccessKeyId, "ASIA") || len(s.SecretAccessKey) != 40 || s.SessionToken == "" {
		t.Errorf("credentials %+v", s)
	}
	if !s.Expiration.Equal(now.Add(time.Hour)) {
		t.Errorf("Expiration = %v, want an hour from now", s.Expiration)
	}
	if want := "arn:aws:sts::" + platform + ":assumed-role/source-reader/conn-1"; s.AssumedRoleArn != want {
		t.Errorf("AssumedRoleArn = %s, want %s", s.AssumedRoleArn, want)
	}
	if want := RoleID(readerARN) + ":conn-1"; s.AssumedRoleId != want || !strings.HasPrefix(want, "AROA") {
		t.Errorf("AssumedRoleId = %s, want %s", s.AssumedRoleId, want)
	}
	k, ok := r.Lookup(s.AccessKeyId, now.Add(59*time.Minute))
	if !ok {
		t.Fatal("the session's key is unknown")
	}
	p := k.Principal
	if k.Secret != s.SecretAccessKey || k.Token != s.SessionToken || !k.Expires.Equal(s.Expiration) {
		t.Errorf("key %+v does not hold the session's credentials", k)
	}
	if p.Account != platform || p.ARN != s.AssumedRoleArn || p.RoleARN != readerARN || p.Tags["ConnectionId"] != "conn-1" {
		t.Errorf("principal %+v", p)
	}
	if len(p.Policies) != 1 || p.Policies[0].Statement[0].Sid != testReader().Identity().Statement[0].Sid {
		t.Errorf("the session has policies %+v, not the role's", p.Policies)
	}
	if p.UserID() != s.AssumedRoleId {
		t.Errorf("UserID = %s, want %s", p.UserID(), s.AssumedRoleId)
	}
	if _, ok := r.Lookup(s.AccessKeyId, s.Expiration); ok {
		t.Error("the session outlives its expiration")
	}
	if _, ok := r.Lookup(s.AccessKeyId, now); ok {
		t.Error("Lookup forgot nothing: an expired session came back")
	}
}

func TestSessionNamesAndPaths(t *testing.T) {
	r := testRegistry(t)
	s, err := r.AssumeRole(alice(), AssumeRoleInput{RoleArn: longARN, RoleSessionName: "a.b@c=d,e+f-g_h", Duration: 90 * time.Minute}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + platform + ":assumed-role/long/a.b@c=d,e+f-g_h"; s.AssumedRoleArn != want {
		t.Errorf("AssumedRoleArn = %s, want %s (no path)", s.AssumedRoleArn, want)
	}
	if !s.Expiration.Equal(now.Add(90 * time.Minute)) {
		t.Errorf("Expiration = %v", s.Expiration)
	}
}

func TestTransitiveTagsFollowRoleChaining(t *testing.T) {
	r := testRegistry(t)
	r.AddRole(Role{ARN: ingestARN, Trust: doc(t, trust(aliceARN, `["sts:AssumeRole","sts:TagSession"]`, ""))})
	first, err := r.AssumeRole(alice(), AssumeRoleInput{RoleArn: ingestARN, RoleSessionName: "s1",
		Tags: []Tag{{"Team", "data"}, {"Temp", "x"}}, TransitiveTagKeys: []string{"team"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := r.Lookup(first.AccessKeyId, now)
	caller := k.Principal
	caller.Policies = ingest().Policies
	if _, err := r.AssumeRole(caller, AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "s2", Tags: []Tag{{"TEAM", "other"}}}, now); err == nil ||
		!strings.Contains(err.Error(), "conflicts with a transitive tag key") {
		t.Errorf("overriding an inherited transitive tag: %v", err)
	}
	second, err := r.AssumeRole(caller, AssumeRoleInput{RoleArn: readerARN, RoleSessionName: "s2", Tags: connTag}, now)
	if err != nil {
		t.Fatal(err)
	}
	k, _ = r.Lookup(second.AccessKeyId, now)
	if got := k.Principal.Tags; got["Team"] != "data" || got["ConnectionId"] != "conn-1" || len(got) != 2 {
		t.Errorf("chained session tags = %v, want Team (transitive) and ConnectionId", got)
	}
}

func TestLookupKeepsLongTermKeys(t *testing.T) {
	r := New()
	r.AddKey("AKIAALICE", "secret", alice())
	k, ok := r.Lookup("AKIAALICE", now.Add(100*365*24*time.Hour))
	if !ok || k.Secret != "secret" || k.Principal.ARN != aliceARN || k.Token != "" {
		t.Errorf("Lookup = %+v, %v", k, ok)
	}
	if _, ok := r.Lookup("AKIANONE", now); ok {
		t.Error("an unknown key was found")
	}
	if got := alice().UserID(); !strings.HasPrefix(got, "AIDA") {
		t.Errorf("a user's UserID = %s", got)
	}
	if got := (Principal{Account: platform, ARN: Root(platform)}).UserID(); got != platform {
		t.Errorf("the root's UserID = %s", got)
	}
}
