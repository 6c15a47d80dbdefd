package s3local

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/johannesboyne/gofakes3"
)

// upload is the checksum state of a multipart upload in progress (gofakes3
// holds its parts, in memory too): the algorithm and type it was created
// with, and each part's checksums.
type upload struct {
	alg checksum.Algorithm // "" when created without one
	typ checksum.Type      // "" when created without an algorithm

	mu    sync.Mutex
	parts map[int]partSums
}

// partSums are a part's size and binary checksums: in the upload's
// algorithm, and in CRC64NVME for the default full-object checksum of an
// upload created without one.
type partSums struct {
	size  int64
	sum   []byte
	crc64 []byte
}

func (s *Server) upload(id string) *upload {
	if v, ok := s.uploads.Load(id); ok {
		return v.(*upload)
	}
	return nil
}

// createMultipart checks x-amz-checksum-algorithm and x-amz-checksum-type
// as S3 does, lets gofakes3 create the upload, records its checksum state
// and confirms the algorithm and type in the response.
func (s *Server) createMultipart(w *respWriter, r *http.Request) {
	up, e := newUpload(r.Header)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	stripTransportHeaders(r.Header)
	r.Header.Set(metaMPU, "1")
	rec := httptest.NewRecorder()
	s.fake.ServeHTTP(rec, r)
	var res struct {
		UploadID string `xml:"UploadId"`
	}
	if rec.Code == http.StatusOK && xml.Unmarshal(rec.Body.Bytes(), &res) == nil && res.UploadID != "" {
		s.uploads.Store(res.UploadID, up)
		if up.alg != "" {
			w.Header().Set("X-Amz-Checksum-Algorithm", string(up.alg))
			w.Header().Set("X-Amz-Checksum-Type", string(up.typ))
		}
	}
	copyRecorded(w, rec)
}

// newUpload reads a CreateMultipartUpload's checksum headers.
func newUpload(h http.Header) (*upload, *s3Error) {
	alg, e := requestAlgorithm(h)
	if e != nil {
		return nil, e
	}
	typ := checksum.Type(strings.ToUpper(h.Get("X-Amz-Checksum-Type")))
	switch {
	case typ != "" && alg == "":
		return nil, errInvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case typ != "" && typ != checksum.FullObject && typ != checksum.Composite:
		return nil, errInvalidRequest("Value for x-amz-checksum-type header is invalid.")
	case typ == "" && alg != "":
		typ = alg.DefaultType()
	}
	if alg != "" && !alg.Allows(typ) {
		return nil, errInvalidRequest(fmt.Sprintf("The %s checksum type cannot be used with the %s checksum algorithm.",
			typ, strings.ToLower(string(alg))))
	}
	return &upload{alg: alg, typ: typ, parts: map[int]partSums{}}, nil
}

