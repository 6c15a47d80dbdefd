package s3local

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/sigv4"
	"github.com/datalake-platform/s3connections/shared/checksum"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// verifier checks one digest of the payload once it has been read.
type verifier struct {
	h    hash.Hash
	want string
	enc  func([]byte) string
	fail func(got string) *s3Error
}

func (v *verifier) check() *s3Error {
	if got := v.enc(v.h.Sum(nil)); got != v.want {
		return v.fail(got)
	}
	return nil
}

// payloadVerifiers returns the checks S3 makes on a plain (not aws-chunked)
// payload: x-amz-content-sha256 when it is a digest, and x-amz-checksum-*.
func payloadVerifiers(h http.Header, withChecksums bool) []*verifier {
	var vs []*verifier
	if sha := h.Get("X-Amz-Content-Sha256"); len(sha) == 64 {
		if _, err := hex.DecodeString(sha); err == nil {
			want := strings.ToLower(sha)
			vs = append(vs, &verifier{h: sha256.New(), want: want, enc: hex.EncodeToString,
				fail: func(got string) *s3Error {
					return newErr(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
						"The provided 'x-amz-content-sha256' header does not match what was computed.",
						"ClientComputedContentSHA256", want, "S3ComputedContentSHA256", got)
				}})
		}
	}
	for _, a := range checksum.Algorithms {
		if v := h.Get(a.Header()); v != "" && withChecksums {
			vs = append(vs, checksumVerifier(a, v))
		}
	}
	return vs
}

func checksumVerifier(a checksum.Algorithm, want string) *verifier {
	return &verifier{h: a.New(), want: want, enc: base64.StdEncoding.EncodeToString,
		fail: func(string) *s3Error {
			return newErr(http.StatusBadRequest, "BadDigest",
				"The "+string(a)+" you specified did not match the calculated checksum.")
		}}
}

// verifyingReader runs verifiers over a streamed body. A mismatch is reported
// to the response writer, which answers it in place of the error gofakes3
// makes of the failed read.
type verifyingReader struct {
	io.ReadCloser
	vs   []*verifier
	rw   *respWriter
	done bool
	err  error // sticky: io.ReadFull drops an error that comes with the last bytes
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.ReadCloser.Read(p)
	for _, x := range v.vs {
		x.h.Write(p[:n])
	}
	if err == io.EOF && !v.done {
		v.done = true
		for _, x := range v.vs {
			if e := x.check(); e != nil {
				v.rw.override = e
				v.err = e
				return n, e
			}
		}
	}
	return n, err
}

// sigCtx is what verifying the chunk signatures of a signed streaming body
// needs from the request's own signature.
type sigCtx struct {
	key     []byte
	seed    string
	amzDate string
	scope   string
}

var errChunk = errors.New("malformed aws-chunked body")

