package stslocal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// send makes a request of form to url, signed (when akid is set) as the
// SDK signs, and returns the status and body.
func send(t *testing.T, method, endpoint string, form url.Values, akid, secret string) (int, string) {
	t.Helper()
	var body string
	target := endpoint + "/"
	if method == http.MethodGet {
		target += "?" + form.Encode()
	} else {
		body = form.Encode()
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if akid != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var requestID = regexp.MustCompile(`<RequestId>[0-9a-f-]{36}</RequestId>`)

func TestErrorEnvelope(t *testing.T) {
	endpoint := start(t)
	status, body := send(t, http.MethodPost, endpoint, map[string][]string{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, "", "")
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>` +
		`<Message>Request is missing Authentication Token</Message></Error><RequestId>ID</RequestId></ErrorResponse>`
	if got := requestID.ReplaceAllString(body, "<RequestId>ID</RequestId>"); status != 403 || got != want {
		t.Errorf("unsigned request: %d\n%s\nwant 403\n%s", status, body, want)
	}
}

func TestQueryErrors(t *testing.T) {
	endpoint := start(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown action", url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}}, 400, "InvalidAction"},
		{"other version", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-16"}}, 400, "InvalidAction"},
		{"no role", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleSessionName": {"s1"}}, 400, "ValidationError"},
		{"bad duration", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {readerARN},
			"RoleSessionName": {"s1"}, "DurationSeconds": {"soon"}}, 400, "ValidationError"},
		{"policy ARNs", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {readerARN},
			"RoleSessionName": {"s1"}, "PolicyArns.member.1.arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, 400, "ValidationError"},
		{"transitive key not a tag", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {readerARN},
			"RoleSessionName": {"s1"}, "TransitiveTagKeys.member.1": {"ConnectionId"}}, 400, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		status, body := send(t, http.MethodPost, endpoint, tt.form, ingestKey, ingestSecret)
		if status != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, body, tt.status, tt.code)
		}
	}
}

// assumeRoleResponse is AWS's AssumeRole response, element by element.
type assumeRoleResponse struct {
	XMLName          xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	AssumeRoleResult struct {
		AssumedRoleUser  struct{ Arn, AssumedRoleId string }
		Credentials      struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		PackedPolicySize int
	}
	ResponseMetadata struct{ RequestId string }
}

func TestAssumeRoleResponseAsAWSSendsIt(t *testing.T) {
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {readerARN}, "RoleSessionName": {"conn-1"},
		"Tags.member.1.Key": {"ConnectionId"}, "Tags.member.1.Value": {"conn-1"}, "TransitiveTagKeys.member.1": {"ConnectionId"}}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		status, body := send(t, method, start(t), form, ingestKey, ingestSecret)
		var out assumeRoleResponse
		if err := xml.Unmarshal([]byte(body), &out); status != 200 || err != nil {
			t.Fatalf("%s: %d %v\n%s", method, status, err, body)
		}
		r := out.AssumeRoleResult
		if r.AssumedRoleUser.Arn != "arn:aws:sts::"+platform+":assumed-role/source-reader/conn-1" || !strings.HasSuffix(r.AssumedRoleUser.AssumedRoleId, ":conn-1") {
			t.Errorf("%s: AssumedRoleUser %+v", method, r.AssumedRoleUser)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.Credentials.Expiration); err != nil || !strings.HasPrefix(r.Credentials.AccessKeyId, "ASIA") {
			t.Errorf("%s: Credentials %+v (%v)", method, r.Credentials, err)
		}
		if r.PackedPolicySize < 1 || len(out.ResponseMetadata.RequestId) != 36 {
			t.Errorf("%s: PackedPolicySize %d, RequestId %q", method, r.PackedPolicySize, out.ResponseMetadata.RequestId)
		}
	}
}
