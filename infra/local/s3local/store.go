package s3local

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/datalake-platform/s3connections/shared/checksum"
	"github.com/johannesboyne/gofakes3"
)

// Internal metadata keys. They travel with the object in the backend (so they
// persist and disappear with it) and never reach clients: the response fixer
// strips everything with metaPrefix. They carry the X-Amz- prefix because
// gofakes3 only stores request headers with that prefix.
const (
	metaPrefix  = "X-Amz-S3local-"
	metaKeys    = metaPrefix + "Keys"    // keys written by the latest write; older ones are stale
	metaRestore = metaPrefix + "Restore" // RFC 3339 expiry of the object's restored copy
	// metaRestoreReady is when a requested restore completes (RFC 3339,
	// nanoseconds): until then the restore is in progress.
	metaRestoreReady = metaPrefix + "Restore-Ready"
	metaETag         = metaPrefix + "Etag" // multipart ETag ("<hex>-<n>") where it differs from the MD5
	metaMPU          = metaPrefix + "Mpu"  // set on multipart uploads: completion stamps metaETag
)

// headerMeta maps headers S3 stores but gofakes3 drops to the metadata keys
// they are stored under.
var headerMeta = map[string]string{
	"Cache-Control":    metaPrefix + "Cache-Control",
	"Content-Language": metaPrefix + "Content-Language",
	"Expires":          metaPrefix + "Expires",
}

// store wraps the backend (s3mem, or diskBackend with a DataPath). s3mem
// merges the previous object's metadata into every PutObject (so an
// overwrite would keep the old storage class, restore state and user
// metadata): the wrapper records which keys each write set and hides the
// rest on reads. Backends list objects without their storage class: the
// wrapper fills listings from the stored metadata. Every write stores a
// checksum: the one the request carried (verified), a multipart upload's,
// or one the wrapper computes over the written bytes (CRC64NVME, S3's
// default, unless a copy asked for another algorithm).
type store struct {
	gofakes3.Backend

	mu      sync.Mutex
	pending map[string]*completion // bucket+"\x00"+key -> the multipart upload being completed
	writes  sync.Map               // metaWrite token -> *writeResult of a PutObject request
}

// completion is what a multipart completion adds to the object's metadata.
type completion struct {
	etag string            // "<md5 of part md5s>-<parts>"
	meta map[string]string // checksum, checksum type and parts
}

// writeOpts changes how a write stores the object.
type writeOpts struct {
	compute checksum.Algorithm // recompute the checksum with this algorithm
	corrupt bool               // store other bytes than the input's (the copy fault)
}

// writeResult receives the checksum a PutObject request stored.
type writeResult struct {
	sum objChecksum
	ok  bool
}

func newStore(b gofakes3.Backend) *store {
	return &store{Backend: b, pending: map[string]*completion{}}
}

// resolveMultipart turns the multipart marker into the completion's ETag
// and checksum.
func (s *store) resolveMultipart(bucket, key string, meta map[string]string) {
	if _, ok := meta[metaMPU]; !ok {
		return
	}
	delete(meta, metaMPU)
	s.mu.Lock()
	c := s.pending[bucket+"\x00"+key]
	s.mu.Unlock()
	if c == nil {
		return
	}
	if c.etag != "" {
		meta[metaETag] = c.etag
	}
	dropChecksums(meta)
	for k, v := range c.meta {
		meta[k] = v
	}
}

// stampKeys records the keys of a new write (see visible).
func stampKeys(meta map[string]string) {
	delete(meta, metaKeys)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	meta[metaKeys] = strings.Join(keys, ",")
}

func (s *store) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	if meta == nil {
		meta = map[string]string{}
	}
	var res *writeResult
	if token := meta[metaWrite]; token != "" {
		if v, ok := s.writes.Load(token); ok {
			res = v.(*writeResult)
		}
	}
	delete(meta, metaWrite)
	out, sum, err := s.put(bucket, key, meta, input, size, cond, writeOpts{})
	if err == nil && res != nil {
		res.sum, res.ok = sum, true
	}
	return out, err
}

// put writes an object with its checksum (see store) and returns the checksum.
func (s *store) put(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions, o writeOpts) (gofakes3.PutObjectResult, objChecksum, error) {
	s.resolveMultipart(bucket, key, meta)
	have, ok := storedChecksum(meta)
	alg := o.compute
	if alg == "" && (!ok || o.corrupt) {
		alg = checksum.Default
		if ok {
			alg = have.alg
		}
	}
	if o.corrupt {
		data, err := gofakes3.ReadAll(input, size)
		if err != nil {
			return gofakes3.PutObjectResult{}, objChecksum{}, err
		}
		data = corrupt(data)
		input, size = bytes.NewReader(data), int64(len(data))
	}
	if alg == "" {
		stampKeys(meta)
		out, err := s.Backend.PutObject(bucket, key, meta, input, size, cond)
		return out, have, err
	}
	dropChecksums(meta)
	ck := checksumKey(alg)
	meta[ck] = "" // listed by stampKeys; filled in once the body is read
	stampKeys(meta)
	h := alg.New()
	sum := objChecksum{alg: alg, typ: checksum.FullObject}
	seal := func(m map[string]string) {
		sum.value = checksum.Encode(h.Sum(nil))
		m[ck] = sum.value
	}
	if d, ok := s.Backend.(*diskBackend); ok {
		out, err := d.putSealed(bucket, key, meta, io.TeeReader(input, h), size, cond, seal)
		return out, sum, err
	}
	data, err := gofakes3.ReadAll(io.TeeReader(input, h), size) // s3mem holds bodies in memory anyway
	if err != nil {
		return gofakes3.PutObjectResult{}, objChecksum{}, err
	}
	seal(meta)
	out, err := s.Backend.PutObject(bucket, key, meta, bytes.NewReader(data), size, cond)
	return out, sum, err
}

