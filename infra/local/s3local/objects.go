package s3local

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/johannesboyne/gofakes3"
)

const isoMillis = "2006-01-02T15:04:05.000Z"

// objectErr maps a backend lookup error to S3's answer for bucket/key.
func objectErr(err error, bucket, key string) *s3Error {
	switch {
	case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket):
		return errNoSuchBucket(bucket)
	case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey):
		return errNoSuchKey(key)
	}
	return toS3Err(err)
}

// etagOf is the ETag S3 would report for a stored object.
func etagOf(obj *gofakes3.Object) string {
	if e := obj.Metadata[metaETag]; e != "" {
		return e
	}
	return gofakes3.FormatETag(obj.Hash)
}

// restoreExpiryFor is S3's expiry: Days after now, rounded up to the next
// midnight UTC.
func restoreExpiryFor(now time.Time, days int) time.Time {
	t := now.UTC().Add(time.Duration(days) * 24 * time.Hour)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
}

// restore starts a restore of an archived object for days, which completes
// after Options.RestoreDelay; it reports whether the object was restored
// already (S3 then extends the copy's expiry), and refuses a request while
// one is in progress (409 RestoreAlreadyInProgress).
func (s *Server) restore(bucket, key string, days int) (already bool, err error) {
	obj, err := s.store.HeadObject(bucket, key)
	if err != nil {
		return false, objectErr(err, bucket, key)
	}
	_ = obj.Contents.Close()
	if !isArchived(obj.Metadata["X-Amz-Storage-Class"]) {
		return false, newErr(http.StatusForbidden, "InvalidObjectState",
			"Restore is not allowed for the object's current storage class")
	}
	now := s.now()
	if restoreOngoing(obj.Metadata, now) {
		return false, newErr(http.StatusConflict, "RestoreAlreadyInProgress", "Object restore is already in progress")
	}
	_, already = restoreExpiry(obj.Metadata, now)
	expiry := restoreExpiryFor(now, days)
	err = s.store.updateMeta(bucket, key, func(m map[string]string) {
		m[metaRestore] = expiry.Format(time.RFC3339)
		if !already {
			m[metaRestoreReady] = now.Add(s.opts.RestoreDelay).UTC().Format(time.RFC3339Nano)
		}
	})
	if err != nil {
		return false, objectErr(err, bucket, key)
	}
	return already, nil
}

func (s *Server) restoreObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	var req struct {
		Days int    `xml:"Days"`
		Type string `xml:"Type"`
		Tier string `xml:"GlacierJobParameters>Tier"`
	}
	if xml.Unmarshal(body, &req) != nil || !slices.Contains([]string{"", "Standard", "Bulk", "Expedited"}, req.Tier) {
		s.writeError(w, r, errMalformedXML())
		return
	}
	if req.Type != "" {
		s.writeError(w, r, errNotImplemented()) // S3 Select restores
		return
	}
	if req.Days < 1 {
		s.writeError(w, r, errMalformedXML())
		return
	}
	already, err := s.restore(bucket, key, req.Days)
	if err != nil {
		s.writeError(w, r, toS3Err(err))
		return
	}
	w.Header().Set("X-Amz-Request-Id", s.requestID())
	if already {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusAccepted)
	}
}

// parseCopySource splits x-amz-copy-source ("[/]bucket/key[?versionId=...]",
// URL-encoded).
func parseCopySource(v string) (bucket, key string, e *s3Error) {
	if i := strings.Index(v, "?versionId="); i >= 0 {
		v = v[:i]
	}
	if dec, err := url.PathUnescape(v); err == nil {
		v = dec
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(v, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", errInvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
			"x-amz-copy-source", v)
	}
	return bucket, key, nil
}

