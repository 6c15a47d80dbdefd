package s3local

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// s3Error is an S3 error document plus its HTTP status. Extra holds the
// additional elements S3 adds for some codes (Bucket, Endpoint, StorageClass,
// StringToSign, ...) in the order they are written.
type s3Error struct {
	Status  int
	Code    string
	Message string
	Extra   [][2]string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func newErr(status int, code, msg string, extra ...string) *s3Error {
	e := &s3Error{Status: status, Code: code, Message: msg}
	for i := 0; i+1 < len(extra); i += 2 {
		e.Extra = append(e.Extra, [2]string{extra[i], extra[i+1]})
	}
	return e
}

// The errors S3 answers for the behaviours this package adds.
func errAccessDenied() *s3Error {
	return newErr(http.StatusForbidden, "AccessDenied", "Access Denied")
}

func errInvalidObjectState(class string) *s3Error {
	return newErr(http.StatusForbidden, "InvalidObjectState",
		"The operation is not valid for the object's storage class", "StorageClass", class)
}

func errNoSuchKey(key string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "Key", key)
}

func errNoSuchBucket(bucket string) *s3Error {
	return newErr(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", "BucketName", bucket)
}

func errInvalidArgument(msg, name, value string) *s3Error {
	return newErr(http.StatusBadRequest, "InvalidArgument", msg, "ArgumentName", name, "ArgumentValue", value)
}

func errInvalidRequest(msg string) *s3Error {
	return newErr(http.StatusBadRequest, "InvalidRequest", msg)
}

func errMalformedXML() *s3Error {
	return newErr(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

func errNotImplemented() *s3Error {
	return newErr(http.StatusNotImplemented, "NotImplemented",
		"A header you provided implies functionality that is not implemented")
}

func errPreconditionFailed(condition string) *s3Error {
	return newErr(http.StatusPreconditionFailed, "PreconditionFailed",
		"At least one of the pre-conditions you specified did not hold", "Condition", condition)
}

func errInternal(err error) *s3Error {
	return newErr(http.StatusInternalServerError, "InternalError",
		"We encountered an internal error. Please try again. ("+err.Error()+")")
}

// writeError writes e as S3 does: XML body (none for HEAD), request ids.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *s3Error) {
	h := w.Header()
	rid := s.requestID()
	h.Set("x-amz-request-id", rid)
	h.Set("x-amz-id-2", rid)
	h.Del("Content-Length")
	h.Del("ETag")
	h.Del("Last-Modified")
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	xmlEscape(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlEscape(&b, e.Message)
	b.WriteString("</Message>")
	for _, kv := range e.Extra {
		fmt.Fprintf(&b, "<%s>", kv[0])
		xmlEscape(&b, kv[1])
		fmt.Fprintf(&b, "</%s>", kv[0])
	}
	fmt.Fprintf(&b, "<RequestId>%s</RequestId><HostId>%s</HostId></Error>", rid, rid)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String()))
}

func xmlEscape(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
