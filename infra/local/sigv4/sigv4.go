// Package sigv4 holds the AWS Signature Version 4 primitives the local
// stand-ins verify requests with: the parts of the Authorization header,
// the canonical request's pieces, the string to sign and the signing key.
//
// What differs between services stays with each service: S3 encodes the
// path once and signs presigned URLs and aws-chunked bodies, STS encodes
// the path twice and hashes the body itself. Both pass their canonical
// URI, query and payload hash to CanonicalRequest.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm the stand-ins accept.
	Algorithm = "AWS4-HMAC-SHA256"
	// DateFormat is X-Amz-Date's layout.
	DateFormat = "20060102T150405Z"
	// MaxSkew is how far a request's time may be from the server's, as AWS allows.
	MaxSkew = 15 * time.Minute
	// Terminator ends every credential scope.
	Terminator = "aws4_request"
)

// AuthorizationParams splits an AWS4-HMAC-SHA256 Authorization header
// into its parameters (Credential, SignedHeaders, Signature) as sent, so
// that each service refuses what is missing or empty with its own error;
// ok is false for any other scheme.
func AuthorizationParams(h string) (params map[string]string, ok bool) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return nil, false
	}
	params = map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = v
	}
	return params, true
}

// Credential is a credential's access key id and scope.
type Credential struct {
	AccessKeyID, Date, Region, Service, Terminator string
}

// ParseCredential splits akid/date/region/service/terminator; ok is false
// unless there are exactly five elements, which each service checks further.
func ParseCredential(v string) (c Credential, ok bool) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 {
		return c, false
	}
	return Credential{parts[0], parts[1], parts[2], parts[3], parts[4]}, true
}

// Scope is the credential scope the string to sign names.
func Scope(date, region, service string) string {
	return date + "/" + region + "/" + service + "/" + Terminator
}

// CanonicalRequest is SigV4's canonical form of r over the signed headers;
// the caller supplies the URI, query and payload hash, which services
// derive differently.
func CanonicalRequest(r *http.Request, uri, query string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + uri + "\n" + query + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + HeaderValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// HeaderValue is a signed header's canonical value: its values with inner
// runs of spaces collapsed, joined by commas. Go's server moves Host and
// Transfer-Encoding out of the header map, so those come from r's fields.
func HeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		return strings.Join(r.TransferEncoding, ",")
	}
	vals := r.Header.Values(textproto.CanonicalMIMEHeaderKey(name))
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// CanonicalQuery is raw's parameters decoded, re-encoded with URIEncode
// and sorted by name then value; skipSignature leaves out a presigned
// URL's X-Amz-Signature, which cannot sign itself.
func CanonicalQuery(raw string, skipSignature bool) string {
	type kv struct{ k, v string }
	var params []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if skipSignature && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, kv{URIEncode(k, true), URIEncode(v, true)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	pairs := make([]string, len(params))
	for i, p := range params {
		pairs[i] = p.k + "=" + p.v
	}
	return strings.Join(pairs, "&")
}

// URIEncode is SigV4's UriEncode: everything but unreserved characters is
// percent-encoded (with upper-case hex); '/' too when encodeSlash.
func URIEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// StringToSign is what the signing key signs for a canonical request.
func StringToSign(amzDate, scope, canonicalRequest string) string {
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + HashHex([]byte(canonicalRequest))
}

// SigningKey derives the key for one day, region and service from secret,
// so that the secret itself never signs.
func SigningKey(secret, date, region, service string) []byte {
	k := HMAC([]byte("AWS4"+secret), date)
	k = HMAC(k, region)
	k = HMAC(k, service)
	return HMAC(k, Terminator)
}

// Signature is the hex signature of stringToSign with a signing key.
func Signature(key []byte, stringToSign string) string {
	return hex.EncodeToString(HMAC(key, stringToSign))
}

// HMAC is HMAC-SHA256 of data under key.
func HMAC(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// HashHex is the hex SHA-256 of data, as payload hashes are sent.
func HashHex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