// decodeAWSChunked decodes an aws-chunked body (unsigned or signed chunks,
// with or without trailers) completely. Chunk signatures are verified when sc
// is non-nil and the body is signed. It returns the payload and the trailers.
func decodeAWSChunked(body io.Reader, signed bool, sc *sigCtx, sizeHint int64) ([]byte, map[string]string, *s3Error) {
	br := bufio.NewReaderSize(body, 64<<10)
	if sizeHint < 0 || sizeHint > 1<<30 {
		sizeHint = 0
	}
	data := make([]byte, 0, sizeHint)
	prev := ""
	if sc != nil {
		prev = sc.seed
	}
	incomplete := newErr(http.StatusBadRequest, "IncompleteBody",
		"You did not provide the number of bytes specified by the Content-Length HTTP header")
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, incomplete
		}
		sizeStr, ext, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
		if err != nil || size < 0 || size > 5<<30 {
			return nil, nil, newErr(http.StatusBadRequest, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes")
		}
		start := len(data)
		if int64(cap(data)-start) < size {
			grown := make([]byte, start, int64(start)+size)
			copy(grown, data)
			data = grown
		}
		data = data[:start+int(size)]
		if _, err := io.ReadFull(br, data[start:]); err != nil {
			return nil, nil, incomplete
		}
		if signed && sc != nil {
			sig := strings.TrimPrefix(strings.TrimSpace(ext), "chunk-signature=")
			want := chunkSignature(sc, prev, data[start:])
			if !hmac.Equal([]byte(sig), []byte(want)) {
				return nil, nil, newErr(http.StatusForbidden, "SignatureDoesNotMatch",
					"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
			}
			prev = want
		}
		if size == 0 {
			break
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return nil, nil, incomplete
		}
	}
	trailers := map[string]string{}
	for {
		line, err := readLine(br)
		if err != nil || line == "" {
			break // the terminating CRLF may be missing after the last trailer
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, incomplete
		}
		trailers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return data, trailers, nil
}

func chunkSignature(sc *sigCtx, prev string, chunk []byte) string {
	sts := sigv4.Algorithm + "-PAYLOAD\n" + sc.amzDate + "\n" + sc.scope + "\n" + prev + "\n" + emptySHA256 + "\n" + sigv4.HashHex(chunk)
	return sigv4.Signature(sc.key, sts)
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return "", errChunk
		}
		if err == io.EOF && len(line) == 0 {
			return "", io.EOF
		}
		if err != io.EOF {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// prepareBody makes the request body what gofakes3 can store: aws-chunked
// bodies are decoded (gofakes3 would store the framing of unsigned ones, and
// the multipart uploader handles neither) and their trailer checksum moved to
// a header; digests and checksums are verified.
func (s *Server) prepareBody(r *http.Request, sc *sigCtx, rw *respWriter) *s3Error {
	if r.Body == nil || (r.Method != http.MethodPut && r.Method != http.MethodPost) {
		return nil
	}
	sha := r.Header.Get("X-Amz-Content-Sha256")
	chunked := strings.HasPrefix(sha, "STREAMING-")
	encodings := r.Header.Values("Content-Encoding")
	var kept []string
	for _, v := range encodings {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); strings.EqualFold(e, "aws-chunked") {
				chunked = true
			} else if e != "" {
				kept = append(kept, e)
			}
		}
	}
	// A CompleteMultipartUpload's x-amz-checksum-* describes the object, not the body.
	payloadChecksums := !(r.Method == http.MethodPost && r.URL.Query().Has("uploadId"))
	if !chunked {
		if r.Method == http.MethodPut {
			if _, _, e := requestChecksum(r.Header); e != nil {
				return e
			}
		}
		if vs := payloadVerifiers(r.Header, payloadChecksums); len(vs) > 0 {
			r.Body = &verifyingReader{ReadCloser: r.Body, vs: vs, rw: rw}
		}
		return nil
	}

	signed := strings.HasPrefix(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	hint, _ := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	data, trailers, e := decodeAWSChunked(r.Body, signed, sc, hint)
	_ = r.Body.Close()
	if e != nil {
		return e
	}
	if dl := r.Header.Get("X-Amz-Decoded-Content-Length"); dl != "" && dl != strconv.Itoa(len(data)) {
		return newErr(http.StatusBadRequest, "IncompleteBody",
			"You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header")
	}
	for name, v := range trailers {
		if suffix, ok := strings.CutPrefix(name, "x-amz-checksum-"); ok {
			if a, known := checksum.Parse(suffix); known {
				r.Header.Set(a.Header(), v)
			}
		}
	}
	if _, _, e := requestChecksum(r.Header); e != nil {
		return e
	}
	r.Header.Del("X-Amz-Content-Sha256") // only the chunks were signed; the payload is checked below
	for _, v := range payloadVerifiers(r.Header, payloadChecksums) {
		v.h.Write(data)
		if e := v.check(); e != nil {
			return e
		}
	}
	if len(kept) > 0 {
		r.Header.Set("Content-Encoding", strings.Join(kept, ","))
	} else {
		r.Header.Del("Content-Encoding")
	}
	r.Header.Del("X-Amz-Decoded-Content-Length")
	r.Header.Set("Content-Length", strconv.Itoa(len(data)))
	r.ContentLength = int64(len(data))
	r.TransferEncoding = nil
	r.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}
