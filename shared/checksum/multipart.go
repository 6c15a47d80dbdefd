package checksum

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Part is what a multipart checksum needs of one part: its binary checksum
// and, for Combine, its size in bytes.
type Part struct {
	Sum  []byte
	Size int64
}

// ErrNotCRC is returned by Combine for algorithms without a full-object form.
var ErrNotCRC = errors.New("checksum: only CRC32, CRC32C and CRC64NVME combine into a full-object checksum")

// Combine is the binary full-object CRC of the concatenation of the parts,
// computed from their CRCs and sizes alone, as S3 computes the FULL_OBJECT
// checksum of a multipart object.
func Combine(a Algorithm, parts []Part) ([]byte, error) {
	c, err := crcOf(a)
	if err != nil {
		return nil, err
	}
	var crc uint64 // the CRC of no bytes is 0 (initial and final XOR cancel)
	for i, p := range parts {
		if len(p.Sum) != c.width/8 {
			return nil, errors.New("checksum: part " + strconv.Itoa(i+1) + " has a " +
				strconv.Itoa(len(p.Sum)) + "-byte checksum, want " + strconv.Itoa(c.width/8) + " for " + string(a))
		}
		if p.Size < 0 {
			return nil, errors.New("checksum: part " + strconv.Itoa(i+1) + " has a negative size")
		}
		crc = c.combine(crc, c.decode(p.Sum), p.Size)
	}
	return c.encode(crc), nil
}

// CompositeOf is the COMPOSITE checksum of the parts' binary checksums as
// S3 reports it in CompleteMultipartUpload, HeadObject and GetObject:
// Base64 of the algorithm's checksum over the concatenated part checksums,
// then "-<number of parts>".
func CompositeOf(a Algorithm, partSums [][]byte) string {
	h := a.New()
	for _, s := range partSums {
		h.Write(s)
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(partSums))
}

// SplitParts separates a composite checksum's "-<parts>" suffix (which
// GetObjectAttributes leaves out); parts is 0 for a full-object checksum.
func SplitParts(v string) (value string, parts int) {
	i := strings.LastIndexByte(v, '-')
	if i < 0 {
		return v, 0
	}
	n, err := strconv.Atoi(v[i+1:])
	if err != nil || n < 1 {
		return v, 0
	}
	return v[:i], n
}

// crc describes a reflected CRC whose initial value and final XOR are all
// ones (CRC32, CRC32C and CRC64NVME all are).
type crc struct {
	width int    // bits: 32 or 64
	poly  uint64 // reflected polynomial
	x2n   [64]uint64
}

var crcs = map[Algorithm]*crc{
	CRC32:     newCRC(32, polyCRC32),
	CRC32C:    newCRC(32, polyCRC32C),
	CRC64NVME: newCRC(64, polyCRC64NVME),
}

func crcOf(a Algorithm) (*crc, error) {
	c, ok := crcs[a]
	if !ok {
		return nil, ErrNotCRC
	}
	return c, nil
}

// newCRC precomputes x^(2^k) mod p for k = 0..63.
func newCRC(width int, poly uint64) *crc {
	c := &crc{width: width, poly: poly}
	p := c.one() >> 1 // x^1
	for k := range c.x2n {
		c.x2n[k] = p
		p = c.mulmod(p, p)
	}
	return c
}

// one is the polynomial 1 (x^0): the top bit, in the reflected order.
func (c *crc) one() uint64 { return 1 << (c.width - 1) }

// mulmod multiplies two polynomials modulo the CRC's polynomial
// (zlib's multmodp, for width bits).
func (c *crc) mulmod(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	m := c.one()
	var p uint64
	for {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				break
			}
		}
		m >>= 1
		if b&1 != 0 {
			b = b>>1 ^ c.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// shift is x^(8n) mod p: appending n bytes multiplies the first CRC by it
// (zlib's x2nmodp(n, 3)).
func (c *crc) shift(n int64) uint64 {
	p := c.one()
	for k := 3; n != 0; k++ {
		if n&1 != 0 {
			p = c.mulmod(c.x2n[k&63], p)
		}
		n >>= 1
	}
	return p
}

// combine is the CRC of A followed by B from crc(A), crc(B) and len(B)
// (zlib's crc32_combine).
func (c *crc) combine(crcA, crcB uint64, lenB int64) uint64 {
	return c.mulmod(c.shift(lenB), crcA) ^ crcB
}

// decode and encode convert between the big-endian bytes hash.Hash.Sum
// returns and the CRC's value.
func (c *crc) decode(b []byte) uint64 {
	if c.width == 32 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func (c *crc) encode(v uint64) []byte {
	if c.width == 32 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}
