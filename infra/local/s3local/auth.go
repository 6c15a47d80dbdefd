package s3local

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/infra/local/sigv4"
)

// authInfo is what a request's SigV4 authentication claims, from the
// Authorization header or from presigned-URL query parameters.
type authInfo struct {
	presigned     bool
	akid          string
	date          string // credential scope date, yyyymmdd
	region        string
	service       string
	signedHeaders []string
	signature     string
	amzDate       string // X-Amz-Date (or Date, reformatted)
	payloadHash   string
	expires       time.Duration
}

func (a *authInfo) scope() string {
	return sigv4.Scope(a.date, a.region, a.service)
}

func errMalformedAuth(msg string) *s3Error {
	return newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; "+msg)
}

func errMalformedQueryAuth(msg string) *s3Error {
	return newErr(http.StatusBadRequest, "AuthorizationQueryParametersError", msg)
}

func errUnsupportedAuth() *s3Error {
	return errInvalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
}

// parseAuth returns nil, nil for an anonymous request.
func parseAuth(r *http.Request, q url.Values) (*authInfo, *s3Error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if q.Get("X-Amz-Algorithm") == "" && q.Get("X-Amz-Credential") == "" {
			if q.Get("AWSAccessKeyId") != "" {
				return nil, errUnsupportedAuth()
			}
			return nil, nil
		}
		return parseQueryAuth(q)
	}
	params, ok := sigv4.AuthorizationParams(h)
	if !ok {
		return nil, errUnsupportedAuth()
	}
	cred, signed := params["Credential"], params["SignedHeaders"]
	a := &authInfo{payloadHash: r.Header.Get("X-Amz-Content-Sha256"), signature: params["Signature"]}
	if cred == "" || signed == "" || a.signature == "" {
		return nil, errMalformedAuth("the Credential, SignedHeaders and Signature parameters are required.")
	}
	if e := a.setCredential(cred, errMalformedAuth); e != nil {
		return nil, e
	}
	a.signedHeaders = strings.Split(signed, ";")
	a.amzDate = r.Header.Get("X-Amz-Date")
	if a.amzDate == "" {
		if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			a.amzDate = t.UTC().Format(sigv4.DateFormat)
		}
	}
	return a, nil
}

