package iamlocal

import (
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/policy"
)

const (
	getBucketObject = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`
	denyBucket      = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`
)

// grant is a bucket policy allowing principal s3:GetObject on bucket/*.
func grant(principal string) string {
	return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + principal +
		`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`
}

// refuse is a bucket policy denying principal everything.
func refuse(principal string) string {
	return `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"` + principal +
		`"},"Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}}`
}

func TestAllowedCombinesIdentityAndResourcePolicies(t *testing.T) {
	tests := []struct {
		name     string
		identity []string
		resource string
		owner    string // the bucket's account
		want     bool
	}{
		{"same account, identity only", []string{getBucketObject}, "", platform, true},
		{"same account, resource policy naming the user only", nil, grant(aliceARN), platform, true},
		{"same account, resource policy naming everyone only", nil, grant("*"), platform, true},
		{"same account, resource policy naming the account only delegates", nil, grant(platform), platform, false},
		{"same account, root ARN delegates, identity allows", []string{getBucketObject}, grant(Root(platform)), platform, true},
		{"same account, nothing allows", nil, "", platform, false},
		{"cross account, identity only", []string{getBucketObject}, "", customer, false},
		{"cross account, resource policy only", nil, grant(aliceARN), customer, false},
		{"cross account, both (account id)", []string{getBucketObject}, grant(platform), customer, true},
		{"cross account, both (user ARN)", []string{getBucketObject}, grant(aliceARN), customer, true},
		{"cross account, resource policy names another account", []string{getBucketObject}, grant(stranger), customer, false},
		{"same account, identity deny beats resource allow", []string{getBucketObject, denyBucket}, grant(aliceARN), platform, false},
		{"same account, resource deny beats identity allow", []string{getBucketObject}, refuse(aliceARN), platform, false},
		{"cross account, resource deny by account beats both allows", []string{getBucketObject}, refuse(platform), customer, false},
		{"resource deny for someone else does not apply", []string{getBucketObject}, refuse(stranger), platform, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Principal: alice(docs(t, tt.identity...)...), Action: "s3:GetObject",
				Resource: "arn:aws:s3:::bucket/key", ResourceAccount: tt.owner}
			if got := Allowed(req, optional(t, tt.resource)); got != tt.want {
				t.Errorf("Allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrincipalMatching(t *testing.T) {
	user := alice()
	session := readerSession(nil)
	tests := []struct {
		value string
		who   Principal
		want  match
	}{
		{"*", user, byName},
		{platform, user, byAccount},
		{Root(platform), user, byAccount},
		{"arn:aws-cn:iam::" + platform + ":root", user, byAccount},
		{aliceARN, user, byName},
		{"arn:aws:iam::" + platform + ":user/bob", user, noMatch},
		{customer, user, noMatch},
		{Root(customer), user, noMatch},
		{readerARN, session, byName},
		{sessionARN, session, byName},
		{"arn:aws:sts::" + platform + ":assumed-role/source-reader/conn-2", session, noMatch},
		{ingestARN, session, noMatch},
		{platform, session, byAccount},
		{readerARN, user, noMatch},
		{"", Principal{}, noMatch},
	}
	for _, tt := range tests {
		if got := matchesPrincipal(tt.value, tt.who); got != tt.want {
			t.Errorf("matchesPrincipal(%q, %s) = %v, want %v", tt.value, tt.who.ARN, got, tt.want)
		}
	}
}

func TestSessionsAreAdmittedByTheirRole(t *testing.T) {
	for _, name := range []string{readerARN, sessionARN, "*"} {
		req := Request{Principal: readerSession(nil), Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/k", ResourceAccount: platform}
		if !Allowed(req, optional(t, grant(name))) {
			t.Errorf("a bucket policy naming %s refuses the session", name)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, value string
		fold, want     bool
	}{
		{"s3:Get*", "s3:GetObject", false, true},
		{"S3:get*", "s3:GetObject", true, true},
		{"S3:get*", "s3:GetObject", false, false},
		{"*", "", false, true},
		{"*", "anything/at all", false, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", false, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", false, false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a?c", "abbc", false, false},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"a*b", "a*xb", false, true}, // a literal * in the value
		{"a*", "a*", false, true},
		{"ab", "abc", false, false},
		{"abc", "ab", false, false},
		{"é?", "éx", false, true}, // ? is one character, not one byte
		{"*.csv", "dir/file.csv", false, true},
		{"*.csv", "dir/file.csv.gz", false, false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.value, tt.fold); got != tt.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.value, tt.fold, got, tt.want)
		}
	}
}

func TestActionIsCaseInsensitiveResourceIsNot(t *testing.T) {
	tests := []struct {
		action, resource string
		want             bool
	}{
		{"s3:GetObject", "arn:aws:s3:::bucket/k", true},
		{"S3:GETOBJECT", "arn:aws:s3:::bucket/k", true},
		{"s3:getobject", "arn:aws:s3:::BUCKET/k", false},
		{"s3:GetObjectAcl", "arn:aws:s3:::bucket/k", false},
		{"s3:GetObject", "arn:aws:s3:::bucket/dir/k", true},
		{"s3:GetObject", "arn:aws:s3:::bucket2/k", false},
	}
	p := alice(doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::bucket/*"}}`))
	for _, tt := range tests {
		req := Request{Principal: p, Action: tt.action, Resource: tt.resource, ResourceAccount: platform}
		if got := Allowed(req, nil); got != tt.want {
			t.Errorf("%s on %s: Allowed = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
	q := alice(doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:Get?bject","s3:List*"],"Resource":"arn:aws:s3:::b?cket/*"}}`))
	for res, want := range map[string]bool{"arn:aws:s3:::bucket/k": true, "arn:aws:s3:::bxcket/k": true, "arn:aws:s3:::bcket/k": false} {
		if got := Allowed(Request{Principal: q, Action: "s3:GetObject", Resource: res, ResourceAccount: platform}, nil); got != want {
			t.Errorf("? in Resource, %s: Allowed = %v, want %v", res, got, want)
		}
	}
}

// conditionCases are conditions of an identity policy statement, evaluated
// for a reader session tagged ConnectionId=conn-1 on a platform bucket.
var conditionCases = []struct {
	name      string
	condition string
	context   map[string]string
	want      bool
}{
	{"StringEquals matches", `{"StringEquals":{"k":"v"}}`, map[string]string{"k": "v"}, true},
	{"StringEquals is case-sensitive", `{"StringEquals":{"k":"v"}}`, map[string]string{"k": "V"}, false},
	{"StringEquals any of several values", `{"StringEquals":{"k":["x","v"]}}`, map[string]string{"k": "v"}, true},
	{"StringEquals missing key", `{"StringEquals":{"k":"v"}}`, nil, false},
	{"condition key names are case-insensitive", `{"StringEquals":{"K":"v"}}`, map[string]string{"k": "v"}, true},
	{"StringNotEquals differs", `{"StringNotEquals":{"k":"v"}}`, map[string]string{"k": "w"}, true},
	{"StringNotEquals equal", `{"StringNotEquals":{"k":["w","v"]}}`, map[string]string{"k": "v"}, false},
	{"StringNotEquals missing key holds", `{"StringNotEquals":{"k":"v"}}`, nil, true},
	{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"k":"VALUE"}}`, map[string]string{"k": "value"}, true},
	{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"k":"VALUE"}}`, map[string]string{"k": "value"}, false},
	{"StringLike", `{"StringLike":{"k":"conn-*"}}`, map[string]string{"k": "conn-42"}, true},
	{"StringLike ?", `{"StringLike":{"k":"conn-?"}}`, map[string]string{"k": "conn-42"}, false},
	{"StringNotLike", `{"StringNotLike":{"k":"conn-*"}}`, map[string]string{"k": "conn-42"}, false},
	{"StringNotLike missing key holds", `{"StringNotLike":{"k":"conn-*"}}`, nil, true},
	{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:111111111111:function:ingest-*"}}`,
		map[string]string{"aws:SourceArn": "arn:aws:lambda:eu-west-1:111111111111:function:ingest-plan"}, true},
	{"ArnLike wildcard stays within its part", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:function:x"}}`,
		map[string]string{"aws:SourceArn": "arn:aws:lambda:eu-west-1:111111111111:function:x"}, false},
	{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sqs:*:111111111111:q"}}`,
		map[string]string{"aws:SourceArn": "arn:aws:sqs:eu-west-1:111111111111:q"}, true},
	{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"*"}}`, map[string]string{"aws:SourceArn": "x"}, false},
	{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*:*:q"}}`, map[string]string{"aws:SourceArn": "arn:aws:sqs:r:1:q"}, false},
	{"ArnNotLike missing key holds", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*:*:q"}}`, nil, true},
	{"aws:PrincipalArn is the role of a session", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/source-*"}}`, nil, true},
	{"aws:PrincipalAccount", `{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}`, nil, true},
	{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, nil, true},
	{"Bool as JSON boolean", `{"Bool":{"aws:SecureTransport":false}}`, nil, false},
	{"Bool missing key", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, nil, false},
	{"Null true, key absent", `{"Null":{"sts:ExternalId":"true"}}`, nil, true},
	{"Null true, key present", `{"Null":{"sts:ExternalId":"true"}}`, map[string]string{"sts:ExternalId": "x"}, false},
	{"Null false, key present", `{"Null":{"sts:ExternalId":"false"}}`, map[string]string{"sts:ExternalId": "x"}, true},
	{"Null false, key absent", `{"Null":{"sts:ExternalId":false}}`, nil, false},
	{"IfExists, key absent", `{"StringEqualsIfExists":{"k":"v"}}`, nil, true},
	{"IfExists, key present and different", `{"StringEqualsIfExists":{"k":"v"}}`, map[string]string{"k": "w"}, false},
	{"IfExists, key present and equal", `{"StringEqualsIfExists":{"k":"v"}}`, map[string]string{"k": "v"}, true},
	{"negated IfExists, key absent", `{"StringNotEqualsIfExists":{"k":"v"}}`, nil, true},
	{"PrincipalTag key is case-insensitive", `{"StringEquals":{"aws:principaltag/connectionid":"conn-1"}}`, nil, true},
	{"PrincipalTag value is case-sensitive", `{"StringEquals":{"aws:PrincipalTag/ConnectionId":"CONN-1"}}`, nil, false},
	{"PrincipalTag absent", `{"StringEquals":{"aws:PrincipalTag/Team":"x"}}`, nil, false},
	{"s3:ResourceAccount from Context", `{"StringEquals":{"s3:ResourceAccount":"222222222222"}}`, map[string]string{"s3:ResourceAccount": "222222222222"}, true},
	{"Context beats ResourceAccount", `{"StringEquals":{"s3:ResourceAccount":"111111111111"}}`, map[string]string{"s3:ResourceAccount": "222222222222"}, false},
	{"s3:ResourceAccount defaults to the resource's account", `{"StringEquals":{"s3:ResourceAccount":"111111111111"}}`, nil, true},
	{"aws:ResourceAccount defaults to the resource's account", `{"StringEquals":{"aws:ResourceAccount":"111111111111"}}`, nil, true},
	{"all keys must hold", `{"StringEquals":{"a":"1","b":"2"}}`, map[string]string{"a": "1", "b": "3"}, false},
	{"all operators must hold", `{"StringEquals":{"a":"1"},"StringLike":{"b":"2*"}}`, map[string]string{"a": "1", "b": "20"}, true},
	{"an operator not evaluated never allows", `{"NumericLessThan":{"n":"10"}}`, map[string]string{"n": "1"}, false},
}

func TestConditions(t *testing.T) {
	tags := map[string]string{"ConnectionId": "conn-1"}
	for _, tt := range conditionCases {
		t.Run(tt.name, func(t *testing.T) {
			p := readerSession(tags, doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+tt.condition+`}}`))
			req := Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: platform, Context: tt.context}
			if got := Allowed(req, nil); got != tt.want {
				t.Errorf("Allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, policy string
		refused      string // a part of the error; "" when accepted
	}{
		{"plain", getBucketObject, ""},
		{"evaluated operators", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
			"StringEqualsIfExists":{"a":"b"},"StringNotLike":{"c":"d"},"ArnLike":{"e":"f"},"Bool":{"g":"true"},"Null":{"h":"true"},
			"StringNotEqualsIgnoreCase":{"i":"j"},"ArnNotEqualsIfExists":{"k":"l"}}}}`, ""},
		{"NumericLessThan", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"n":1}}}}`, "NumericLessThan"},
		{"DateGreaterThan", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`, "DateGreaterThan"},
		{"IpAddress", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`, "IpAddress"},
		{"set operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}}}`, "ForAnyValue"},
		{"principal type", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Account":"1"},"Action":"s3:*","Resource":"*"}}`, "principal type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(doc(t, tt.policy))
			switch {
			case tt.refused == "" && err != nil:
				t.Errorf("Check refuses: %v", err)
			case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
				t.Errorf("Check = %v, want a refusal naming %s", err, tt.refused)
			}
		})
	}
}

func TestTheReaderPoliciesPassCheck(t *testing.T) {
	r := testReader()
	for _, d := range []policy.Document{r.Identity(), r.Trust([]string{ingestARN})} {
		if err := Check(d); err != nil {
			t.Error(err)
		}
	}
}

func testReader() policy.Reader {
	return policy.Reader{Partition: "aws", Region: "eu-west-1", Account: platform,
		Zones: []string{"lz", "dlz"}, KeyARN: "arn:aws:kms:eu-west-1:" + platform + ":key/zone"}
}

// connectionPolicy is a customer bucket policy admitting the reader's
// sessions for connection conn-1 only, as the platform generates it.
const connectionPolicy = `{"Version":"2012-10-17","Statement":{"Sid":"PlatformReadsForConnection","Effect":"Allow",
	"Principal":{"AWS":"arn:aws:iam::111111111111:role/source-reader"},
	"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],
	"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],
	"Condition":{"StringEquals":{"aws:PrincipalTag/ConnectionId":"conn-1"}}}}`

func TestTheReaderIdentity(t *testing.T) {
	tests := []struct {
		name, action, resource, owner, bucketPolicy string
		connection                                  string
		context                                     map[string]string
		want                                        bool
	}{
		{"reads a customer bucket that admits its connection", "s3:GetObject", "arn:aws:s3:::src/k", customer, "src", "conn-1",
			map[string]string{"s3:ResourceAccount": customer}, true},
		{"lists it", "s3:ListBucket", "arn:aws:s3:::src", customer, "src", "conn-1", nil, true},
		{"not for another connection", "s3:GetObject", "arn:aws:s3:::src/k", customer, "src", "conn-2", nil, false},
		{"not without a bucket policy", "s3:GetObject", "arn:aws:s3:::src/k", customer, "", "conn-1", nil, false},
		{"never writes a customer bucket", "s3:PutObject", "arn:aws:s3:::src/k", customer, "src", "conn-1", nil, false},
		{"never reads its own account, even granted", "s3:GetObject", "arn:aws:s3:::data/k", platform, "data", "conn-1",
			map[string]string{"s3:ResourceAccount": platform}, false},
		{"never lists its own account, even granted", "s3:ListBucket", "arn:aws:s3:::data", platform, "data", "conn-1", nil, false},
		{"writes a zone object", "s3:PutObject", "arn:aws:s3:::lz/conn-1/f.csv", platform, "", "conn-1", nil, true},
		{"aborts zone uploads", "s3:AbortMultipartUpload", "arn:aws:s3:::dlz/f", platform, "", "conn-1", nil, true},
		{"never reads a zone object", "s3:GetObject", "arn:aws:s3:::lz/conn-1/f.csv", platform, "", "conn-1", nil, false},
		{"never reads a zone object, even granted", "s3:GetObject", "arn:aws:s3:::lz/f", platform, "lz", "conn-1", nil, false},
		{"writes no other bucket of its account", "s3:PutObject", "arn:aws:s3:::data/f", platform, "", "conn-1", nil, false},
		{"writes into no zone bucket of another account", "s3:PutObject", "arn:aws:s3:::lz/f", customer, "", "conn-1", nil, false},
		{"encrypts zone objects through S3", "kms:GenerateDataKey", testReader().KeyARN, platform, "", "conn-1",
			map[string]string{"kms:ViaService": "s3.eu-west-1.amazonaws.com"}, true},
		{"not directly", "kms:GenerateDataKey", testReader().KeyARN, platform, "", "conn-1", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session := readerSession(map[string]string{"ConnectionId": tt.connection}, testReader().Identity())
			var bucketPolicy *policy.Document
			if tt.bucketPolicy != "" {
				bucketPolicy = optional(t, strings.ReplaceAll(connectionPolicy, "BUCKET", tt.bucketPolicy))
			}
			req := Request{Principal: session, Action: tt.action, Resource: tt.resource, ResourceAccount: tt.owner, Context: tt.context}
			if got := Allowed(req, bucketPolicy); got != tt.want {
				t.Errorf("Allowed = %v, want %v", got, tt.want)
			}
		})
	}
}
