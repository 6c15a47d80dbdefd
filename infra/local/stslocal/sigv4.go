package stslocal

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/infra/local/sigv4"
)

// mismatch is STS's message for a signature that does not verify.
const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func authError(code, msg string) error {
	return &iamlocal.Error{Status: http.StatusForbidden, Code: code, Message: msg}
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
	signedAt, err := time.Parse(sigv4.DateFormat, amzDate)
	switch {
	case err != nil:
		return iamlocal.Principal{}, authError("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	case a.Service != "sts" || a.Terminator != sigv4.Terminator || a.Date != amzDate[:8]:
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", "Credential should be scoped to a valid region, service 'sts' and the date of X-Amz-Date.")
	case signedAt.Before(now.Add(-sigv4.MaxSkew)) || signedAt.After(now.Add(sigv4.MaxSkew)):
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", "Signature expired: "+amzDate+" is now earlier than "+
			now.Add(-sigv4.MaxSkew).UTC().Format(sigv4.DateFormat)+" ("+now.UTC().Format(sigv4.DateFormat)+" - 15 min.)")
	}
	key, ok := s.registry.Lookup(a.AccessKeyID, now)
	if !ok || !hmac.Equal([]byte(key.Token), []byte(r.Header.Get("X-Amz-Security-Token"))) {
		return iamlocal.Principal{}, invalidToken()
	}
	if key.Token != "" && !contains(a.signedHeaders, "x-amz-security-token") {
		return iamlocal.Principal{}, authError("SignatureDoesNotMatch", mismatch)
	}
	creq := sigv4.CanonicalRequest(r, canonicalPath(r.URL.EscapedPath()), sigv4.CanonicalQuery(r.URL.RawQuery, false),
		a.signedHeaders, sigv4.HashHex(body))
	want := sigv4.Signature(sigv4.SigningKey(key.Secret, a.Date, a.Region, a.Service),
		sigv4.StringToSign(amzDate, sigv4.Scope(a.Date, a.Region, a.Service), creq))
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
