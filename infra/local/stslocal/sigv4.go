package stslocal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
)

// Signature errors, as STS sends them.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateLayout = "20060102T150405Z"
	maxSkew       = 15 * time.Minute
	mismatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func authError(code, msg string) error {
	return &iamlocal.Error{Status: http.StatusForbidden, Code: code, Message: msg}
}

func invalidToken() error {
	return authError("InvalidClientTokenId", "The security token included in the request is invalid.")
}

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	akid, date, region, service, terminator string
	signedHeaders                           []string
	signature                               string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, authError("IncompleteSignature", "Unsupported AWS 'algorithm': only "+algorithm+" is accepted.")
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 {
				return a, authError("IncompleteSignature", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+v+"'")
			}
			a.akid, a.date, a.region, a.service, a.terminator = scope[0], scope[1], scope[2], scope[3], scope[4]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.akid == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, authError("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
	}
	return a, nil
}

// authenticate verifies r's SigV4 header signature over body against the
// registry's keys and returns who signed it.
func (s *Server) authenticate(r *http.Request, body []byte, now time.Time) (iamlocal.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return iamlocal.Principal{}, authError("MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	a, err := parseAuthorization(header)
	if err != nil {
		return iamlocal.Principal{}, err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(amzDateLayout, amzDate)
	switch {
	case err != nil:
		return iamlocal.Principal{}, authError("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	case a.service != "sts" || a.terminator != "aws4_request" || a.date != amzDate[:8]:
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", "Credential should be scoped to a valid region, service 'sts' and the date of X-Amz-Date.")
	case signedAt.Before(now.Add(-maxSkew)) || signedAt.After(now.Add(maxSkew)):
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", "Signature expired: "+amzDate+" is now earlier than "+
			now.Add(-maxSkew).UTC().Format(amzDateLayout)+" ("+now.UTC().Format(amzDateLayout)+" - 15 min.)")
	}
	key, ok := s.registry.Lookup(a.akid, now)
	if !ok || !hmac.Equal([]byte(key.Token), []byte(r.Header.Get("X-Amz-Security-Token"))) {
		return iamlocal.Principal{}, invalidToken()
	}
	if key.Token != "" && !contains(a.signedHeaders, "x-amz-security-token") {
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", mismatch)
	}
	want := signature(key.Secret, a, stringToSign(a, amzDate, canonicalRequest(r, a.signedHeaders, body)))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", mismatch)
	}
	return key.Principal, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// canonicalRequest is SigV4's canonical form of r, hashing body itself
// rather than trusting a payload hash header.
func canonicalRequest(r *http.Request, signed []string, body []byte) string {
	sum := sha256.Sum256(body)
	var headers strings.Builder
	for _, h := range signed {
		headers.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	return strings.Join([]string{
		r.Method, canonicalPath(r.URL.EscapedPath()), canonicalQuery(r.URL.Query()),
		headers.String(), strings.Join(signed, ";"), hex.EncodeToString(sum[:]),
	}, "\n")
}

// headerValue is a signed header's canonical value: its values trimmed,
// inner runs of spaces collapsed, joined by commas.
func headerValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "content-length":
		values = r.Header.Values(name)
		if len(values) == 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = r.Header.Values(name)
	}
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalPath encodes each path segment once more, as SigV4 does for
// every service but S3.
func canonicalPath(escaped string) string {
	if escaped == "" {
		return "/"
	}
	segments := strings.Split(escaped, "/")
	for i, s := range segments {
		segments[i] = encode(s)
	}
	return strings.Join(segments, "/")
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, encode(k)+"="+encode(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// encode is SigV4's URI encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

func stringToSign(a authorization, amzDate, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	scope := strings.Join([]string{a.date, a.region, a.service, a.terminator}, "/")
	return strings.Join([]string{algorithm, amzDate, scope, hex.EncodeToString(sum[:])}, "\n")
}

func signature(secret string, a authorization, toSign string) string {
	key := []byte("AWS4" + secret)
	for _, part := range []string{a.date, a.region, a.service, a.terminator, toSign} {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(key)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