// corrupt is the copy fault: the bytes with the last one flipped (one zero
// byte for no bytes).
func corrupt(data []byte) []byte {
	if len(data) == 0 {
		return []byte{0}
	}
	out := bytes.Clone(data)
	out[len(out)-1] ^= 0xff
	return out
}

// CopyObject reads and writes through the wrapper: gofakes3's helper, which
// the backends use, would write through the backend's PutObject and so skip
// stamp.
func (s *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	res, _, err := s.copyWith(srcBucket, srcKey, dstBucket, dstKey, meta, writeOpts{})
	return res, err
}

// copyWith is CopyObject with write options; it returns the stored checksum.
func (s *store) copyWith(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string, o writeOpts) (gofakes3.CopyObjectResult, objChecksum, error) {
	obj, err := s.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, objChecksum{}, err
	}
	defer obj.Contents.Close()
	_, sum, err := s.put(dstBucket, dstKey, meta, obj.Contents, obj.Size, nil, o)
	if err != nil {
		return gofakes3.CopyObjectResult{}, objChecksum{}, err
	}
	hash := obj.Hash
	if o.corrupt {
		if stored, err := s.Backend.HeadObject(dstBucket, dstKey); err == nil {
			_ = stored.Contents.Close()
			hash = stored.Hash
		}
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(hash), LastModified: gofakes3.NewContentTime(time.Now())}, sum, nil
}

func (s *store) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := s.Backend.HeadObject(bucket, key)
	if err == nil && obj != nil {
		obj.Metadata = visible(obj.Metadata)
	}
	return obj, err
}

func (s *store) GetObject(bucket, key string, rnge *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := s.Backend.GetObject(bucket, key, rnge)
	if err == nil && obj != nil {
		obj.Metadata = visible(obj.Metadata)
	}
	return obj, err
}

// ListBucket keeps the backend's paging and fills in, per returned key, the
// storage class, the multipart ETag and S3's second-precision LastModified
// (which also keeps a restore, stored as a rewrite, from looking like a change).
func (s *store) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := s.Backend.ListBucket(name, prefix, page)
	if err != nil || list == nil {
		return list, err
	}
	for _, c := range list.Contents {
		obj, err := s.HeadObject(name, c.Key)
		if err != nil || obj == nil {
			continue // deleted since the listing
		}
		_ = obj.Contents.Close()
		m := obj.Metadata
		c.StorageClass = gofakes3.StorageClass(m["X-Amz-Storage-Class"])
		if c.StorageClass == "" {
			c.StorageClass = gofakes3.StorageStandard // the XML tag has omitempty
		}
		if t, err := http.ParseTime(m["Last-Modified"]); err == nil {
			c.LastModified = gofakes3.NewContentTime(t)
		}
		if e := m[metaETag]; e != "" {
			c.ETag = e
		}
	}
	return list, nil
}

// updateMeta rewrites an object's metadata in place (used for restores).
// Concurrent overwrites of the same key may be lost, which is acceptable for
// the rare operations that use it.
func (s *store) updateMeta(bucket, key string, fn func(m map[string]string)) error {
	obj, err := s.HeadObject(bucket, key)
	if err != nil {
		return err
	}
	_ = obj.Contents.Close()
	m := obj.Metadata
	fn(m)
	_, err = s.CopyObject(bucket, key, bucket, key, m)
	return err
}

// visible drops the keys an earlier write left behind (see store).
func visible(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	list, ok := m[metaKeys]
	if !ok {
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, k := range strings.Split(list, ",") {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// restoreExpiry returns the expiry of an object's restore, if it is
// restored: requested, completed by now, and not expired.
func restoreExpiry(m map[string]string, now time.Time) (time.Time, bool) {
	v := m[metaRestore]
	if v == "" || restoreOngoing(m, now) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || !now.Before(t) {
		return time.Time{}, false
	}
	return t, true
}

// restoreOngoing says whether a restore of the object was requested and
// has not completed by now.
func restoreOngoing(m map[string]string, now time.Time) bool {
	ready, err := time.Parse(time.RFC3339Nano, m[metaRestoreReady])
	return err == nil && now.Before(ready)
}
