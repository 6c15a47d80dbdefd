package sigv4

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	exampleSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	exampleDate   = "20150830T123600Z"
	emptyHash     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// The IAM user guide's worked example ("Create a signed AWS API request",
// ListUsers): its signing key, and the signature of its string to sign.
func TestSigningKeyIAMExample(t *testing.T) {
	key := SigningKey(exampleSecret, "20150830", "us-east-1", "iam")
	if got, want := hex.EncodeToString(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"; got != want {
		t.Fatalf("SigningKey = %s, want %s", got, want)
	}
	sts := "AWS4-HMAC-SHA256\n" + exampleDate + "\n20150830/us-east-1/iam/aws4_request\n" +
		"f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
	if got, want := Signature(key, sts), "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"; got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
}

// suiteCase is one case of AWS's SigV4 test suite (header signing), as
// kept in awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>:
// region us-east-1, service "service", key AKIDEXAMPLE, 20150830T123600Z.
type suiteCase struct {
	name, method, target, body string
	headers                    map[string]string
	signed                     string
	canonical                  string // header-canonical-request.txt
	requestHash                string // last line of header-string-to-sign.txt
	signature                  string // header-signature.txt
}

var suite = []suiteCase{{
	name: "get-vanilla", method: "GET", target: "/", signed: "host;x-amz-date",
	canonical:   "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + emptyHash,
	requestHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	signature:   "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
}, {
	name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1", signed: "host;x-amz-date",
	canonical:   "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + emptyHash,
	requestHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
	signature:   "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
}, {
	name: "get-vanilla-query-unreserved", method: "GET", signed: "host;x-amz-date",
	target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	canonical: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" +
		"host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + emptyHash,
	requestHash: "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
	signature:   "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
}, {
	name: "get-utf8", method: "GET", target: "/%E1%88%B4", signed: "host;x-amz-date",
	canonical:   "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + emptyHash,
	requestHash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
	signature:   "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
}, {
	name: "get-header-value-trim", method: "GET", target: "/", signed: "host;my-header1;my-header2;x-amz-date",
	headers: map[string]string{"My-Header1": " value1", "My-Header2": `"a   b   c"`},
	canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n" +
		"host;my-header1;my-header2;x-amz-date\n" + emptyHash,
	requestHash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
	signature:   "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
}, {
	name: "post-x-www-form-urlencoded", method: "POST", target: "/", body: "Param1=value1",
	signed: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
	headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"X-Amz-Content-Sha256": "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"},
	canonical: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n" +
		"x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\n" +
		"content-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	requestHash: "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
	signature:   "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
}}

// TestAWSSuite checks every step of signing against AWS's published test
// suite: the canonical request, the string to sign and the signature.
func TestAWSSuite(t *testing.T) {
	for _, c := range suite {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			r.Host = "example.amazonaws.com"
			r.Header.Set("X-Amz-Date", exampleDate)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			creq := CanonicalRequest(r, URIEncode(r.URL.Path, false), CanonicalQuery(r.URL.RawQuery, false),
				strings.Split(c.signed, ";"), HashHex([]byte(c.body)))
			if creq != c.canonical {
				t.Fatalf("canonical request:\n%s\nwant:\n%s", creq, c.canonical)
			}
			sts := StringToSign(exampleDate, Scope("20150830", "us-east-1", "service"), creq)
			if want := "AWS4-HMAC-SHA256\n" + exampleDate + "\n20150830/us-east-1/service/aws4_request\n" + c.requestHash; sts != want {
				t.Fatalf("string to sign:\n%s\nwant:\n%s", sts, want)
			}
			if got := Signature(SigningKey(exampleSecret, "20150830", "us-east-1", "service"), sts); got != c.signature {
				t.Fatalf("signature = %s, want %s", got, c.signature)
			}
		})
	}
}

