package s3local

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

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

// store wraps the backend (s3mem, or diskBackend with a DataPath). s3mem
// merges the previous object's metadata into every PutObject (so an
// overwrite would keep the old storage class, restore state and user
// metadata): the wrapper records which keys each write set and hides the
// rest on reads. Backends list objects without their storage class: the
// wrapper fills listings from the stored metadata.
type store struct {
	gofakes3.Backend

	mu      sync.Mutex
	pending map[string]string // bucket+"\x00"+key -> ETag of the multipart upload being completed
}

func newStore(b gofakes3.Backend) *store {
	return &store{Backend: b, pending: map[string]string{}}
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
	s.stamp(bucket, key, meta)
	return s.Backend.PutObject(bucket, key, meta, input, size, cond)
}

// CopyObject reads and writes through the wrapper: gofakes3's helper, which
// the backends use, would write through the backend's PutObject and so skip
// stamp.
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
