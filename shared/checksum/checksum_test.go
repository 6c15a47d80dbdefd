package checksum

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"strings"
	"testing"
)

// Values S3 returned, recorded against AWS in LocalStack's snapshot tests
// (tests/aws/services/s3/test_s3.snapshot.json, 21-02-2026): the parts of
// TestS3MultipartUploadChecksum are "a"×5242881 twice and "a"×10.
var (
	bigPart   = bytes.Repeat([]byte("a"), 5_242_881)
	smallPart = bytes.Repeat([]byte("a"), 10)
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		alg  Algorithm
		data string
		want string
	}{
		// The check values of each CRC's specification ("123456789").
		{CRC32, "123456789", b64(0xcb, 0xf4, 0x39, 0x26)},
		{CRC32C, "123456789", b64(0xe3, 0x06, 0x92, 0x83)},
		{CRC64NVME, "123456789", b64(0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88)},
		// Recorded S3 answers.
		{CRC32, "abc", "NSRBwg=="},
		{CRC32C, "abc", "Nks/tw=="},
		{CRC32C, "aaa", "45fn2Q=="},
		{CRC64NVME, "aaa", "Rnr2/5P7Gsk="},
		{CRC32C, "this is a part", "iqJrOQ=="},
		{CRC32, string(smallPart), "TBHN8A=="},
		{CRC64NVME, string(smallPart), "DBqAA21lxVU="},
		{SHA1, string(smallPart), "NJX/adNGcdHhWzOmPBN5/e3Toyo="},
		{SHA256, string(smallPart), "vyy1imj2hNlaO3jvj2Ycmk5bCegsyPnMiMzpBSjK6yc="},
		{CRC32, string(bigPart), "NRU+Sw=="},
		{CRC32C, string(bigPart), "2/Ckiw=="},
		{CRC64NVME, string(bigPart), "Kg7TOs6algM="},
		// The empty object.
		{CRC32, "", "AAAAAA=="},
		{CRC64NVME, "", "AAAAAAAAAAA="},
	} {
		if got := Of(tc.alg, []byte(tc.data)); got != tc.want {
			t.Errorf("Of(%s, %.12q) = %s, want %s", tc.alg, tc.data, got, tc.want)
		}
	}
}

func b64(b ...byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestCombineMatchesS3(t *testing.T) {
	parts := [][]byte{bigPart, bigPart, smallPart}
	for alg, want := range map[Algorithm]string{
		CRC32: "qSEQSA==", CRC32C: "eTdAQA==", CRC64NVME: "ZMNX55lZurA=",
	} {
		got, err := Combine(alg, partsOf(alg, parts))
		if err != nil {
			t.Fatal(err)
		}
		if Encode(got) != want {
			t.Errorf("Combine(%s) = %s, want S3's %s", alg, Encode(got), want)
		}
		if whole := Of(alg, bytes.Join(parts, nil)); whole != want {
			t.Errorf("Of(%s, whole) = %s, want %s", alg, whole, want)
		}
	}
}

func TestCompositeMatchesS3(t *testing.T) {
	parts := [][]byte{bigPart, bigPart, smallPart}
	for alg, want := range map[Algorithm]string{
		CRC32:  "5FRUiw==-3",
		CRC32C: "XF5+4A==-3",
		SHA1:   "AyE60nyQoBgJcwsyPHWu7aJuxBs=-3",
		SHA256: "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
	} {
		var sums [][]byte
		for _, p := range parts {
			sums = append(sums, Sum(alg, p))
		}
		if got := CompositeOf(alg, sums); got != want {
			t.Errorf("CompositeOf(%s) = %s, want S3's %s", alg, got, want)
		}
	}
	if got := CompositeOf(CRC32C, [][]byte{Sum(CRC32C, []byte("this is a part"))}); got != "F9bAnw==-1" {
		t.Errorf("one-part composite = %s, want S3's F9bAnw==-1", got)
	}
}

func TestCombineEdges(t *testing.T) {
	for _, alg := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		data := []byte("The quick brown fox jumps over the lazy dog")
		for _, cuts := range [][]int{nil, {0}, {len(data)}, {0, 0, 5}, {1, 2, 3, 40}} {
			got, err := Combine(alg, partsOf(alg, split(data, cuts)))
			if err != nil {
				t.Fatal(err)
			}
			if want := Sum(alg, data); !bytes.Equal(got, want) {
				t.Errorf("%s cuts %v: Combine = %x, want %x", alg, cuts, got, want)
			}
		}
		empty, err := Combine(alg, nil)
		if err != nil || !bytes.Equal(empty, Sum(alg, nil)) {
			t.Errorf("%s: Combine of no parts = %x, %v; want the CRC of no bytes", alg, empty, err)
		}
	}
	if _, err := Combine(SHA256, []Part{{Sum: Sum(SHA256, nil)}}); err != ErrNotCRC {
		t.Errorf("Combine(SHA256) error = %v, want ErrNotCRC", err)
	}
	if _, err := Combine(CRC64NVME, []Part{{Sum: Sum(CRC32, nil)}}); err == nil || !strings.Contains(err.Error(), "part 1") {
		t.Errorf("a CRC32 sum in a CRC64NVME combine: error = %v, want one naming part 1", err)
	}
	if _, err := Combine(CRC32, []Part{{Sum: Sum(CRC32, nil), Size: -1}}); err == nil {
		t.Error("a negative part size was accepted")
	}
}

