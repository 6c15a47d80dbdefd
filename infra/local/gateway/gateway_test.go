package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/golang-jwt/jwt/v5"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/local/localauth"
)

// fakeLambda is the other side of the contract: it records the raw payload
// and the context of each invocation and answers with respond.
type fakeLambda struct {
	mu       sync.Mutex
	payloads [][]byte
	ctxs     []context.Context
	respond  func(ctx context.Context, payload []byte) ([]byte, error)
}

func (f *fakeLambda) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	f.payloads = append(f.payloads, append([]byte(nil), payload...))
	f.ctxs = append(f.ctxs, ctx)
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(ctx, payload)
	}
	return []byte(`{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{}"}`), nil
}

func (f *fakeLambda) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payloads)
}

func (f *fakeLambda) last(t *testing.T) []byte {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.payloads) == 0 {
		t.Fatal("handler was not invoked")
	}
	return f.payloads[len(f.payloads)-1]
}

var (
	keyOnce         sync.Once
	keyMain, keyAlt *rsa.PrivateKey
)

func testKeys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if keyMain, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyAlt, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return keyMain, keyAlt
}

// fixedNow is the clock of every test gateway and verifier.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func testVerifier() *localauth.Verifier {
	k, _ := testKeys()
	return localauth.NewVerifier(&k.PublicKey, localauth.DefaultIssuer, localauth.DefaultAudience).
		WithClock(func() time.Time { return fixedNow })
}

