package s3local

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/mgo.v2/bson"
)

// Internal metadata keys. They travel with the object in the backend (so they
// persist and disappear with it) and never reach clients: the response fixer
// strips everything with metaPrefix. They carry the X-Amz- prefix because
// gofakes3 only stores request headers with that prefix.
const (
	metaPrefix  = "X-Amz-S3local-"
	metaKeys    = metaPrefix + "Keys"    // keys written by the latest write; older ones are stale
	metaRestore = metaPrefix + "Restore" // RFC 3339 expiry of the object's restored copy
	metaETag    = metaPrefix + "Etag"    // multipart ETag ("<hex>-<n>") where it differs from the MD5
	metaMPU     = metaPrefix + "Mpu"     // set on multipart uploads: completion stamps metaETag
)

// headerMeta maps headers S3 stores but gofakes3 drops to the metadata keys
// they are stored under.
var headerMeta = map[string]string{
	"Cache-Control":    metaPrefix + "Cache-Control",
	"Content-Language": metaPrefix + "Content-Language",
	"Expires":          metaPrefix + "Expires",
}

// store wraps a gofakes3 backend. gofakes3's backends merge the previous
// object's metadata into every PutObject (so an overwrite keeps the old
// storage class, restore state and user metadata) and list objects without
// their storage class. The wrapper records which keys each write set and hides
// the rest on reads, and fills listings from the stored metadata.
//
// With s3bolt it also serialises writes against reads: s3bolt returns object
// bodies and hashes that still point into bbolt's memory map after its read
// transaction has ended (bson does not copy []byte), and a write that grows
// the file unmaps them. Reads therefore copy under bmu.RLock and writes hold
// bmu.Lock.
type store struct {
	gofakes3.Backend
	db  *bolt.DB // set for s3bolt
	bmu sync.RWMutex

	mu      sync.Mutex
	pending map[string]string // bucket+"\x00"+key -> ETag of the multipart upload being completed
}

func newStore(b gofakes3.Backend, db *bolt.DB) *store {
	return &store{Backend: b, db: db, pending: map[string]string{}}
}

func (s *store) readLock() func() {
	if s.db == nil {
		return func() {}
	}
	s.bmu.RLock()
	return s.bmu.RUnlock
}

func (s *store) writeLock() func() {
	if s.db == nil {
		return func() {}
	}
	s.bmu.Lock()
	return s.bmu.Unlock
}

// stamp records the keys of a new write and resolves the multipart marker.
func (s *store) stamp(bucket, key string, meta map[string]string) {
	if _, ok := meta[metaMPU]; ok {
		delete(meta, metaMPU)
		s.mu.Lock()
		etag := s.pending[bucket+"\x00"+key]
		s.mu.Unlock()
		if etag != "" {
			meta[metaETag] = etag
		}
	}
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
	if s.db != nil {
		// Read the body before taking the write lock.
		data, err := gofakes3.ReadAll(input, size)
		if err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		input = bytes.NewReader(data)
	}
	s.stamp(bucket, key, meta)
	defer s.writeLock()()
	return s.Backend.PutObject(bucket, key, meta, input, size, cond)
}

// CopyObject reads and writes through the wrapper; gofakes3's helper that the
// backends use would read s3bolt's hash after the write (see store).
func (s *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	obj, err := s.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	defer obj.Contents.Close()
	if _, err := s.PutObject(dstBucket, dstKey, meta, obj.Contents, obj.Size, nil); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(obj.Hash), LastModified: gofakes3.NewContentTime(time.Now())}, nil
}

func (s *store) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	defer s.readLock()()
	obj, err := s.Backend.HeadObject(bucket, key)
	if err == nil && obj != nil {
		obj.Metadata = visible(obj.Metadata)
		obj.Hash = bytes.Clone(obj.Hash)
	}
	return obj, err
}

func (s *store) GetObject(bucket, key string, rnge *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	defer s.readLock()()
	obj, err := s.Backend.GetObject(bucket, key, rnge)
	if err != nil || obj == nil {
		return obj, err
	}
	obj.Metadata = visible(obj.Metadata)
	if s.db != nil {
		data, err := io.ReadAll(obj.Contents)
		_ = obj.Contents.Close()
		if err != nil {
			return nil, err
		}
		obj.Contents = io.NopCloser(bytes.NewReader(data))
		obj.Hash = bytes.Clone(obj.Hash)
	}
	return obj, nil
}

func (s *store) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	defer s.writeLock()()
	return s.Backend.DeleteObject(bucket, key)
}

func (s *store) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	defer s.writeLock()()
	return s.Backend.DeleteMulti(bucket, keys...)
}

func (s *store) CreateBucket(name string) error {
	defer s.writeLock()()
	return s.Backend.CreateBucket(name)
}

func (s *store) DeleteBucket(name string) error {
	defer s.writeLock()()
	return s.Backend.DeleteBucket(name)
}

func (s *store) ForceDeleteBucket(name string) error {
	defer s.writeLock()()
	return s.Backend.ForceDeleteBucket(name)
}

// ListBucket keeps the backend's paging and fills in, per returned key, the
// storage class, the multipart ETag and S3's second-precision LastModified
// (which also keeps a restore, stored as a rewrite, from looking like a change).
func (s *store) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := s.Backend.ListBucket(name, prefix, page)
	if err != nil || list == nil || len(list.Contents) == 0 {
		return list, err
	}
	keys := make([]string, len(list.Contents))
	for i, c := range list.Contents {
		keys[i] = c.Key
	}
	metas := s.metas(name, keys)
	for i, c := range list.Contents {
		m := metas[i]
		if m == nil {
			continue
		}
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

// metas returns the visible metadata of keys (nil where a key vanished).
func (s *store) metas(bucket string, keys []string) []map[string]string {
	out := make([]map[string]string, len(keys))
	if s.db != nil {
		// s3bolt's HeadObject decodes the whole object, body included; decode
		// only the metadata field instead.
		_ = s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			if b == nil {
				return nil
			}
			for i, k := range keys {
				v := b.Get([]byte(k))
				if v == nil {
					continue
				}
				var o struct{ Metadata map[string]string }
				if bson.Unmarshal(v, &o) == nil {
					out[i] = visible(o.Metadata)
				}
			}
			return nil
		})
		return out
	}
	for i, k := range keys {
		if obj, err := s.HeadObject(bucket, k); err == nil && obj != nil {
			out[i] = obj.Metadata
			_ = obj.Contents.Close()
		}
	}
	return out
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

// restoreExpiry returns the expiry of an object's restore, if it is restored.
func restoreExpiry(m map[string]string, now time.Time) (time.Time, bool) {
	v := m[metaRestore]
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || !now.Before(t) {
		return time.Time{}, false
	}
	return t, true
}
