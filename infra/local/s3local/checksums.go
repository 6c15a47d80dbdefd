package s3local

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/datalake-platform/s3connections/shared/checksum"
)

// How an object's checksum is stored: the x-amz-checksum-<alg> header
// gofakes3 keeps as metadata (the value of a COMPOSITE checksum has its
// "-<parts>" suffix), metaChecksumType for COMPOSITE ones (absent:
// FULL_OBJECT), and metaParts for the parts of a multipart object.
const (
	metaChecksumType = metaPrefix + "Checksum-Type"
	metaParts        = metaPrefix + "Parts"
	// metaWrite names the writeResult of a PutObject's request (see
	// store.writes); it never reaches the backend.
	metaWrite = metaPrefix + "Write"
)

// objChecksum is an object's (or a part's) checksum.
type objChecksum struct {
	alg   checksum.Algorithm
	value string // Base64, with "-<parts>" for COMPOSITE
	typ   checksum.Type
}

// checksumKey is the metadata (and header) key of an algorithm's checksum.
func checksumKey(a checksum.Algorithm) string {
	return textproto.CanonicalMIMEHeaderKey(a.Header())
}

// storedChecksum reads an object's checksum from its metadata.
func storedChecksum(m map[string]string) (objChecksum, bool) {
	for _, a := range checksum.Algorithms {
		if v := m[checksumKey(a)]; v != "" {
			typ := checksum.FullObject
			if m[metaChecksumType] == string(checksum.Composite) {
				typ = checksum.Composite
			}
			return objChecksum{alg: a, value: v, typ: typ}, true
		}
	}
	return objChecksum{}, false
}

// dropChecksums removes every stored checksum and the part list.
func dropChecksums(m map[string]string) {
	for _, a := range checksum.Algorithms {
		delete(m, checksumKey(a))
	}
	delete(m, metaChecksumType)
	delete(m, metaParts)
}

// setChecksumHeaders sends a checksum as S3 does in object and PutObject
// responses: x-amz-checksum-<alg> and x-amz-checksum-type.
func setChecksumHeaders(h http.Header, c objChecksum) {
	h.Set(c.alg.Header(), c.value)
	h.Set("X-Amz-Checksum-Type", string(c.typ))
}

// checksumXML writes a checksum as the Checksum<ALG> and ChecksumType
// elements of CopyObjectResult, CompleteMultipartUploadResult and Checksum.
func checksumXML(b *strings.Builder, c objChecksum, withType bool) {
	b.WriteString("<Checksum" + string(c.alg) + ">")
	xmlEscape(b, c.value)
	b.WriteString("</Checksum" + string(c.alg) + ">")
	if withType {
		b.WriteString("<ChecksumType>" + string(c.typ) + "</ChecksumType>")
	}
}

// requestChecksum reads the x-amz-checksum-<alg> header of a request whose
// payload it describes (aws-chunked trailers are headers by then): at most
// one, Base64 of the algorithm's size, as S3 demands.
func requestChecksum(h http.Header) (checksum.Algorithm, string, *s3Error) {
	var alg checksum.Algorithm
	var value string
	for _, a := range checksum.Algorithms {
		v := h.Get(a.Header())
		if v == "" {
			continue
		}
		if alg != "" {
			return "", "", errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		if _, ok := checksum.Decode(a, v); !ok {
			return "", "", errInvalidRequest("Value for " + a.Header() + " header is invalid.")
		}
		alg, value = a, v
	}
	return alg, value, nil
}

// errUnsupportedAlgorithm is S3's answer to an x-amz-checksum-algorithm it
// does not know.
func errUnsupportedAlgorithm() *s3Error {
	return errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
}

// requestAlgorithm reads x-amz-checksum-algorithm ("" when absent).
func requestAlgorithm(h http.Header) (checksum.Algorithm, *s3Error) {
	v := h.Get("X-Amz-Checksum-Algorithm")
	if v == "" {
		return "", nil
	}
	a, ok := checksum.Parse(v)
	if !ok {
		return "", errUnsupportedAlgorithm()
	}
	return a, nil
}

// storedPart is a part of a completed multipart object, as
// GetObjectAttributes reports it. Checksum is kept for COMPOSITE objects
// only: S3 lists the parts of those alone.
type storedPart struct {
	PartNumber int    `json:"n"`
	Size       int64  `json:"s"`
	Checksum   string `json:"c,omitempty"`
}

func encodeParts(parts []storedPart) string {
	b, _ := json.Marshal(parts) // cannot fail: plain values
	return string(b)
}

func decodeParts(v string) []storedPart {
	var parts []storedPart
	_ = json.Unmarshal([]byte(v), &parts) // written by encodeParts; unreadable means none
	return parts
}
