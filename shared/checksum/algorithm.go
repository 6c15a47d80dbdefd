package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// Algorithm is an S3 checksum algorithm as S3 spells it (x-amz-checksum-algorithm).
type Algorithm string

// The algorithms S3 computes for objects.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// Default is the checksum S3 gives objects uploaded without one.
const Default = CRC64NVME

// Algorithms lists every algorithm, in the order S3's error messages name them.
var Algorithms = []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// Type is how a multipart object's checksum was made (x-amz-checksum-type).
type Type string

const (
	// FullObject is a checksum of the whole object's bytes; every
	// single-part object has one.
	FullObject Type = "FULL_OBJECT"
	// Composite is a checksum of the parts' checksums, "-<parts>" appended.
	Composite Type = "COMPOSITE"
)

// The reflected polynomials of the CRCs (as hash/crc32 and hash/crc64 take them).
const (
	polyCRC32     = 0xedb88320         // IEEE
	polyCRC32C    = 0x82f63b78         // Castagnoli
	polyCRC64NVME = 0x9a6c9329ac4bc9b5 // NVM Express
)

var (
	tableCRC32C    = crc32.MakeTable(polyCRC32C)
	tableCRC64NVME = crc64.MakeTable(polyCRC64NVME)
)

// Parse reads an algorithm name in any case ("crc64nvme", "CRC64NVME").
func Parse(name string) (Algorithm, bool) {
	a := Algorithm(strings.ToUpper(strings.TrimSpace(name)))
	for _, known := range Algorithms {
		if a == known {
			return a, true
		}
	}
	return "", false
}

// New returns a hash computing the algorithm's checksum; it panics for an
// algorithm that is not one of Algorithms.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(tableCRC32C)
	case CRC64NVME:
		return crc64.New(tableCRC64NVME)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("checksum: unknown algorithm " + string(a))
}

// Header is the HTTP header carrying the algorithm's checksum
// ("x-amz-checksum-crc64nvme"); S3's XML elements are "Checksum" + a.
func (a Algorithm) Header() string { return "x-amz-checksum-" + strings.ToLower(string(a)) }

// IsCRC says whether part checksums of the algorithm combine into a
// full-object checksum (Combine).
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Allows says whether S3 accepts a multipart upload of the algorithm with
// checksum type t: FULL_OBJECT needs a CRC, COMPOSITE anything but CRC64NVME.
func (a Algorithm) Allows(t Type) bool {
	switch t {
	case FullObject:
		return a.IsCRC()
	case Composite:
		return a != CRC64NVME
	}
	return false
}

// DefaultType is the checksum type of a multipart upload created with the
// algorithm and no x-amz-checksum-type: FULL_OBJECT for CRC64NVME, else COMPOSITE.
func (a Algorithm) DefaultType() Type {
	if a == CRC64NVME {
		return FullObject
	}
	return Composite
}

// Sum is the binary checksum of data.
func Sum(a Algorithm, data []byte) []byte {
	h := a.New()
	h.Write(data)
	return h.Sum(nil)
}

// Of is the checksum of data as S3 writes it: Base64 of the binary checksum.
func Of(a Algorithm, data []byte) string { return Encode(Sum(a, data)) }

// Encode is Base64 as S3 writes checksums.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Decode reads a Base64 checksum of the algorithm; false when it is not
// valid Base64 of the algorithm's size (S3: "Value for x-amz-checksum-<alg>
// header is invalid.").
func Decode(a Algorithm, v string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != a.New().Size() {
		return nil, false
	}
	return b, true
}