func parseQueryAuth(q url.Values) (*authInfo, *s3Error) {
	if q.Get("X-Amz-Algorithm") != sigv4.Algorithm {
		return nil, errMalformedQueryAuth("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	a := &authInfo{
		presigned:   true,
		signature:   q.Get("X-Amz-Signature"),
		amzDate:     q.Get("X-Amz-Date"),
		payloadHash: q.Get("X-Amz-Content-Sha256"),
	}
	if a.payloadHash == "" {
		a.payloadHash = "UNSIGNED-PAYLOAD"
	}
	signed := q.Get("X-Amz-SignedHeaders")
	if a.signature == "" || signed == "" || a.amzDate == "" {
		return nil, errMalformedQueryAuth("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	if e := a.setCredential(q.Get("X-Amz-Credential"), errMalformedQueryAuth); e != nil {
		return nil, e
	}
	a.signedHeaders = strings.Split(signed, ";")
	if v := q.Get("X-Amz-Expires"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errMalformedQueryAuth("X-Amz-Expires should be a number")
		}
		if n > 604800 {
			return nil, errMalformedQueryAuth("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		a.expires = time.Duration(n) * time.Second
	}
	return a, nil
}

func (a *authInfo) setCredential(cred string, mk func(string) *s3Error) *s3Error {
	c, ok := sigv4.ParseCredential(cred)
	if !ok || c.AccessKeyID == "" || c.Terminator != sigv4.Terminator {
		return mk("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	a.akid, a.date, a.region, a.service = c.AccessKeyID, c.Date, c.Region, c.Service
	return nil
}

// verify checks the request's signature against secret as S3 does and returns
// what is needed to check chunk signatures.
func verify(r *http.Request, a *authInfo, secret string, now time.Time) (*sigCtx, *s3Error) {
	t, err := time.Parse(sigv4.DateFormat, a.amzDate)
	if err != nil {
		return nil, newErr(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if len(a.amzDate) < 8 || a.date != a.amzDate[:8] {
		return nil, errMalformedAuth("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	if a.service != "s3" {
		return nil, errMalformedAuth(fmt.Sprintf("incorrect service %q. This endpoint belongs to \"s3\".", a.service))
	}
	if a.presigned {
		if now.Before(t.Add(-sigv4.MaxSkew)) {
			return nil, newErr(http.StatusForbidden, "AccessDenied", "Request is not valid yet")
		}
		if a.expires > 0 && now.After(t.Add(a.expires)) {
			return nil, newErr(http.StatusForbidden, "AccessDenied", "Request has expired",
				"X-Amz-Expires", strconv.Itoa(int(a.expires/time.Second)),
				"Expires", t.Add(a.expires).UTC().Format(time.RFC3339),
				"ServerTime", now.UTC().Format(time.RFC3339))
		}
	} else if d := now.Sub(t); d > sigv4.MaxSkew || d < -sigv4.MaxSkew {
		return nil, newErr(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.",
			"RequestTime", a.amzDate, "ServerTime", now.UTC().Format(time.RFC3339),
			"MaxAllowedSkewMilliseconds", "900000")
	}
	if a.payloadHash == "" {
		return nil, errInvalidRequest("Missing required header for this request: x-amz-content-sha256")
	}

	creq := sigv4.CanonicalRequest(r, canonicalURI(r), sigv4.CanonicalQuery(r.URL.RawQuery, a.presigned),
		a.signedHeaders, a.payloadHash)
	sts := sigv4.StringToSign(a.amzDate, a.scope(), creq)
	key := sigv4.SigningKey(secret, a.date, a.region, a.service)
	want := sigv4.Signature(key, sts)
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return nil, newErr(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			"AWSAccessKeyId", a.akid, "StringToSign", sts, "SignatureProvided", a.signature,
			"CanonicalRequest", creq)
	}
	return &sigCtx{key: key, seed: a.signature, amzDate: a.amzDate, scope: a.scope()}, nil
}

// canonicalURI is the path as sent, each segment decoded and re-encoded once
// (S3 does not double-encode), so clients that leave reserved characters
// unescaped verify too.
func canonicalURI(r *http.Request) string {
	raw := r.RequestURI
	if raw == "" || !strings.HasPrefix(raw, "/") {
		raw = r.URL.EscapedPath()
	}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	if raw == "" {
		return "/"
	}
	segs := strings.Split(raw, "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		segs[i] = sigv4.URIEncode(seg, true)
	}
	return strings.Join(segs, "/")
}

// authenticate checks the request's signature while signatures are checked
// and returns what verifying chunk signatures needs and, with Options.IAM,
// who signed it.
func (s *Server) authenticate(r *http.Request, q url.Values, auth *authInfo) (*sigCtx, *iamlocal.Principal, *s3Error) {
	if !s.authOn() {
		return nil, nil, nil
	}
	if auth == nil {
		return nil, nil, errAccessDenied()
	}
	secret, who, e := s.credential(r, q, auth.akid)
	if e != nil {
		return nil, nil, e
	}
	sc, e := verify(r, auth, secret, time.Now())
	if e != nil {
		return nil, nil, e
	}
	return sc, who, nil
}

func errInvalidAccessKeyID(akid string) *s3Error {
	return newErr(http.StatusForbidden, "InvalidAccessKeyId",
		"The AWS Access Key Id you provided does not exist in our records.", "AWSAccessKeyId", akid)
}

// credential resolves akid to its secret and, with Options.IAM, its
// principal. A session's key must come with its token: without one S3
// answers as if the key did not exist (403 InvalidAccessKeyId); a token
// that is not the key's is 400 InvalidToken.
func (s *Server) credential(r *http.Request, q url.Values, akid string) (string, *iamlocal.Principal, *s3Error) {
	if s.opts.IAM == nil {
		secret, ok := s.secret(akid)
		if !ok {
			return "", nil, errInvalidAccessKeyID(akid)
		}
		return secret, nil, nil
	}
	key, ok := s.opts.IAM.Lookup(akid, time.Now())
	if expiry, can := s.opts.IAM.(interface{ Expired(string) bool }); !ok && can && expiry.Expired(akid) {
		return "", nil, newErr(http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
	}
	if !ok {
		return "", nil, errInvalidAccessKeyID(akid)
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = q.Get("X-Amz-Security-Token")
	}
	if key.Token != "" && token == "" {
		return "", nil, errInvalidAccessKeyID(akid)
	}
	if !hmac.Equal([]byte(token), []byte(key.Token)) {
		return "", nil, newErr(http.StatusBadRequest, "InvalidToken",
			"The provided token is malformed or otherwise invalid.", "Token-0", token)
	}
	p := key.Principal
	return key.Secret, &p, nil
}
