package s3local

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/ryszard/goskiplist/skiplist"
)

// diskBackend is the gofakes3 backend of a Server with a DataPath: objects
// are files (see diskformat.go) and an in-memory index of their records,
// loaded at start, serves lookups and listings without touching the disk.
//
// Every change is a rename of a complete file, so a crash leaves either the
// old or the new state of an object, plus stray files that the next start
// removes. Files are not fsynced: a power loss may lose recent writes, which
// a local emulator accepts for speed.
type diskBackend struct {
	root   string // <DataPath>/objects
	unlock func() error

	// mu guards the index. Records are renamed and removed under mu, and a
	// replaced body is removed only after, so a reader that found an object
	// under RLock has opened its body before the body can go.
	mu      sync.RWMutex
	buckets map[string]*diskBucket
}

type diskBucket struct {
	name    string
	dir     string
	created time.Time
	objects *skiplist.SkipList // key -> *diskObject, sorted by key
}

// diskObject is one object's index entry; entries are replaced, never changed.
type diskObject struct {
	key      string
	stem     string // objectStem(key)
	size     int64
	md5      []byte
	modified time.Time
	body     string // body file name in the object's directory
	meta     map[string]string
}

var _ gofakes3.Backend = (*diskBackend)(nil)

// openDisk locks dataPath and loads the objects stored under it.
func openDisk(dataPath string) (*diskBackend, error) {
	root := filepath.Join(dataPath, objectsDirName)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("s3local: create %s: %w", root, err)
	}
	unlock, err := lockDataPath(dataPath)
	if err != nil {
		return nil, err
	}
	d := &diskBackend{root: root, unlock: unlock, buckets: map[string]*diskBucket{}}
	if err := d.load(); err != nil {
		_ = unlock()
		return nil, err
	}
	return d, nil
}

// Close releases the data directory.
func (d *diskBackend) Close() error { return d.unlock() }

// load reads every bucket and object record, removing what interrupted
// writes and deletions left behind.
func (d *diskBackend) load() error {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("s3local: read %s: %w", d.root, err)
	}
	for _, e := range entries {
		path := filepath.Join(d.root, e.Name())
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), trashPrefix) {
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("s3local: remove leftover %s: %w", path, err)
			}
			continue
		}
		if !e.IsDir() || gofakes3.ValidateBucketName(e.Name()) != nil {
			continue // not ours
		}
		b, err := loadBucket(e.Name(), path)
		if err != nil {
			return err
		}
		if b != nil {
			d.buckets[b.name] = b
		}
	}
	return nil
}

// loadBucket loads the bucket in dir; it is nil if dir holds no bucket.
func loadBucket(name, dir string) (*diskBucket, error) {
	raw, err := os.ReadFile(filepath.Join(dir, bucketFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // buckets are created complete (see CreateBucket): not ours
	}
	if err != nil {
		return nil, fmt.Errorf("s3local: read bucket %s: %w", name, err)
	}
	var rec bucketRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("s3local: bucket record %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("s3local: read bucket %s: %w", name, err)
	}
	var shards []string
	for _, e := range entries {
		if e.IsDir() && isShardName(e.Name()) {
			shards = append(shards, filepath.Join(dir, e.Name()))
		}
	}
	// Reading the records is most of a start; shards load in parallel.
	loaded := make([][]*diskObject, len(shards))
	errs := make([]error, len(shards))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := min(runtime.GOMAXPROCS(0), len(shards)); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(shards); i = int(next.Add(1) - 1) {
				loaded[i], errs[i] = loadShard(shards[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b := &diskBucket{name: name, dir: dir, created: rec.Created, objects: skiplist.NewStringMap()}
	for _, objs := range loaded {
		for _, o := range objs {
			b.objects.Set(o.key, o)
		}
	}
	return b, nil
}

func isShardName(name string) bool {
	_, err := hex.DecodeString(name)
	return len(name) == 2 && err == nil && strings.ToLower(name) == name
}

// loadShard reads the records in dir and removes temporary files and the
// bodies no record names (a write or delete interrupted between its renames).
func loadShard(dir string) ([]*diskObject, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("s3local: read %s: %w", dir, err)
	}
	var objs []*diskObject
	used := map[string]bool{}
	var bodies []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("s3local: remove leftover %s: %w", name, err)
			}
		case strings.HasSuffix(name, bodyExt):
			bodies = append(bodies, name)
		case strings.HasSuffix(name, recordExt):
			o, err := readRecord(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			objs = append(objs, o)
			used[o.body] = true
		}
	}
	for _, name := range bodies {
		if !used[name] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("s3local: remove orphan body %s: %w", name, err)
			}
		}
	}
	return objs, nil
}

// randomHex names temporary and body files uniquely.
func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (d *diskBackend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]gofakes3.BucketInfo, 0, len(d.buckets))
	for _, b := range d.buckets {
		out = append(out, gofakes3.BucketInfo{Name: b.name, CreationDate: gofakes3.NewContentTime(b.created)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d *diskBackend) BucketExists(name string) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.buckets[name] != nil, nil
}

// CreateBucket writes the bucket's directory under a temporary name and
// renames it into place, so a bucket on disk always has its record.
func (d *diskBackend) CreateBucket(name string) error {
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return err // the name becomes a directory name
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buckets[name] != nil {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	created := time.Now().UTC()
	raw, err := json.Marshal(bucketRecord{Created: created})
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(d.root, tmpPrefix)
	if err != nil {
		return fmt.Errorf("s3local: create bucket %s: %w", name, err)
	}
	dir := filepath.Join(d.root, name)
	if err := os.WriteFile(filepath.Join(tmp, bucketFileName), raw, 0o600); err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("s3local: create bucket %s: %w", name, err)
	}
	d.buckets[name] = &diskBucket{name: name, dir: dir, created: created, objects: skiplist.NewStringMap()}
	return nil
}

func (d *diskBackend) DeleteBucket(name string) error {
	return d.deleteBucket(name, false)
}

func (d *diskBackend) ForceDeleteBucket(name string) error {
	return d.deleteBucket(name, true)
}

// deleteBucket renames the bucket's directory out of the way under the lock
// (a crash leaves a trash directory that the next start removes) and removes
// it after.
func (d *diskBackend) deleteBucket(name string, force bool) error {
	d.mu.Lock()
	b := d.buckets[name]
	if b == nil {
		d.mu.Unlock()
		return gofakes3.ErrNoSuchBucket
	}
	if !force && b.objects.Len() > 0 {
		d.mu.Unlock()
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
	}
	trash := filepath.Join(d.root, trashPrefix+randomHex())
	if err := os.Rename(b.dir, trash); err != nil {
		d.mu.Unlock()
		return fmt.Errorf("s3local: delete bucket %s: %w", name, err)
	}
	delete(d.buckets, name)
	d.mu.Unlock()
	_ = os.RemoveAll(trash) // the bucket is gone either way; the next start retries
	return nil
}

// bucketLocked returns the named bucket; d.mu must be held.
func (d *diskBackend) bucketLocked(name string) (*diskBucket, error) {
	b := d.buckets[name]
	if b == nil {
		return nil, gofakes3.BucketNotFound(name)
	}
	return b, nil
}

// object returns key's entry, or nil; d.mu must be held.
func (b *diskBucket) object(key string) *diskObject {
	v, ok := b.objects.Get(key)
	if !ok {
		return nil
	}
	return v.(*diskObject)
}

func (b *diskBucket) objectDir(o *diskObject) string { return filepath.Join(b.dir, o.stem[:2]) }