// copyRecorded sends a recorded gofakes3 response.
func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// uploadPart serves UploadPart: a part sent with another algorithm's
// checksum than the upload's is refused; the part's checksums are computed
// while gofakes3 reads it, recorded, and the upload's one returned.
func (s *Server) uploadPart(w *respWriter, r *http.Request, uploadID string) {
	up := s.upload(uploadID)
	sentAlg, sentValue, e := requestChecksum(r.Header)
	if e == nil && up != nil && up.alg != "" && sentAlg != "" && sentAlg != up.alg {
		e = errInvalidRequest(fmt.Sprintf("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(string(up.alg)), strings.ToLower(string(sentAlg))))
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	part, _ := strconv.Atoi(r.URL.Query().Get("partNumber"))
	hs := newPartHashes(up)
	r.Body = readCloser{io.TeeReader(r.Body, hs), r.Body}
	stripTransportHeaders(r.Header)
	for _, a := range checksum.Algorithms { // answered below, not stored
		r.Header.Del(a.Header())
	}
	w.op = opUploadPart
	s.fake.ServeHTTP(w, r)
	if !w.wroteHeader && up != nil { // gofakes3 stored the part
		ps := hs.sums()
		up.mu.Lock()
		up.parts[part] = ps
		up.mu.Unlock()
		if up.alg != "" {
			w.Header().Set(up.alg.Header(), checksum.Encode(ps.sum))
		} else if sentAlg != "" {
			w.Header().Set(sentAlg.Header(), sentValue)
		}
	}
	w.finish()
}

// partHashes computes a part's checksums as it is read.
type partHashes struct {
	size       int64
	sum, crc64 hash.Hash
}

func newPartHashes(up *upload) *partHashes {
	p := &partHashes{crc64: checksum.Default.New()}
	if up != nil && up.alg != "" {
		p.sum = up.alg.New()
	}
	return p
}

func (p *partHashes) Write(b []byte) (int, error) {
	p.size += int64(len(b))
	p.crc64.Write(b)
	if p.sum != nil {
		p.sum.Write(b)
	}
	return len(b), nil
}

func (p *partHashes) sums() partSums {
	ps := partSums{size: p.size, crc64: p.crc64.Sum(nil)}
	if p.sum != nil {
		ps.sum = p.sum.Sum(nil)
	}
	return ps
}

// partSumsOf computes a part's checksums over its bytes (UploadPartCopy).
func partSumsOf(up *upload, data []byte) partSums {
	p := newPartHashes(up)
	_, _ = p.Write(data)
	return p.sums()
}

// abortMultipart forgets an aborted upload's checksums.
func (s *Server) abortMultipart(w *respWriter, r *http.Request, uploadID string) {
	s.passthrough(w, r)
	if w.statusCode() == http.StatusNoContent {
		s.uploads.Delete(uploadID)
	}
}

// completeRequest is a CompleteMultipartUpload body, with part checksums.
type completeRequest struct {
	Parts []completedPart `xml:"Part"`
}

type completedPart struct {
	PartNumber        int
	ETag              string
	ChecksumCRC32     string
	ChecksumCRC32C    string
	ChecksumCRC64NVME string
	ChecksumSHA1      string
	ChecksumSHA256    string
}

// checksums are the part checksums the request named, by algorithm.
func (p completedPart) checksums() map[checksum.Algorithm]string {
	m := map[checksum.Algorithm]string{}
	for a, v := range map[checksum.Algorithm]string{checksum.CRC32: p.ChecksumCRC32, checksum.CRC32C: p.ChecksumCRC32C,
		checksum.CRC64NVME: p.ChecksumCRC64NVME, checksum.SHA1: p.ChecksumSHA1, checksum.SHA256: p.ChecksumSHA256} {
		if v != "" {
			m[a] = v
		}
	}
	return m
}

// multipartETag is S3's "<md5 of the part MD5s>-<parts>" ETag ("" when a
// part's ETag is no MD5, which gofakes3 then refuses).
func multipartETag(parts []completedPart) string {
	h := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(strings.Trim(p.ETag, `" `))
		if err != nil {
			return ""
		}
		h.Write(sum)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// completeMultipart lets the completed object keep S3's multipart ETag and
// checksum: both are computed from the request's part list and the parts'
// recorded checksums, and handed to the store's PutObject, which gofakes3's
// uploader calls during the completion, through store.pending (keyed by
// object; completions of one key are serialised). The response gets the
// checksum added.
func (s *Server) completeMultipart(w *respWriter, r *http.Request, bucket, key string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	uploadID := r.URL.Query().Get("uploadId")
	var req completeRequest
	c := &completion{}
	if xml.Unmarshal(body, &req) == nil && len(req.Parts) > 0 {
		c.etag = multipartETag(req.Parts)
	}
	var sum objChecksum
	if up := s.upload(uploadID); up != nil {
		var e *s3Error
		if sum, c.meta, e = up.complete(r.Header, req.Parts, uploadID); e != nil {
			s.writeError(w, r, e)
			return
		}
	}

	id := bucket + "\x00" + key
	f := fnv.New32a()
	_, _ = f.Write([]byte(id))
	lock := &s.mpuLock[f.Sum32()%uint32(len(s.mpuLock))]
	lock.Lock()
	defer lock.Unlock()
	s.store.mu.Lock()
	s.store.pending[id] = c
	s.store.mu.Unlock()
	defer func() {
		s.store.mu.Lock()
		delete(s.store.pending, id)
		s.store.mu.Unlock()
	}()
	stripTransportHeaders(r.Header)
	rec := httptest.NewRecorder()
	s.fake.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK || sum.alg == "" {
		copyRecorded(w, rec)
		return
	}
	s.uploads.Delete(uploadID)
	s.writeCompleted(w, r, rec.Body.Bytes(), sum)
}

// writeCompleted sends gofakes3's CompleteMultipartUploadResult with the
// object's checksum.
func (s *Server) writeCompleted(w http.ResponseWriter, r *http.Request, recorded []byte, sum objChecksum) {
	var res struct {
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal(recorded, &res); err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, f := range [][2]string{{"Location", res.Location}, {"Bucket", res.Bucket}, {"Key", res.Key}, {"ETag", res.ETag}} {
		b.WriteString("<" + f[0] + ">")
		xmlEscape(&b, f[1])
		b.WriteString("</" + f[0] + ">")
	}
	checksumXML(&b, sum, true)
	b.WriteString("</CompleteMultipartUploadResult>")
	writeXML(w, s, b.String())
}

// complete checks a completion's part checksums, x-amz-checksum-type and
// full-object checksum against the upload as S3 does, and returns the
// object's checksum and the metadata that stores it.
func (up *upload) complete(h http.Header, parts []completedPart, uploadID string) (objChecksum, map[string]string, *s3Error) {
	if t := checksum.Type(strings.ToUpper(h.Get("X-Amz-Checksum-Type"))); t != "" && t != up.typ {
		mode := string(up.typ)
		if mode == "" {
			mode = "null"
		}
		return objChecksum{}, nil, errInvalidRequest("The upload was created using the " + mode +
			" checksum mode. The complete request must use the same checksum mode.")
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	var sums []checksum.Part
	var stored []storedPart
	var size int64
	for _, p := range parts {
		ps, ok := up.parts[p.PartNumber]
		if !ok {
			return objChecksum{}, nil, nil // gofakes3 answers InvalidPart
		}
		if e := up.checkPart(p, ps, uploadID); e != nil {
			return objChecksum{}, nil, e
		}
		sum := ps.crc64
		if up.alg != "" {
			sum = ps.sum
		}
		sums = append(sums, checksum.Part{Sum: sum, Size: ps.size})
		sp := storedPart{PartNumber: p.PartNumber, Size: ps.size}
		if up.typ == checksum.Composite {
			sp.Checksum = checksum.Encode(ps.sum)
		}
		stored = append(stored, sp)
		size += ps.size
	}
	if v := h.Get("X-Amz-Mp-Object-Size"); v != "" && v != strconv.FormatInt(size, 10) {
		return objChecksum{}, nil, errInvalidRequest(fmt.Sprintf(
			"The provided 'x-amz-mp-object-size' header value %s does not match what was computed: %d", v, size))
	}
	sum, e := up.objectChecksum(h, sums)
	if e != nil {
		return objChecksum{}, nil, e
	}
	meta := map[string]string{checksumKey(sum.alg): sum.value, metaParts: encodeParts(stored)}
	if sum.typ == checksum.Composite {
		meta[metaChecksumType] = string(checksum.Composite)
	}
	return sum, meta, nil
}

// checkPart compares a completed part's checksums with the recorded ones.
func (up *upload) checkPart(p completedPart, ps partSums, uploadID string) *s3Error {
	named := p.checksums()
	invalidPart := newErr(http.StatusBadRequest, "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
		"UploadId", uploadID, "PartNumber", strconv.Itoa(p.PartNumber), "ETag", strings.Trim(p.ETag, `"`))
	if up.alg == "" {
		if len(named) > 0 {
			return invalidPart
		}
		return nil
	}
	v, ok := named[up.alg]
	if !ok {
		for a := range named {
			return newErr(http.StatusBadRequest, "BadDigest", fmt.Sprintf(
				"The %s you specified for part %d did not match what we received.", strings.ToLower(string(a)), p.PartNumber))
		}
		return errInvalidRequest(fmt.Sprintf("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.",
			strings.ToLower(string(up.alg)), p.PartNumber))
	}
	if v != checksum.Encode(ps.sum) {
		return invalidPart
	}
	return nil
}

// objectChecksum computes the completed object's checksum and checks the
// full-object checksum the request may carry: S3 compares it only with
// x-amz-checksum-type FULL_OBJECT present and refuses any other algorithm's.
func (up *upload) objectChecksum(h http.Header, sums []checksum.Part) (objChecksum, *s3Error) {
	alg, typ := up.alg, up.typ
	if alg == "" {
		alg, typ = checksum.Default, checksum.FullObject
	}
	sum := objChecksum{alg: alg, typ: typ}
	if typ == checksum.Composite {
		raw := make([][]byte, len(sums))
		for i, p := range sums {
			raw[i] = p.Sum
		}
		sum.value = checksum.CompositeOf(alg, raw)
	} else {
		full, err := checksum.Combine(alg, sums)
		if err != nil {
			return objChecksum{}, errInternal(err)
		}
		sum.value = checksum.Encode(full)
	}
	if up.alg == "" {
		return sum, nil
	}
	bad := newErr(http.StatusBadRequest, "BadDigest",
		"The "+strings.ToLower(string(alg))+" you specified did not match the calculated checksum.")
	for _, a := range checksum.Algorithms {
		v := h.Get(a.Header())
		switch {
		case v == "":
		case a != alg:
			return objChecksum{}, bad
		case typ == checksum.FullObject && (h.Get("X-Amz-Checksum-Type") == "" || v != sum.value):
			return objChecksum{}, bad
		}
	}
	return sum, nil
}

// partsOf lists a stored object's parts ("" when it was not uploaded in parts).
func partsOf(m map[string]string) []storedPart {
	v := m[metaParts]
	if v == "" {
		return nil
	}
	parts := decodeParts(v)
	slices.SortFunc(parts, func(a, b storedPart) int { return a.PartNumber - b.PartNumber })
	return parts
}

// listParts is gofakes3's ListParts with the checksums S3 adds for uploads
// created with an algorithm: the algorithm and type, and each part's checksum.
func (s *Server) listParts(w *respWriter, r *http.Request, uploadID string) {
	up := s.upload(uploadID)
	if up == nil || up.alg == "" {
		s.passthrough(w, r)
		return
	}
	stripTransportHeaders(r.Header)
	rec := httptest.NewRecorder()
	s.fake.ServeHTTP(rec, r)
	var in gofakes3.ListMultipartUploadPartsResult
	if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &in) != nil {
		copyRecorded(w, rec)
		return
	}
	out := listPartsResult{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID,
		ChecksumAlgorithm: string(up.alg), ChecksumType: string(up.typ), StorageClass: in.StorageClass,
		Initiator: in.Initiator, Owner: in.Owner, PartNumberMarker: in.PartNumberMarker,
		NextPartNumberMarker: in.NextPartNumberMarker, MaxParts: in.MaxParts, IsTruncated: in.IsTruncated}
	up.mu.Lock()
	for _, p := range in.Parts {
		lp := listedPart{ListMultipartUploadPartItem: p}
		if ps, ok := up.parts[p.PartNumber]; ok {
			v := checksum.Encode(ps.sum)
			*map[checksum.Algorithm]*string{checksum.CRC32: &lp.ChecksumCRC32, checksum.CRC32C: &lp.ChecksumCRC32C,
				checksum.CRC64NVME: &lp.ChecksumCRC64NVME, checksum.SHA1: &lp.ChecksumSHA1, checksum.SHA256: &lp.ChecksumSHA256}[up.alg] = v
		}
		out.Parts = append(out.Parts, lp)
	}
	up.mu.Unlock()
	body, err := xml.Marshal(out)
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	writeXML(w, s, xml.Header+string(body))
}

type listPartsResult struct {
	XMLName              xml.Name              `xml:"ListPartsResult"`
	Xmlns                string                `xml:"xmlns,attr"`
	Bucket               string                `xml:"Bucket"`
	Key                  string                `xml:"Key"`
	UploadID             gofakes3.UploadID     `xml:"UploadId"`
	ChecksumAlgorithm    string                `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string                `xml:"ChecksumType,omitempty"`
	StorageClass         gofakes3.StorageClass `xml:"StorageClass,omitempty"`
	Initiator            *gofakes3.UserInfo    `xml:"Initiator,omitempty"`
	Owner                *gofakes3.UserInfo    `xml:"Owner,omitempty"`
	PartNumberMarker     int                   `xml:"PartNumberMarker"`
	NextPartNumberMarker int                   `xml:"NextPartNumberMarker"`
	MaxParts             int64                 `xml:"MaxParts"`
	IsTruncated          bool                  `xml:"IsTruncated"`
	Parts                []listedPart          `xml:"Part"`
}

type listedPart struct {
	gofakes3.ListMultipartUploadPartItem
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// listUploads is gofakes3's ListMultipartUploads, except that a bucket
// that never had an upload lists none, as in S3, rather than answering
// NoSuchUpload.
func (s *Server) listUploads(w *respWriter, r *http.Request, bucket string, q url.Values) {
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	stripTransportHeaders(r.Header)
	rec := httptest.NewRecorder()
	s.fake.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "<Code>NoSuchUpload</Code>") {
		copyRecorded(w, rec)
		return
	}
	maxUploads := q.Get("max-uploads")
	if maxUploads == "" {
		maxUploads = "1000"
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>`)
	xmlEscape(&b, bucket)
	b.WriteString("</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>")
	xmlEscape(&b, q.Get("prefix"))
	b.WriteString("</Prefix><MaxUploads>")
	xmlEscape(&b, maxUploads)
	b.WriteString("</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>")
	writeXML(w, s, b.String())
}