// copySource resolves and checks the source of a CopyObject/UploadPartCopy.
// Access to it was authorized with the request (authorizeCopySource).
func (s *Server) copySource(r *http.Request) (string, string, *gofakes3.Object, *s3Error) {
	srcBucket, srcKey, e := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if e != nil {
		return "", "", nil, e
	}
	obj, err := s.store.HeadObject(srcBucket, srcKey)
	if err != nil {
		return "", "", nil, objectErr(err, srcBucket, srcKey)
	}
	_ = obj.Contents.Close()
	if c := obj.Metadata["X-Amz-Storage-Class"]; isArchived(c) {
		if _, ok := restoreExpiry(obj.Metadata, s.now()); !ok {
			return "", "", nil, errInvalidObjectState(c)
		}
	}
	if e := checkCopyConditions(r.Header, etagOf(obj), obj.Metadata["Last-Modified"]); e != nil {
		return "", "", nil, e
	}
	return srcBucket, srcKey, obj, nil
}

func checkCopyConditions(h http.Header, etag, lastModified string) *s3Error {
	trim := func(s string) string { return strings.Trim(strings.TrimSpace(s), `"`) }
	mod, modErr := http.ParseTime(lastModified)
	if v := h.Get("X-Amz-Copy-Source-If-Match"); v != "" && trim(v) != trim(etag) {
		return errPreconditionFailed("x-amz-copy-source-If-Match")
	}
	if v := h.Get("X-Amz-Copy-Source-If-None-Match"); v != "" && trim(v) == trim(etag) {
		return errPreconditionFailed("x-amz-copy-source-If-None-Match")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Unmodified-Since")); err == nil && modErr == nil && mod.After(t) {
		return errPreconditionFailed("x-amz-copy-source-If-Unmodified-Since")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Modified-Since")); err == nil && modErr == nil && !mod.After(t) {
		return errPreconditionFailed("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// copyObject is CopyObject with S3's metadata rules: COPY takes the source's
// metadata (not its storage class, restore or multipart ETag), REPLACE takes
// only the request's; gofakes3 merges the two.
func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	srcBucket, srcKey, src, e := s.copySource(r)
	if e == nil {
		e = checkStorageClass(r.Header)
	}
	var directive, tagDirective string
	if e == nil {
		directive, tagDirective, e = copyDirectives(r.Header)
	}
	var alg checksum.Algorithm
	if e == nil {
		alg, e = requestAlgorithm(r.Header)
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	srcClass := src.Metadata["X-Amz-Storage-Class"]
	if srcClass == "" {
		srcClass = "STANDARD"
	}
	newClass := r.Header.Get("X-Amz-Storage-Class")
	if srcBucket == bucket && srcKey == key && directive == "COPY" && (newClass == "" || newClass == srcClass) &&
		r.Header.Get("X-Amz-Website-Redirect-Location") == "" && r.Header.Get("X-Amz-Server-Side-Encryption") == "" && alg == "" {
		s.writeError(w, r, errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."))
		return
	}
	if directive == "REPLACE" {
		if e := checkMetadataSize(r.Header); e != nil {
			s.writeError(w, r, e)
			return
		}
	}
	meta := copyMeta(r.Header, src, directive, tagDirective)
	now := time.Now()
	meta["Last-Modified"] = now.UTC().Format(http.TimeFormat)

	res, sum, err := s.store.copyWith(srcBucket, srcKey, bucket, key, meta, copyChecksum(src.Metadata, alg, s.corrupts(bucket, key)))
	if err != nil {
		s.writeError(w, r, objectErr(err, bucket, key))
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<CopyObjectResult><LastModified>")
	b.WriteString(now.UTC().Truncate(time.Second).Format(isoMillis))
	b.WriteString("</LastModified><ETag>")
	xmlEscape(&b, res.ETag)
	b.WriteString("</ETag>")
	if sum.alg != "" {
		checksumXML(&b, sum, true)
	}
	b.WriteString("</CopyObjectResult>")
	writeXML(w, s, b.String())
}

// copyChecksum is how a copy gets its checksum, as in S3: the source's
// full-object checksum is copied; a composite one (a multipart source) is
// recomputed over the bytes with the same algorithm; x-amz-checksum-algorithm
// recomputes with that one; a source without one gets the default. The
// copy fault recomputes over the corrupted bytes.
func copyChecksum(src map[string]string, alg checksum.Algorithm, corrupt bool) writeOpts {
	o := writeOpts{compute: alg, corrupt: corrupt}
	if c, ok := storedChecksum(src); ok && alg == "" && c.typ == checksum.Composite {
		o.compute = c.alg
	}
	return o
}

// copyDirectives reads x-amz-metadata-directive and x-amz-tagging-directive.
func copyDirectives(h http.Header) (directive, tagDirective string, e *s3Error) {
	directive = strings.ToUpper(h.Get("X-Amz-Metadata-Directive"))
	if directive == "" {
		directive = "COPY"
	}
	tagDirective = strings.ToUpper(h.Get("X-Amz-Tagging-Directive"))
	if tagDirective == "" {
		tagDirective = "COPY"
	}
	if directive != "COPY" && directive != "REPLACE" {
		return "", "", errInvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
	}
	if tagDirective != "COPY" && tagDirective != "REPLACE" {
		return "", "", errInvalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", tagDirective)
	}
	return directive, tagDirective, nil
}

// copyMeta is the copied object's metadata under the directives.
func copyMeta(h http.Header, src *gofakes3.Object, directive, tagDirective string) map[string]string {
	meta := map[string]string{}
	if directive == "COPY" {
		for k, v := range src.Metadata {
			meta[k] = v
		}
	} else {
		rh := h.Clone()
		stripTransportHeaders(rh)
		for k, vs := range rh {
			if strings.HasPrefix(k, "X-Amz-") || k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" {
				meta[k] = vs[0]
			}
		}
		for k, v := range src.Metadata { // the content is unchanged, so is its checksum
			if strings.HasPrefix(k, "X-Amz-Checksum-") {
				meta[k] = v
			}
		}
	}
	for k := range meta {
		if strings.HasPrefix(k, metaPrefix) {
			if _, mapped := headerMetaKeys[k]; !mapped {
				delete(meta, k)
			}
		}
	}
	delete(meta, "X-Amz-Storage-Class")
	delete(meta, "X-Amz-Tagging")
	if c := h.Get("X-Amz-Storage-Class"); c != "" {
		meta["X-Amz-Storage-Class"] = c
	}
	if tagDirective == "COPY" {
		if t := src.Metadata["X-Amz-Tagging"]; t != "" {
			meta["X-Amz-Tagging"] = t
		}
	} else if t := h.Get("X-Amz-Tagging"); t != "" {
		meta["X-Amz-Tagging"] = t
	}
	return meta
}

var headerMetaKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range headerMeta {
		m[k] = true
	}
	return m
}()

// uploadPartCopy serves UploadPartCopy (gofakes3 answers 411) by handing
// gofakes3 an UploadPart with the source bytes, and records the part's
// checksums like uploadPart.
func (s *Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, bucket, key string) {
	srcBucket, srcKey, src, e := s.copySource(r)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	var rng *gofakes3.ObjectRangeRequest
	if v := r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		var first, last int64
		if _, err := fmt.Sscanf(v, "bytes=%d-%d", &first, &last); err != nil || first < 0 || last < first || last >= src.Size {
			s.writeError(w, r, errInvalidArgument(fmt.Sprintf("Range specified is not valid for source object of size: %d", src.Size),
				"x-amz-copy-source-range", v))
			return
		}
		rng = &gofakes3.ObjectRangeRequest{Start: first, End: last}
	}
	obj, err := s.store.GetObject(srcBucket, srcKey, rng)
	if err != nil {
		s.writeError(w, r, objectErr(err, srcBucket, srcKey))
		return
	}
	data, err := io.ReadAll(obj.Contents)
	_ = obj.Contents.Close()
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	if s.corrupts(bucket, key) {
		data = corrupt(data)
	}

	part := r.Clone(r.Context())
	part.Header = r.Header.Clone()
	stripTransportHeaders(part.Header)
	for k := range part.Header {
		if k == "Content-Md5" || strings.HasPrefix(k, "X-Amz-Checksum-") {
			delete(part.Header, k)
		}
	}
	part.Header.Set("Content-Length", strconv.Itoa(len(data)))
	part.ContentLength = int64(len(data))
	part.Body = io.NopCloser(bytes.NewReader(data))
	rec := httptest.NewRecorder()
	s.fake.ServeHTTP(rec, part)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<CopyPartResult><LastModified>")
	b.WriteString(time.Now().UTC().Truncate(time.Second).Format(isoMillis))
	b.WriteString("</LastModified><ETag>")
	xmlEscape(&b, rec.Header().Get("ETag"))
	b.WriteString("</ETag>")
	if up := s.upload(r.URL.Query().Get("uploadId")); up != nil {
		ps := partSumsOf(up, data)
		part, _ := strconv.Atoi(r.URL.Query().Get("partNumber"))
		up.mu.Lock()
		up.parts[part] = ps
		up.mu.Unlock()
		if up.alg != "" { // S3 returns the part's checksum only for uploads with an algorithm
			checksumXML(&b, objChecksum{alg: up.alg, value: checksum.Encode(ps.sum)}, false)
		}
	}
	b.WriteString("</CopyPartResult>")
	writeXML(w, s, b.String())
}

type tagSet struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Tags    []struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	} `xml:"TagSet>Tag"`
}