// token signs claims (defaults: a valid Cognito-like ID token for alice at
// fixedNow) with key under kid (default: the verifier's kid for key).
func token(t *testing.T, key *rsa.PrivateKey, kid string, mod func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{
		"sub": "alice", "cognito:username": "alice", "iss": localauth.DefaultIssuer,
		"aud": localauth.DefaultAudience, "token_use": "id",
		"iat": fixedNow.Unix() - 60, "auth_time": fixedNow.Unix() - 60, "exp": fixedNow.Unix() + 3600,
	}
	if mod != nil {
		mod(c)
	}
	tk := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	if kid == "" {
		kid = localauth.KeyID(&key.PublicKey)
	}
	tk.Header["kid"] = kid
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func aliceToken(t *testing.T) string {
	k, _ := testKeys()
	return token(t, k, "", nil)
}

var apiRoutes = []Route{
	{Method: "GET", Path: "/health", Public: true},
	{Method: "POST", Path: "/connections"},
	{Method: "GET", Path: "/connections"},
	{Method: "GET", Path: "/connections/{id}"},
	{Method: "PUT", Path: "/connections/{id}"},
	{Method: "GET", Path: "/connections/{id}/policies"},
	{Method: "POST", Path: "/datasets", Scopes: []string{"datasets/write"}},
}

type testGateway struct {
	*Gateway
	fn  *fakeLambda
	log *bytes.Buffer
}

func newTestGateway(t *testing.T, routes []Route, fn lambda.Handler, opts ...Option) *Gateway {
	t.Helper()
	var buf bytes.Buffer
	opts = append([]Option{WithClock(func() time.Time { return fixedNow }), WithLogger(slog.New(slog.NewJSONHandler(&buf, nil)))}, opts...)
	g := New(routes, fn, testVerifier(), opts...)
	g.requestID = func() string { return "REQ-ID-abcdefg=" }
	g.traceID = func(time.Time) string { return "Root=1-6957352d-000000000000000000000001" }
	g.lambdaID = func() string { return "11111111-2222-3333-4444-555555555555" }
	return g
}

func setup(t *testing.T, routes []Route, opts ...Option) testGateway {
	t.Helper()
	fn := &fakeLambda{}
	var buf bytes.Buffer
	opts = append(opts, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	return testGateway{Gateway: newTestGateway(t, routes, fn, opts...), fn: fn, log: &buf}
}

func do(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// jsonEqual compares two JSON documents structurally.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		gi, _ := json.MarshalIndent(g, "", "  ")
		wi, _ := json.MarshalIndent(w, "", "  ")
		t.Fatalf("event mismatch\n--- got\n%s\n--- want\n%s", gi, wi)
	}
}

func TestEventForGETWithPathQueryCookiesHeaders(t *testing.T) {
	tg := setup(t, apiRoutes)
	tok := aliceToken(t)
	req := httptest.NewRequest("GET", "http://127.0.0.1:8080/connections/conn%2D42?limit=10&tag=a&tag=b%20c&flag&next=", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Add("X-Custom", "one")
	req.Header.Add("X-Custom", "two")
	req.Header.Add("Cookie", "session=abc; theme=dark")
	req.Header.Add("Cookie", "lang=en")
	req.Header.Set("User-Agent", "curl/8.5.0")
	req.Header.Set("Accept", "*/*")

	before := time.Now()
	rec := do(tg, req)
	after := time.Now()
	if rec.Code != 200 {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	want := `{
	  "version": "2.0",
	  "routeKey": "GET /connections/{id}",
	  "rawPath": "/connections/conn-42",
	  "rawQueryString": "limit=10&tag=a&tag=b%20c&flag&next=",
	  "cookies": ["session=abc", "theme=dark", "lang=en"],
	  "headers": {
	    "accept": "*/*",
	    "authorization": "Bearer ` + tok + `",
	    "host": "127.0.0.1:8080",
	    "user-agent": "curl/8.5.0",
	    "x-amzn-trace-id": "Root=1-6957352d-000000000000000000000001",
	    "x-custom": "one,two",
	    "x-forwarded-for": "192.0.2.1",
	    "x-forwarded-port": "8080",
	    "x-forwarded-proto": "http"
	  },
	  "queryStringParameters": {"limit": "10", "tag": "a,b c", "flag": "", "next": ""},
	  "pathParameters": {"id": "conn-42"},
	  "requestContext": {
	    "accountId": "123456789012",
	    "apiId": "localapi00",
	    "authorizer": {
	      "jwt": {
	        "claims": {
	          "aud": "s3connections-local",
	          "auth_time": "1767322985",
	          "cognito:username": "alice",
	          "exp": "1767326645",
	          "iat": "1767322985",
	          "iss": "http://127.0.0.1:8080/local-user-pool",
	          "sub": "alice",
	          "token_use": "id"
	        },
	        "scopes": null
	      }
	    },
	    "domainName": "127.0.0.1",
	    "domainPrefix": "127",
	    "http": {
	      "method": "GET",
	      "path": "/connections/conn-42",
	      "protocol": "HTTP/1.1",
	      "sourceIp": "192.0.2.1",
	      "userAgent": "curl/8.5.0"
	    },
	    "requestId": "REQ-ID-abcdefg=",
	    "routeKey": "GET /connections/{id}",
	    "stage": "$default",
	    "time": "02/Jan/2026:03:04:05 +0000",
	    "timeEpoch": 1767323045678
	  },
	  "isBase64Encoded": false
	}`
	payload := tg.fn.last(t)
	jsonEqual(t, payload, want)

	// The payload is what aws-lambda-go's event type reads.
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.PathParameters["id"] != "conn-42" || ev.RequestContext.Authorizer.JWT.Claims["sub"] != "alice" ||
		ev.QueryStringParameters["tag"] != "a,b c" || len(ev.Cookies) != 3 || ev.RequestContext.TimeEpoch != 1767323045678 {
		t.Fatalf("events.APIGatewayV2HTTPRequest reads %+v", ev)
	}

	// The Lambda context: request id, function ARN, and the integration deadline.
	ctx := tg.fn.ctxs[0]
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.AwsRequestID != "11111111-2222-3333-4444-555555555555" ||
		lc.InvokedFunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:s3connections-api" {
		t.Fatalf("lambda context %+v", lc)
	}
	// DefaultTimeout from when the gateway invoked the handler, during do.
	dl, ok := ctx.Deadline()
	if !ok || dl.Before(before.Add(DefaultTimeout)) || dl.After(after.Add(DefaultTimeout)) {
		t.Fatalf("deadline %v, want %v after the request, between %v and %v", dl, DefaultTimeout, before.Add(DefaultTimeout), after.Add(DefaultTimeout))
	}
	if rec.Header().Get("Apigw-Requestid") != "REQ-ID-abcdefg=" {
		t.Fatalf("apigw-requestid %q", rec.Header().Get("Apigw-Requestid"))
	}
}

func TestEventBodies(t *testing.T) {
	binary := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff, 0xfe}
	tests := []struct {
		name, contentType string
		body              []byte
		wantB64           bool
	}{
		{"json", "application/json", []byte(`{"ConnectionName":"sales-bucket","S3Bucket":"acme-sales"}`), false},
		{"json with charset", "application/json; charset=utf-8", []byte(`{"a":"é"}`), false},
		{"text/csv", "text/csv", []byte("a,b\n1,2\n"), false},
		{"xml", "application/xml", []byte("<a/>"), false},
		{"javascript", "application/javascript", []byte("x=1"), false},
		{"octet-stream", "application/octet-stream", binary, true},
		{"png", "image/png", binary, true},
		{"no content type", "", []byte(`{"a":1}`), true},
		{"form", "application/x-www-form-urlencoded", []byte("a=1&b=2"), true},
		{"vendor json", "application/vnd.api+json", []byte(`{}`), true},
		{"text but not utf-8", "text/plain", binary, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := setup(t, apiRoutes)
			req := httptest.NewRequest("POST", "http://127.0.0.1:8080/connections", bytes.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+aliceToken(t))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if rec := do(tg, req); rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			var ev map[string]any
			if err := json.Unmarshal(tg.fn.last(t), &ev); err != nil {
				t.Fatal(err)
			}
			if ev["isBase64Encoded"] != tc.wantB64 {
				t.Fatalf("isBase64Encoded %v, want %v", ev["isBase64Encoded"], tc.wantB64)
			}
			body, _ := ev["body"].(string)
			got := []byte(body)
			if tc.wantB64 {
				var err error
				if got, err = base64.StdEncoding.DecodeString(body); err != nil {
					t.Fatalf("body is not base64: %v", err)
				}
			}
			if !bytes.Equal(got, tc.body) {
				t.Fatalf("body %q, want %q", got, tc.body)
			}
			if ev["routeKey"] != "POST /connections" {
				t.Fatalf("routeKey %v", ev["routeKey"])
			}
			hdr := ev["headers"].(map[string]any)
			if hdr["content-length"] != fmt.Sprint(len(tc.body)) {
				t.Fatalf("content-length %v", hdr["content-length"])
			}
			for _, absent := range []string{"pathParameters", "queryStringParameters", "cookies", "stageVariables"} {
				if _, ok := ev[absent]; ok {
					t.Errorf("%s present, the HTTP API leaves it out", absent)
				}
			}
		})
	}
}