// Parts far larger than memory: the combination only needs their sizes.
func TestCombineLargeSizes(t *testing.T) {
	for _, alg := range []Algorithm{CRC32, CRC64NVME} {
		// CRC(zeros(n) + "x") computed two ways: by the combine of a part of
		// n zero bytes built by doubling, and directly for a small n.
		for _, n := range []int64{1, 7, 4096, 1 << 20} {
			zeros := make([]byte, n)
			direct := Sum(alg, append(zeros, 'x'))
			z, err := zeroCRC(alg, n)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Combine(alg, []Part{{Sum: z, Size: n}, {Sum: Sum(alg, []byte("x")), Size: 1}})
			if err != nil || !bytes.Equal(got, direct) {
				t.Errorf("%s n=%d: %x, %v; want %x", alg, n, got, err, direct)
			}
		}
		// 5 TiB of zeros (S3's largest object) still combines, quickly.
		if _, err := zeroCRC(alg, 5<<40); err != nil {
			t.Fatal(err)
		}
	}
}

// zeroCRC is the CRC of n zero bytes, built by combining halves.
func zeroCRC(alg Algorithm, n int64) ([]byte, error) {
	if n <= 1 {
		return Sum(alg, make([]byte, n)), nil
	}
	half, err := zeroCRC(alg, n/2)
	if err != nil {
		return nil, err
	}
	parts := []Part{{Sum: half, Size: n / 2}, {Sum: half, Size: n / 2}}
	if n%2 == 1 {
		parts = append(parts, Part{Sum: Sum(alg, []byte{0}), Size: 1})
	}
	return Combine(alg, parts)
}

func TestParseAndRules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"crc64nvme", CRC64NVME, true}, {"CRC32C", CRC32C, true}, {" sha256 ", SHA256, true},
		{"md5", "", false}, {"", "", false}, {"XXHASH64", "", false},
	} {
		if got, ok := Parse(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		alg       Algorithm
		full, cmp bool
		def       Type
	}{
		{CRC32, true, true, Composite}, {CRC32C, true, true, Composite}, {CRC64NVME, true, false, FullObject},
		{SHA1, false, true, Composite}, {SHA256, false, true, Composite},
	} {
		if tc.alg.Allows(FullObject) != tc.full || tc.alg.Allows(Composite) != tc.cmp || tc.alg.DefaultType() != tc.def {
			t.Errorf("%s: Allows(FULL_OBJECT)=%v Allows(COMPOSITE)=%v DefaultType=%s; want %v %v %s", tc.alg,
				tc.alg.Allows(FullObject), tc.alg.Allows(Composite), tc.alg.DefaultType(), tc.full, tc.cmp, tc.def)
		}
	}
	if h := CRC64NVME.Header(); h != "x-amz-checksum-crc64nvme" {
		t.Errorf("Header = %s", h)
	}
}

func TestDecodeAndSplit(t *testing.T) {
	if _, ok := Decode(CRC32, "NSRBwg=="); !ok {
		t.Error("a valid CRC32 was refused")
	}
	for _, bad := range []string{"NSRBwg", "Rnr2/5P7Gsk=", "not base64!", ""} {
		if _, ok := Decode(CRC32, bad); ok {
			t.Errorf("Decode(CRC32, %q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		in, value string
		parts     int
	}{
		{"5FRUiw==-3", "5FRUiw==", 3}, {"qSEQSA==", "qSEQSA==", 0}, {"abc-0", "abc-0", 0}, {"abc-x", "abc-x", 0},
	} {
		if v, n := SplitParts(tc.in); v != tc.value || n != tc.parts {
			t.Errorf("SplitParts(%q) = %q, %d; want %q, %d", tc.in, v, n, tc.value, tc.parts)
		}
	}
}

func partsOf(alg Algorithm, parts [][]byte) []Part {
	out := make([]Part, len(parts))
	for i, p := range parts {
		out[i] = Part{Sum: Sum(alg, p), Size: int64(len(p))}
	}
	return out
}

// split cuts data at the given offsets (clamped, in order).
func split(data []byte, cuts []int) [][]byte {
	var parts [][]byte
	prev := 0
	for _, c := range cuts {
		c = min(max(c, prev), len(data))
		parts = append(parts, data[prev:c])
		prev = c
	}
	return append(parts, data[prev:])
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte("hello, world"), uint64(3), uint8(2))
	f.Add([]byte{}, uint64(0), uint8(0))
	f.Add(bytes.Repeat([]byte{0xff}, 100), uint64(99), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, n uint8) {
		r := rand.New(rand.NewSource(int64(seed)))
		cuts := make([]int, int(n)%16)
		for i := range cuts {
			cuts[i] = r.Intn(len(data) + 1)
		}
		for i := 1; i < len(cuts); i++ { // sorted, so that the parts concatenate to data
			for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
				cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
			}
		}
		parts := split(data, cuts)
		for _, alg := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
			got, err := Combine(alg, partsOf(alg, parts))
			if err != nil {
				t.Fatal(err)
			}
			if want := Sum(alg, data); !bytes.Equal(got, want) {
				t.Fatalf("%s: combine of %d parts = %x, crc of the whole = %x", alg, len(parts), got, want)
			}
		}
	})
}
