package iamlocal

import (
	"crypto/hmac"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/sigv4"
)

// mismatch is AWS's message for a signature that does not verify.
const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func authError(code, msg string) error {
	return &Error{Status: http.StatusForbidden, Code: code, Message: msg}
}

func invalidToken() error {
	return authError("InvalidClientTokenId", "The security token included in the request is invalid.")
}

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	sigv4.Credential
	signedHeaders []string
	signature     string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	params, ok := sigv4.AuthorizationParams(h)
	if !ok {
		return a, authError("IncompleteSignature", "Unsupported AWS 'algorithm': only "+sigv4.Algorithm+" is accepted.")
	}
	if cred, ok := params["Credential"]; ok {
		if a.Credential, ok = sigv4.ParseCredential(cred); !ok {
			return a, authError("IncompleteSignature", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+cred+"'")
		}
	}
	signed, ok := params["SignedHeaders"]
	if a.AccessKeyID == "" || !ok || params["Signature"] == "" {
		return a, authError("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
	}
	a.signedHeaders, a.signature = strings.Split(signed, ";"), params["Signature"]
	return a, nil
}

// Authenticate verifies the SigV4 Authorization header of a Query
// protocol request (STS, IAM) over its body, scoped to service in any
// region, against the registry's keys, and returns who signed it: the one
// check every local Query endpoint makes before it acts. Session keys must
// send (and sign) their X-Amz-Security-Token. Errors are *Error, with
// AWS's codes and messages.
func (r *Registry) Authenticate(req *http.Request, body []byte, service string, now time.Time) (Principal, error) {
	header := req.Header.Get("Authorization")
	if header == "" {
		return Principal{}, authError("MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	a, err := parseAuthorization(header)
	if err != nil {
		return Principal{}, err
	}
	amzDate := req.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(sigv4.DateFormat, amzDate)
	switch {
	case err != nil:
		return Principal{}, authError("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	case a.Service != service || a.Terminator != sigv4.Terminator || a.Date != amzDate[:8]:
		return Principal{}, authError("SignatureDoesNotMatch", "Credential should be scoped to a valid region, service '"+service+"' and the date of X-Amz-Date.")
	case signedAt.Before(now.Add(-sigv4.MaxSkew)) || signedAt.After(now.Add(sigv4.MaxSkew)):
		return Principal{}, authError("SignatureDoesNotMatch", "Signature expired: "+amzDate+" is now earlier than "+
			now.Add(-sigv4.MaxSkew).UTC().Format(sigv4.DateFormat)+" ("+now.UTC().Format(sigv4.DateFormat)+" - 15 min.)")
	}
	key, ok := r.Lookup(a.AccessKeyID, now)
	if !ok || !hmac.Equal([]byte(key.Token), []byte(req.Header.Get("X-Amz-Security-Token"))) {
		return Principal{}, invalidToken()
	}
	if key.Token != "" && !slices.Contains(a.signedHeaders, "x-amz-security-token") {
		return Principal{}, authError("SignatureDoesNotMatch", mismatch)
	}
	creq := sigv4.CanonicalRequest(req, canonicalPath(req.URL.EscapedPath()), sigv4.CanonicalQuery(req.URL.RawQuery, false),
		a.signedHeaders, sigv4.HashHex(body))
	want := sigv4.Signature(sigv4.SigningKey(key.Secret, a.Date, a.Region, a.Service),
		sigv4.StringToSign(amzDate, sigv4.Scope(a.Date, a.Region, a.Service), creq))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return Principal{}, authError("SignatureDoesNotMatch", mismatch)
	}
	return key.Principal, nil
}

// canonicalPath encodes each path segment once more, as SigV4 does for
// every service but S3.
func canonicalPath(escaped string) string {
	if escaped == "" {
		return "/"
	}
	segments := strings.Split(escaped, "/")
	for i, s := range segments {
		segments[i] = sigv4.URIEncode(s, true)
	}
	return strings.Join(segments, "/")
}