// TestEncodings covers URIEncode and CanonicalQuery, which share a shape:
// a string and a flag in, the canonical string out.
func TestEncodings(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(string, bool) string
		in   string
		flag bool
		want string
	}{
		{"URIEncode", URIEncode, "-._~AZaz09", true, "-._~AZaz09"},
		{"URIEncode", URIEncode, "a b+c", true, "a%20b%2Bc"},
		{"URIEncode", URIEncode, "a/b", true, "a%2Fb"},
		{"URIEncode", URIEncode, "a/b", false, "a/b"},
		{"URIEncode", URIEncode, "ሴ", false, "%E1%88%B4"},
		{"URIEncode", URIEncode, "%2F=&*", true, "%252F%3D%26%2A"},
		{"CanonicalQuery", CanonicalQuery, "", false, ""},
		{"CanonicalQuery", CanonicalQuery, "b=2&a=1&A=0", false, "A=0&a=1&b=2"},
		{"CanonicalQuery", CanonicalQuery, "a=2&a=1&flag", false, "a=1&a=2&flag="},
		// By name, then value: not as "name=value" strings.
		{"CanonicalQuery", CanonicalQuery, "a1=x&a=y", false, "a=y&a1=x"},
		{"CanonicalQuery", CanonicalQuery, "k=a+b%2Fc&sp=%20", false, "k=a%20b%2Fc&sp=%20"},
		// An invalid escape is kept as sent.
		{"CanonicalQuery", CanonicalQuery, "bad=%zz", false, "bad=%25zz"},
		{"CanonicalQuery", CanonicalQuery, "X-Amz-Signature=abc&X-Amz-Date=1", true, "X-Amz-Date=1"},
		{"CanonicalQuery", CanonicalQuery, "X-Amz-Signature=abc&X-Amz-Date=1", false, "X-Amz-Date=1&X-Amz-Signature=abc"},
	} {
		if got := c.fn(c.in, c.flag); got != c.want {
			t.Errorf("%s(%q, %v) = %q, want %q", c.name, c.in, c.flag, got, c.want)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	r := httptest.NewRequest("PUT", "/", strings.NewReader("12345"))
	r.Host = "bucket.local:9000"
	r.Header.Add("X-Multi", "  a  ")
	r.Header.Add("X-Multi", "b   c")
	r.TransferEncoding = []string{"chunked"}
	unknown := httptest.NewRequest("PUT", "/", nil)
	unknown.ContentLength = -1
	for _, c := range []struct {
		r          *http.Request
		name, want string
	}{
		{r, "host", "bucket.local:9000"},
		{r, "content-length", "5"},
		{r, "transfer-encoding", "chunked"},
		{r, "x-multi", "a,b c"},
		{r, "x-missing", ""},
		{unknown, "content-length", ""},
	} {
		if got := HeaderValue(c.r, c.name); got != c.want {
			t.Errorf("HeaderValue(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAuthorizationParams(t *testing.T) {
	h := "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	p, ok := AuthorizationParams(h)
	if !ok || p["Credential"] != "AKID/20150830/us-east-1/sts/aws4_request" || p["SignedHeaders"] != "host;x-amz-date" || p["Signature"] != "abc" {
		t.Fatalf("AuthorizationParams = %v, %v", p, ok)
	}
	for _, h := range []string{"AWS AKID:sig", "AWS4-HMAC-SHA512 Credential=x", ""} {
		if _, ok := AuthorizationParams(h); ok {
			t.Errorf("AuthorizationParams(%q) accepted another scheme", h)
		}
	}
}

func TestParseCredential(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Credential
		ok   bool
	}{
		{"AKID/20150830/us-east-1/s3/aws4_request", Credential{"AKID", "20150830", "us-east-1", "s3", "aws4_request"}, true},
		{"/20150830/us-east-1/s3/other", Credential{"", "20150830", "us-east-1", "s3", "other"}, true},
		{"AKID/20150830/us-east-1/s3", Credential{}, false},
		{"", Credential{}, false},
	} {
		got, ok := ParseCredential(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseCredential(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
