package s3local

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/datalake-platform/s3connections/shared/checksum"
)

type opKind int

const (
	opOther opKind = iota
	opGetObject
	opHeadObject
	opPutObject  // PutObject
	opUploadPart // its checksum headers are set by uploadPart
)

var errSuppressed = errors.New("s3local: response replaced by an error")

// respWriter sits between gofakes3 and the client. When gofakes3 commits its
// status it turns the stored metadata (gofakes3 sends it all as headers) into
// S3's object headers, refuses archived objects, and replaces gofakes3's answer
// by the S3 error a body check recorded in override.
type respWriter struct {
	http.ResponseWriter
	s            *Server
	r            *http.Request
	op           opKind
	checksumMode bool // x-amz-checksum-mode: ENABLED
	ranged       bool
	written      *writeResult // PutObject: the checksum the store wrote

	override    *s3Error
	wroteHeader bool
	suppressed  bool
	status      int
}

func (w *respWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.override != nil && code >= 300 {
		w.fail(w.override)
		return
	}
	if w.op == opPutObject && code == http.StatusOK {
		// S3 confirms the checksum it stored: the one it verified (a header
		// or an aws-chunked trailer) or its default.
		if w.written != nil && w.written.ok {
			setChecksumHeaders(w.Header(), w.written.sum)
		}
	} else if (w.op == opGetObject || w.op == opHeadObject) && code < 400 {
		if e := w.fixObjectHeaders(code); e != nil {
			w.fail(e)
			return
		}
	} else if w.op == opHeadObject || w.op == opGetObject {
		// An error after gofakes3 sent the object's metadata (a bad Range).
		h := w.Header()
		for k := range h {
			if strings.HasPrefix(k, metaPrefix) || strings.HasPrefix(k, "X-Amz-Checksum-") {
				delete(h, k)
			}
		}
		h.Set("Content-Type", "application/xml")
	} else if w.Header().Get("Content-Type") == "" && code != http.StatusNoContent {
		w.Header().Set("Content-Type", "application/xml")
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) fail(e *s3Error) {
	// Drop what gofakes3 set for the object (the SDK would check the error
	// document against an x-amz-checksum-* header).
	h := w.Header()
	for k := range h {
		if k != "X-Amz-Bucket-Region" {
			delete(h, k)
		}
	}
	w.suppressed = true
	w.status = e.Status
	w.s.writeError(w.ResponseWriter, w.r, e)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.suppressed {
		return 0, errSuppressed
	}
	return w.ResponseWriter.Write(p)
}

// finish commits the headers of responses gofakes3 leaves to net/http to
// send (HeadObject writes nothing), so that they are fixed too.
func (w *respWriter) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

func (w *respWriter) statusCode() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.status
}

// fixObjectHeaders rewrites a GetObject/HeadObject response's headers.
func (w *respWriter) fixObjectHeaders(code int) *s3Error {
	h := w.Header()
	class := h.Get("X-Amz-Storage-Class")
	restore := map[string]string{metaRestore: h.Get(metaRestore), metaRestoreReady: h.Get(metaRestoreReady)}
	expiry, restored := restoreExpiry(restore, w.s.now())
	if w.op == opGetObject && code < 300 && isArchived(class) && !restored {
		return errInvalidObjectState(class)
	}
	if restored {
		h.Set("X-Amz-Restore", `ongoing-request="false", expiry-date="`+expiry.UTC().Format(http.TimeFormat)+`"`)
	} else if restoreOngoing(restore, w.s.now()) {
		h.Set("X-Amz-Restore", `ongoing-request="true"`)
	}
	if class == "" || class == "STANDARD" {
		h.Del("X-Amz-Storage-Class")
	}
	if e := h.Get(metaETag); e != "" {
		h.Set("ETag", e)
	}
	for hdr, key := range headerMeta {
		if v := h.Get(key); v != "" && h.Get(hdr) == "" {
			h.Set(hdr, v)
		}
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		h.Del("X-Amz-Tagging")
		if tags, err := url.ParseQuery(t); err == nil && len(tags) > 0 {
			h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(tags)))
		}
	}
	hasChecksum := false
	typ := h.Get(metaChecksumType)
	for k := range h {
		switch {
		case strings.HasPrefix(k, metaPrefix):
			delete(h, k)
		case strings.HasPrefix(k, "X-Amz-Checksum-"):
			// S3 sends the full-object checksum only when asked, and not for
			// ranges (the SDK would validate a range against it and fail).
			if !w.checksumMode || w.ranged {
				delete(h, k)
			} else {
				hasChecksum = true
			}
		}
	}
	if hasChecksum {
		if typ == "" {
			typ = string(checksum.FullObject)
		}
		h.Set("X-Amz-Checksum-Type", typ)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "binary/octet-stream")
	}
	return nil
}

func isArchived(class string) bool {
	return class == "GLACIER" || class == "DEEP_ARCHIVE"
}

// validStorageClasses are the x-amz-storage-class values S3 accepts.
var validStorageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true, "FSX_OPENZFS": true, "FSX_ONTAP": true,
}

func checkStorageClass(h http.Header) *s3Error {
	if c := h.Get("X-Amz-Storage-Class"); c != "" && !validStorageClasses[c] {
		return newErr(http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid", "StorageClassRequested", c)
	}
	return nil
}

// checkMetadataSize applies S3's 2 KB limit on user-defined metadata.
func checkMetadataSize(h http.Header) *s3Error {
	n := 0
	for k, vs := range h {
		if name, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok && len(vs) > 0 {
			n += len(name) + len(vs[0])
		}
	}
	if n > 2048 {
		return newErr(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
			"Size", strconv.Itoa(n), "MaxSizeAllowed", "2048")
	}
	return nil
}

// Headers that describe a request rather than an object. gofakes3 would store
// every X-Amz-* header as metadata and send it back on reads.
var transportHeaders = []string{
	"X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Decoded-Content-Length", "X-Amz-Trailer",
	"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm", "X-Amz-Checksum-Type",
	"X-Amz-Checksum-Mode", "X-Amz-Security-Token", "X-Amz-User-Agent",
	"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner", "X-Amz-Request-Payer", "X-Amz-Acl",
	"X-Amz-Metadata-Directive", "X-Amz-Tagging-Directive", "X-Amz-Copy-Source", "X-Amz-Mfa",
	"X-Amz-Bucket-Object-Lock-Enabled", "X-Amz-Object-Ownership", "X-Amz-Restore",
	"X-Amz-Bucket-Region", "X-Amz-Request-Id", "X-Amz-Id-2", "X-Amz-Write-Offset-Bytes",
	"X-Amz-Server-Side-Encryption-Customer-Key", "X-Amz-Tagging-Count",
}

var transportPrefixes = []string{"X-Amz-Grant-", "X-Amz-Copy-Source-", metaPrefix}

// stripTransportHeaders removes request-only headers and stores the standard
// headers gofakes3 ignores under internal metadata keys.
func stripTransportHeaders(h http.Header) {
	for _, k := range transportHeaders {
		delete(h, k)
	}
	for k := range h {
		for _, p := range transportPrefixes {
			if strings.HasPrefix(k, p) {
				delete(h, k)
			}
		}
	}
	for hdr, key := range headerMeta {
		if v := h.Get(hdr); v != "" {
			h.Set(key, v)
		}
	}
}
