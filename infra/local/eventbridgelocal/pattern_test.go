package eventbridgelocal

import (
	"encoding/json"
	"testing"
)

// s3Event is an S3 "Object Created" event as EventBridge delivers it.
const s3Event = `{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created",
 "source":"aws.s3","account":"111122223333","time":"2021-11-12T00:00:00Z","region":"ca-central-1",
 "resources":["arn:aws:s3:::src-bucket"],
 "detail":{"version":"0","bucket":{"name":"src-bucket"},
  "object":{"key":"incoming/2026/a.csv","size":5,"etag":"b1946ac9"},
  "request-id":"N4N7","requester":"123456789012","source-ip-address":"10.1.2.3","reason":"PutObject","flag":null}}`

func TestPatterns(t *testing.T) {
	var event map[string]any
	if err := decodeStrict([]byte(s3Event), &event); err != nil {
		t.Fatal(err)
	}
	testCases := []struct {
		pattern string
		want    bool
	}{
		{`{"source":["aws.s3"]}`, true},
		{`{"source":["aws.ec2"]}`, false},
		{`{"source":["aws.ec2","aws.s3"],"detail-type":["Object Created"]}`, true},
		{`{"detail":{"bucket":{"name":["src-bucket"]},"object":{"key":[{"prefix":"incoming/"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"prefix":"outgoing/"}]}}}`, false},
		{`{"detail":{"object":{"key":[{"prefix":{"equals-ignore-case":"INCOMING/"}}]}}}`, true},
		{`{"detail":{"object":{"key":[{"suffix":".csv"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"suffix":{"equals-ignore-case":".CSV"}}]}}}`, true},
		{`{"detail":{"object":{"key":[{"wildcard":"incoming/*/a.csv"}]}}}`, true},
		{`{"detail":{"object":{"key":[{"wildcard":"incoming/*.json"}]}}}`, false},
		{`{"detail":{"object":{"key":[{"wildcard":"*2026*"}]}}}`, true},
		{`{"detail-type":[{"equals-ignore-case":"object created"}]}`, true},
		{`{"detail":{"object":{"size":[5]}}}`, true},
		{`{"detail":{"object":{"size":[5.0]}}}`, true},
		{`{"detail":{"object":{"size":["5"]}}}`, false},
		{`{"detail":{"object":{"size":[{"numeric":[">",0,"<=",5]}]}}}`, true},
		{`{"detail":{"object":{"size":[{"numeric":["<",5]}]}}}`, false},
		{`{"detail":{"reason":[{"anything-but":"DeleteObject"}]}}`, true},
		{`{"detail":{"reason":[{"anything-but":["PutObject","CopyObject"]}]}}`, false},
		{`{"detail":{"reason":[{"anything-but":{"prefix":"Put"}}]}}`, false},
		{`{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{`{"detail":{"version-id":[{"exists":false}]}}`, true},
		{`{"detail":{"request-id":[{"exists":true}]}}`, true},
		{`{"detail":{"request-id":[{"exists":false}]}}`, false},
		{`{"detail":{"flag":[null]}}`, true},
		{`{"detail":{"missing":[null]}}`, false},
		{`{"detail":{"source-ip-address":[{"cidr":"10.0.0.0/8"}]}}`, true},
		{`{"detail":{"source-ip-address":[{"cidr":"192.168.0.0/16"}]}}`, false},
		{`{"resources":["arn:aws:s3:::src-bucket"]}`, true},
		{`{"resources":["arn:aws:s3:::other"]}`, false},
		{`{"$or":[{"source":["aws.ec2"]},{"detail":{"object":{"size":[5]}}}]}`, true},
		{`{"$or":[{"source":["aws.ec2"]},{"account":["999999999999"]}]}`, false},
		{`{"detail":{"bucket":[{"exists":true}]}}`, true},
	}
	for _, tc := range testCases {
		p, err := ParsePattern(tc.pattern)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		if got := p.Matches(event); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestInvalidPatterns(t *testing.T) {
	for _, src := range []string{
		``, `[]`, `"x"`, `{}`, `{"source":"aws.s3"}`, `{"source":[]}`, `{"source":[{"prefix":1}]}`,
		`{"source":[{"unknown":"x"}]}`, `{"source":[{"prefix":"a","suffix":"b"}]}`, `{"a":[{"numeric":["!",1]}]}`,
		`{"a":[{"numeric":[">"]}]}`, `{"a":[{"exists":"yes"}]}`, `{"a":[{"cidr":"x"}]}`, `{"$or":[{"a":["b"]}]}`,
		`{"a":[{"wildcard":"a**b"}]}`, `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, `{"a":[[1]]}`,
	} {
		if _, err := ParsePattern(src); err == nil {
			t.Errorf("%q accepted", src)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	f.Add(`{"source":["aws.s3"],"detail":{"object":{"key":[{"prefix":"a/"}]}}}`, s3Event)
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		var ev map[string]any
		if json.Unmarshal([]byte(event), &ev) == nil {
			p.Matches(ev) // must not panic
		}
	})
}