func TestEventWithoutBodyHasNoBodyField(t *testing.T) {
	tg := setup(t, apiRoutes)
	rec := do(tg, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var ev map[string]any
	json.Unmarshal(tg.fn.last(t), &ev)
	if _, ok := ev["body"]; ok {
		t.Fatal("body present for a request without body")
	}
	if _, ok := ev["headers"].(map[string]any)["content-length"]; ok {
		t.Fatal("content-length present for a request without body")
	}
}

func TestAuthorizerClaimsAndScopes(t *testing.T) {
	k, _ := testKeys()
	access := token(t, k, "", func(c jwt.MapClaims) {
		delete(c, "aud")
		c["client_id"] = localauth.DefaultAudience
		c["token_use"] = "access"
		c["scope"] = "datasets/write connections/read"
		c["cognito:groups"] = []string{"engineers", "admins"}
		c["email_verified"] = true
	})

	t.Run("route without scopes: claims as strings, scopes null", func(t *testing.T) {
		tg := setup(t, apiRoutes)
		req := httptest.NewRequest("GET", "http://127.0.0.1:8080/connections", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		if rec := do(tg, req); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		var ev struct {
			RequestContext struct {
				Authorizer struct {
					JWT struct {
						Claims map[string]string `json:"claims"`
						Scopes json.RawMessage   `json:"scopes"`
					} `json:"jwt"`
				} `json:"authorizer"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(tg.fn.last(t), &ev); err != nil {
			t.Fatal(err)
		}
		j := ev.RequestContext.Authorizer.JWT
		if string(j.Scopes) != "null" {
			t.Fatalf("scopes %s, want null", j.Scopes)
		}
		for k, want := range map[string]string{
			"sub": "alice", "client_id": localauth.DefaultAudience, "token_use": "access",
			"scope": "datasets/write connections/read", "cognito:groups": "[engineers admins]",
			"email_verified": "true", "exp": fmt.Sprint(fixedNow.Unix() + 3600),
		} {
			if j.Claims[k] != want {
				t.Errorf("claim %s = %q, want %q", k, j.Claims[k], want)
			}
		}
	})

	t.Run("route with scopes: token scopes listed", func(t *testing.T) {
		tg := setup(t, apiRoutes)
		req := httptest.NewRequest("POST", "http://127.0.0.1:8080/datasets", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+access)
		req.Header.Set("Content-Type", "application/json")
		if rec := do(tg, req); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		var ev events.APIGatewayV2HTTPRequest
		json.Unmarshal(tg.fn.last(t), &ev)
		if want := []string{"datasets/write", "connections/read"}; !reflect.DeepEqual(ev.RequestContext.Authorizer.JWT.Scopes, want) {
			t.Fatalf("scopes %v, want %v", ev.RequestContext.Authorizer.JWT.Scopes, want)
		}
	})

	t.Run("route with scopes: ID token without them is forbidden", func(t *testing.T) {
		tg := setup(t, apiRoutes)
		req := httptest.NewRequest("POST", "http://127.0.0.1:8080/datasets", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+aliceToken(t))
		rec := do(tg, req)
		if rec.Code != 403 || rec.Body.String() != `{"message":"Forbidden"}` {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		if tg.fn.calls() != 0 {
			t.Fatal("handler invoked")
		}
	})
}

func TestUnauthorized(t *testing.T) {
	k, other := testKeys()
	kid := localauth.KeyID(&k.PublicKey)
	valid := aliceToken(t)
	p := strings.Split(valid, ".")
	p[2] = p[2][:len(p[2])-4] + "AAAA"
	badSig := strings.Join(p, ".")

	tests := []struct {
		name          string
		authorization string // "" = no header
		wantChallenge string // substring of www-authenticate; "" = header absent
	}{
		{"no token", "", ""},
		{"empty bearer", "Bearer ", ""},
		{"malformed", "Bearer not-a-jwt", `error_description="the token is malformed"`},
		{"bad signature", "Bearer " + badSig, `error_description="the token signature is invalid"`},
		{"signed by another key under our kid", "Bearer " + token(t, other, kid, nil), `error_description="the token signature is invalid"`},
		{"other key's kid", "Bearer " + token(t, other, "", nil), `error_description="the token's key id is not in the issuer's key set"`},
		{"wrong issuer", "Bearer " + token(t, k, "", func(c jwt.MapClaims) { c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other" }), `error_description="the token does not have a valid issuer"`},
		{"wrong audience", "Bearer " + token(t, k, "", func(c jwt.MapClaims) { c["aud"] = "some-other-client" }), `Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"`},
		{"expired", "Bearer " + token(t, k, "", func(c jwt.MapClaims) { c["exp"] = fixedNow.Unix() - 1 }), `error_description="the token has expired"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := setup(t, apiRoutes)
			req := httptest.NewRequest("GET", "http://127.0.0.1:8080/connections/c1", nil)
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			rec := do(tg, req)
			if rec.Code != 401 || rec.Body.String() != `{"message":"Unauthorized"}` {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content-type %q", ct)
			}
			if rec.Header().Get("Apigw-Requestid") == "" {
				t.Fatal("no apigw-requestid")
			}
			chal := rec.Header().Get("Www-Authenticate")
			if tc.wantChallenge == "" && chal != "" || !strings.Contains(chal, tc.wantChallenge) {
				t.Fatalf("www-authenticate %q, want %q", chal, tc.wantChallenge)
			}
			if n := tg.fn.calls(); n != 0 {
				t.Fatalf("handler invoked %d times", n)
			}
			if strings.Contains(tg.log.String(), strings.TrimPrefix(tc.authorization, "Bearer ")) && tc.authorization != "" && tc.authorization != "Bearer " {
				t.Fatal("token written to the log")
			}
		})
	}
}

func TestPublicRouteWithoutToken(t *testing.T) {
	tg := setup(t, apiRoutes)
	rec := do(tg, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	var ev map[string]any
	json.Unmarshal(tg.fn.last(t), &ev)
	if _, ok := ev["requestContext"].(map[string]any)["authorizer"]; ok {
		t.Fatal("public route event carries an authorizer")
	}
	if ev["routeKey"] != "GET /health" {
		t.Fatalf("routeKey %v", ev["routeKey"])
	}
}

func TestNotFound(t *testing.T) {
	for _, tc := range []struct{ method, path string }{
		{"GET", "/nope"},
		{"DELETE", "/connections"},          // path exists, method does not
		{"GET", "/connections/"},            // {id} needs a non-empty segment
		{"GET", "/connections/a/b"},         // one segment per variable
		{"GET", "/connections/a/policies/"}, // trailing slash is another path
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			tg := setup(t, apiRoutes)
			req := httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+aliceToken(t))
			rec := do(tg, req)
			if rec.Code != 404 || rec.Body.String() != `{"message":"Not Found"}` || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
			}
			if tg.fn.calls() != 0 {
				t.Fatal("handler invoked")
			}
		})
	}
}

func TestMostSpecificRoute(t *testing.T) {
	routes := []Route{
		{Method: "GET", Path: "/connections/{id}", Public: true},
		{Method: "GET", Path: "/connections/{id}/policies", Public: true},
		{Method: "GET", Path: "/connections/special", Public: true},
		{Method: "ANY", Path: "/connections/{id}", Public: true},
		{Method: "GET", Path: "/files/{proxy+}", Public: true},
		{Method: "GET", Path: "/files/{dir}/readme", Public: true},
		{Method: "ANY", Path: "$default", Public: true},
	}
	tests := []struct {
		method, path, wantRoute string
		wantParams              map[string]string
	}{
		{"GET", "/connections/c1", "GET /connections/{id}", map[string]string{"id": "c1"}},
		{"GET", "/connections/c1/policies", "GET /connections/{id}/policies", map[string]string{"id": "c1"}},
		{"GET", "/connections/special", "GET /connections/special", nil},
		{"DELETE", "/connections/c1", "ANY /connections/{id}", map[string]string{"id": "c1"}},
		{"GET", "/files/a/b/c.csv", "GET /files/{proxy+}", map[string]string{"proxy": "a/b/c.csv"}},
		{"GET", "/files/a/readme", "GET /files/{dir}/readme", map[string]string{"dir": "a"}},
		{"GET", "/files/", "$default", nil},
		{"POST", "/connections/c1/policies", "$default", nil},
		{"GET", "/anything/else", "$default", nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			tg := setup(t, routes)
			rec := do(tg, httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, nil))
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			var ev events.APIGatewayV2HTTPRequest
			json.Unmarshal(tg.fn.last(t), &ev)
			if ev.RouteKey != tc.wantRoute || ev.RequestContext.RouteKey != tc.wantRoute {
				t.Fatalf("route %q, want %q", ev.RouteKey, tc.wantRoute)
			}
			if !reflect.DeepEqual(ev.PathParameters, tc.wantParams) {
				t.Fatalf("pathParameters %v, want %v", ev.PathParameters, tc.wantParams)
			}
		})
	}
}

func TestHandlerFailuresAre500(t *testing.T) {
	tests := []struct {
		name    string
		respond func(context.Context, []byte) ([]byte, error)
	}{
		{"function error", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("boom") }},
		{"panic", func(context.Context, []byte) ([]byte, error) { panic("kaboom") }},
		{"not JSON", func(context.Context, []byte) ([]byte, error) { return []byte("hello"), nil }},
		{"empty output", func(context.Context, []byte) ([]byte, error) { return nil, nil }},
		{"statusCode a string", func(context.Context, []byte) ([]byte, error) { return []byte(`{"statusCode":"200"}`), nil }},
		{"statusCode out of range", func(context.Context, []byte) ([]byte, error) { return []byte(`{"statusCode":42}`), nil }},
		{"body an object", func(context.Context, []byte) ([]byte, error) { return []byte(`{"statusCode":200,"body":{"a":1}}`), nil }},
		{"bad base64", func(context.Context, []byte) ([]byte, error) {
			return []byte(`{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}`), nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := &fakeLambda{respond: tc.respond}
			var logs bytes.Buffer
			g := newTestGateway(t, apiRoutes, fn, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			rec := do(g, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
			if rec.Code != 500 || rec.Body.String() != `{"message":"Internal Server Error"}` {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			if !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Fatalf("failure not logged as error: %s", logs.String())
			}
		})
	}
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantStatus  int
		wantBody    []byte
		wantHeaders map[string][]string // nil value: header must be absent
	}{
		{
			name:       "structured with headers and cookies",
			out:        `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Count":7,"X-Flag":true},"cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"{\"Ok\":true}"}`,
			wantStatus: 201, wantBody: []byte(`{"Ok":true}`),
			wantHeaders: map[string][]string{
				"Content-Type": {"application/json"}, "X-Count": {"7"}, "X-Flag": {"true"},
				"Set-Cookie": {"a=1; Path=/", "b=2; HttpOnly"}, "Apigw-Requestid": {"REQ-ID-abcdefg="},
			},
		},
		{
			name:       "base64 body is decoded",
			out:        `{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"isBase64Encoded":true,"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}) + `"}`,
			wantStatus: 200, wantBody: []byte{0, 1, 2, 0xff},
			wantHeaders: map[string][]string{"Content-Type": {"application/octet-stream"}},
		},
		{
			name:       "multiValueHeaders are ignored as by payload 2.0",
			out:        `{"statusCode":200,"headers":{"X-One":"1"},"multiValueHeaders":{"X-Multi":["a","b"],"Set-Cookie":["m=1"]},"body":"ok"}`,
			wantStatus: 200, wantBody: []byte("ok"),
			wantHeaders: map[string][]string{"X-One": {"1"}, "X-Multi": nil, "Set-Cookie": nil},
		},
		{
			name:       "structured without content type gets text/plain",
			out:        `{"statusCode":204}`,
			wantStatus: 204, wantBody: nil,
			wantHeaders: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}},
		},
		{
			name:       "inferred from an object without statusCode",
			out:        `{"ConnectionId":"c1","Version":"1.8"}`,
			wantStatus: 200, wantBody: []byte(`{"ConnectionId":"c1","Version":"1.8"}`),
			wantHeaders: map[string][]string{"Content-Type": {"application/json"}},
		},
		{
			name:       "inferred from a string",
			out:        `"Hello from Lambda!"`,
			wantStatus: 200, wantBody: []byte(`"Hello from Lambda!"`),
			wantHeaders: map[string][]string{"Content-Type": {"application/json"}},
		},
		{
			name:       "handler cannot break framing",
			out:        `{"statusCode":200,"headers":{"Content-Length":"999","Transfer-Encoding":"chunked","apigw-requestid":"forged"},"body":"abc"}`,
			wantStatus: 200, wantBody: []byte("abc"),
			wantHeaders: map[string][]string{"Content-Length": nil, "Transfer-Encoding": nil, "Apigw-Requestid": {"REQ-ID-abcdefg="}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := &fakeLambda{respond: func(context.Context, []byte) ([]byte, error) { return []byte(tc.out), nil }}
			var logs bytes.Buffer
			g := newTestGateway(t, apiRoutes, fn, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			rec := do(g, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if !bytes.Equal(rec.Body.Bytes(), tc.wantBody) {
				t.Fatalf("body %q, want %q", rec.Body.Bytes(), tc.wantBody)
			}
			for k, want := range tc.wantHeaders {
				if got := rec.Header().Values(k); !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if strings.Contains(tc.name, "multiValueHeaders") && !strings.Contains(logs.String(), "multiValueHeaders") {
				t.Error("ignoring multiValueHeaders is not logged")
			}
		})
	}
}

func TestTimeoutIs503(t *testing.T) {
	started := make(chan struct{})
	fn := &fakeLambda{respond: func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done() // a well-behaved handler stops at the deadline
		return nil, ctx.Err()
	}}
	g := newTestGateway(t, apiRoutes, fn, WithTimeout(50*time.Millisecond))
	begin := time.Now()
	rec := do(g, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
	if rec.Code != 503 || rec.Body.String() != `{"message":"Service Unavailable"}` {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	// Not before the 50ms, and without the 30 s of DefaultTimeout, which
	// no loaded machine comes near.
	if d := time.Since(begin); d < 50*time.Millisecond || d >= DefaultTimeout {
		t.Fatalf("timeout took %v, want the 50ms of WithTimeout", d)
	}
	<-started
}

func TestBodyTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		chunked bool
	}{{"content-length", false}, {"chunked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			tg := setup(t, apiRoutes, WithMaxBodyBytes(16))
			req := httptest.NewRequest("POST", "http://127.0.0.1:8080/connections", strings.NewReader(strings.Repeat("x", 17)))
			if tc.chunked {
				req.ContentLength = -1
			}
			req.Header.Set("Authorization", "Bearer "+aliceToken(t))
			rec := do(tg, req)
			if rec.Code != 413 || rec.Body.String() != "HTTP content length exceeded 16 bytes." {
				t.Fatalf("got %d %q", rec.Code, rec.Body)
			}
			if tg.fn.calls() != 0 {
				t.Fatal("handler invoked")
			}
		})
	}
	// Exactly at the limit passes.
	tg := setup(t, apiRoutes, WithMaxBodyBytes(16))
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080/connections", strings.NewReader(strings.Repeat("x", 16)))
	req.Header.Set("Authorization", "Bearer "+aliceToken(t))
	if rec := do(tg, req); rec.Code != 200 {
		t.Fatalf("body at the limit: %d", rec.Code)
	}
	if MaxBodyBytes != 10*1024*1024 {
		t.Fatalf("default limit %d", MaxBodyBytes)
	}
}

// An event Lambda refuses for its size (a body under the gateway's 10 MB
// but over Lambda's 6 MB quota) is API Gateway's 413, not a 500.
func TestEventOverLambdasQuotaIs413(t *testing.T) {
	fn := &fakeLambda{respond: func(context.Context, []byte) ([]byte, error) {
		return nil, fmt.Errorf("invoke: %w", lambdalocal.ErrRequestTooLarge)
	}}
	g := newTestGateway(t, apiRoutes, fn)
	rec := do(g, httptest.NewRequest("GET", "http://127.0.0.1:8080/health", nil))
	if rec.Code != 413 || rec.Body.String() != `{"message":"Request Too Long"}` || rec.Header().Get("x-amzn-ErrorType") != "BadRequestException" {
		t.Fatalf("got %d %s %v", rec.Code, rec.Body, rec.Header())
	}
}

func TestJWKSServed(t *testing.T) {
	tg := setup(t, apiRoutes)
	for _, path := range []string{"/.well-known/jwks.json", "/local-user-pool/.well-known/jwks.json"} {
		rec := do(tg, httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || !bytes.Equal(rec.Body.Bytes(), testVerifier().JWKS()) {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec := do(tg, httptest.NewRequest("GET", "http://127.0.0.1:8080/local-user-pool/.well-known/openid-configuration", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["jwks_uri"] != localauth.DefaultIssuer+"/.well-known/jwks.json" || doc["issuer"] != localauth.DefaultIssuer {
		t.Fatalf("openid-configuration %d %s", rec.Code, rec.Body)
	}
	if tg.fn.calls() != 0 {
		t.Fatal("handler invoked for the JWKS")
	}
}

func TestLogLine(t *testing.T) {
	tg := setup(t, apiRoutes)
	tok := aliceToken(t)
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080/connections?secret=q", strings.NewReader(`{"SecretAccessKey":"hunter2"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	do(tg, req)

	lines := strings.Split(strings.TrimSpace(tg.log.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines:\n%s", len(lines), tg.log.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"msg": "request", "method": "POST", "path": "/connections", "status": float64(200),
		"request_id": "REQ-ID-abcdefg=", "route": "POST /connections",
		"lambda_request_id": "11111111-2222-3333-4444-555555555555",
	} {
		if entry[k] != want {
			t.Errorf("log %s = %v, want %v", k, entry[k], want)
		}
	}
	if _, ok := entry["duration_ms"].(float64); !ok {
		t.Error("no duration_ms")
	}
	for _, secret := range []string{tok, "hunter2", "secret=q"} {
		if strings.Contains(lines[0], secret) {
			t.Errorf("log line contains %q", secret)
		}
	}
}

// TestWithAWSLambdaHandler runs the gateway in front of a handler built by
// aws-lambda-go, the way the real API function is built, under concurrency:
// that library's Invoke reuses its output buffer, so this also guards the
// gateway's one-invocation-at-a-time rule (run with -race).
func TestWithAWSLambdaHandler(t *testing.T) {
	h := lambda.NewHandler(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 200,
			Headers:    map[string]string{"Content-Type": "application/json", "X-Lambda-Request": lc.AwsRequestID},
			Body:       fmt.Sprintf(`{"id":%q,"user":%q}`, ev.PathParameters["id"], ev.RequestContext.Authorizer.JWT.Claims["sub"]),
			Cookies:    []string{"seen=1"},
		}, nil
	})
	g := New(apiRoutes, h, testVerifier(), WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	srv := httptest.NewServer(g)
	defer srv.Close()
	tok := aliceToken(t)

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/connections/c%02d", srv.URL, i), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := srv.Client().Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf(`{"id":"c%02d","user":"alice"}`, i); resp.StatusCode != 200 || string(body) != want {
				errs <- fmt.Errorf("request %d: %d %s, want %s", i, resp.StatusCode, body, want)
				return
			}
			if resp.Header.Get("Set-Cookie") != "seen=1" || len(resp.Header.Get("X-Lambda-Request")) != 36 || resp.Header.Get("Apigw-Requestid") == "" {
				errs <- fmt.Errorf("request %d: headers %v", i, resp.Header)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInvalidRouteTablesPanic(t *testing.T) {
	fn := &fakeLambda{}
	for name, tc := range map[string]struct {
		routes []Route
		v      *localauth.Verifier
	}{
		"greedy not last":     {[]Route{{Method: "GET", Path: "/a/{p+}/b", Public: true}}, nil},
		"duplicate":           {[]Route{{Method: "GET", Path: "/a", Public: true}, {Method: "get", Path: "/a", Public: true}}, nil},
		"no leading slash":    {[]Route{{Method: "GET", Path: "a", Public: true}}, nil},
		"partial variable":    {[]Route{{Method: "GET", Path: "/a{id}", Public: true}}, nil},
		"repeated variable":   {[]Route{{Method: "GET", Path: "/{id}/{id}", Public: true}}, nil},
		"authorized, no auth": {[]Route{{Method: "GET", Path: "/a"}}, nil},
		"no method":           {[]Route{{Path: "/a", Public: true}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			New(tc.routes, fn, tc.v)
		})
	}
}
