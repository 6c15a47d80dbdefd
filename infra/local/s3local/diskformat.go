package s3local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// The persistent backend's files under Options.DataPath:
//
//	objects/<bucket>/bucket.json          the bucket (its creation date)
//	objects/<bucket>/<hh>/<h>.json        an object's record: key, size, MD5, metadata, body file
//	objects/<bucket>/<hh>/<h>.<gen>.data  the object's bytes, one file per write
//
// h is the hex SHA-256 of the object key and hh its first two digits, so no
// key, however hostile ("../..", "/", 1 KiB long, not UTF-8), names a path:
// the key itself is only kept inside the record. The record is the commit
// point of a write (see diskBackend.PutObject).
const (
	objectsDirName = "objects"
	bucketFileName = "bucket.json"
	recordExt      = ".json"
	bodyExt        = ".data"
	// Files and directories being written, or buckets being deleted; never a
	// bucket name (those start with a letter or digit) nor an object stem.
	tmpPrefix   = ".tmp-"
	trashPrefix = ".trash-"
)

// objectStem is the file-name stem of key's record and bodies.
func objectStem(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// isBodyOf reports whether name is a body file name of stem
// ("<stem>.<gen>.data"); records naming anything else are refused.
func isBodyOf(name, stem string) bool {
	gen, ok := strings.CutPrefix(name, stem+".")
	if !ok {
		return false
	}
	gen, ok = strings.CutSuffix(gen, bodyExt)
	if !ok || gen == "" {
		return false
	}
	for _, c := range gen {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

type bucketRecord struct {
	Created time.Time `json:"created"`
}

// objectRecord is the JSON record of one object. Metadata is everything the
// store keeps with the object: the stored headers (Content-Type,
// X-Amz-Meta-*, X-Amz-Storage-Class, X-Amz-Tagging, X-Amz-Checksum-*, ...)
// and s3local's own keys (restore expiry, multipart ETag; see store).
type objectRecord struct {
	Key          text            `json:"key"`
	Size         int64           `json:"size"`
	MD5          string          `json:"md5"` // hex; the ETag of a single PUT
	LastModified time.Time       `json:"lastModified"`
	Body         string          `json:"body"` // file name of the bytes, next to the record
	Metadata     map[string]text `json:"metadata"`
}

func (o *diskObject) record() objectRecord {
	meta := make(map[string]text, len(o.meta))
	for k, v := range o.meta {
		meta[k] = text(v)
	}
	return objectRecord{Key: text(o.key), Size: o.size, MD5: hex.EncodeToString(o.md5),
		LastModified: o.modified, Body: o.body, Metadata: meta}
}

// readRecord loads the record at path, which must be the record of its own
// key and name a body of that key.
func readRecord(path string) (*diskObject, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec objectRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("s3local: object record %s: %w", path, err)
	}
	key := string(rec.Key)
	stem := objectStem(key)
	sum, err := hex.DecodeString(rec.MD5)
	if filepath.Base(path) != stem+recordExt || !isBodyOf(rec.Body, stem) || err != nil || rec.Size < 0 {
		return nil, fmt.Errorf("s3local: object record %s does not match its file name, body or content", path)
	}
	meta := make(map[string]string, len(rec.Metadata))
	for k, v := range rec.Metadata {
		meta[k] = string(v)
	}
	return &diskObject{key: key, stem: stem, size: rec.Size, md5: sum, modified: rec.LastModified,
		body: rec.Body, meta: meta}, nil
}

// text is a string that survives JSON when it is not UTF-8 (keys and header
// values are bytes; encoding/json would replace invalid ones): valid UTF-8 is
// written as a JSON string, anything else as {"base64": "..."}.
type text string

type textBytes struct {
	Base64 []byte `json:"base64"`
}

func (t text) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return json.Marshal(string(t))
	}
	return json.Marshal(textBytes{Base64: []byte(t)})
}

func (t *text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var v textBytes
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*t = text(v.Base64)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = text(s)
	return nil
}