// objectTagging serves Get/Put/DeleteObjectTagging on the tags stored with the
// object (x-amz-tagging of its PUT or copy); rewriting them keeps the object's
// Last-Modified, as in S3.
func (s *Server) objectTagging(w http.ResponseWriter, r *http.Request, bucket, key string) {
	obj, err := s.store.HeadObject(bucket, key)
	if err != nil {
		s.writeError(w, r, objectErr(err, bucket, key))
		return
	}
	_ = obj.Contents.Close()
	switch r.Method {
	case http.MethodGet:
		vals, _ := url.ParseQuery(obj.Metadata["X-Amz-Tagging"])
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString(xml.Header)
		b.WriteString(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>`)
		for _, k := range keys {
			b.WriteString("<Tag><Key>")
			xmlEscape(&b, k)
			b.WriteString("</Key><Value>")
			xmlEscape(&b, vals.Get(k))
			b.WriteString("</Value></Tag>")
		}
		b.WriteString("</TagSet></Tagging>")
		writeXML(w, s, b.String())
	case http.MethodPut, http.MethodDelete:
		enc := ""
		if r.Method == http.MethodPut {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			var in tagSet
			if err != nil || xml.Unmarshal(body, &in) != nil {
				s.writeError(w, r, errMalformedXML())
				return
			}
			if len(in.Tags) > 10 {
				s.writeError(w, r, newErr(http.StatusBadRequest, "BadRequest", "Object tags cannot be greater than 10"))
				return
			}
			vals := url.Values{}
			for _, t := range in.Tags {
				if vals.Has(t.Key) {
					s.writeError(w, r, errInvalidArgument("Cannot provide multiple Tags with the same key", "TagKey", t.Key))
					return
				}
				vals.Set(t.Key, t.Value)
			}
			enc = vals.Encode()
		}
		err := s.store.updateMeta(bucket, key, func(m map[string]string) {
			if enc == "" {
				delete(m, "X-Amz-Tagging")
			} else {
				m["X-Amz-Tagging"] = enc
			}
		})
		if err != nil {
			s.writeError(w, r, objectErr(err, bucket, key))
			return
		}
		w.Header().Set("X-Amz-Request-Id", s.requestID())
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
		} else {
			w.WriteHeader(http.StatusOK)
		}
	default:
		s.writeError(w, r, newErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."))
	}
}
