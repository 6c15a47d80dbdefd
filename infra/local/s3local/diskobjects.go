package s3local

import (
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/johannesboyne/gofakes3"
)

func (o *diskObject) toObject(contents io.ReadCloser, rng *gofakes3.ObjectRange) *gofakes3.Object {
	return &gofakes3.Object{Name: o.key, Metadata: maps.Clone(o.meta), Size: o.size,
		Contents: contents, Hash: o.md5, Range: rng}
}

func (d *diskBackend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, err := d.bucketLocked(bucket)
	if err != nil {
		return nil, err
	}
	o := b.object(key)
	if o == nil {
		return nil, gofakes3.KeyNotFound(key)
	}
	return o.toObject(noBody{}, nil), nil
}

// GetObject opens the body under the read lock: a PUT or DELETE that
// replaces it afterwards only unlinks the file, which stays readable here.
func (d *diskBackend) GetObject(bucket, key string, rngReq *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	d.mu.RLock()
	b, err := d.bucketLocked(bucket)
	if err != nil {
		d.mu.RUnlock()
		return nil, err
	}
	o := b.object(key)
	if o == nil {
		d.mu.RUnlock()
		return nil, gofakes3.KeyNotFound(key)
	}
	f, err := os.Open(filepath.Join(b.objectDir(o), o.body))
	d.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("s3local: open %s/%s: %w", bucket, key, err)
	}
	rng, err := rngReq.Range(o.size)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	var r io.Reader = f
	if rng != nil {
		r = io.NewSectionReader(f, rng.Start, rng.Length)
	}
	return o.toObject(readCloser{r, f}, rng), nil
}

// PutObject writes the body and the record to files of their own, then
// commits by renaming the record over the old one under the lock; the old
// body is removed after.
func (d *diskBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	return d.putSealed(bucket, key, meta, input, size, cond, nil)
}

// putSealed is PutObject that lets seal complete the object's metadata
// once the body is written (a checksum of the streamed body), before the
// record is.
func (d *diskBackend) putSealed(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions, seal func(map[string]string)) (gofakes3.PutObjectResult, error) {
	var res gofakes3.PutObjectResult
	d.mu.RLock()
	b, err := d.bucketLocked(bucket)
	d.mu.RUnlock()
	if err != nil {
		return res, err
	}
	o := &diskObject{key: key, stem: objectStem(key), size: size, meta: maps.Clone(meta)}
	if o.meta == nil {
		o.meta = map[string]string{}
	}
	dir := filepath.Join(b.dir, o.stem[:2])
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		if errors.Is(err, fs.ErrNotExist) {
			return res, gofakes3.BucketNotFound(bucket) // deleted meanwhile
		}
		return res, fmt.Errorf("s3local: put %s/%s: %w", bucket, key, err)
	}

	var tmpRecord string
	committed := false
	defer func() {
		if !committed {
			if o.body != "" {
				_ = os.Remove(filepath.Join(dir, o.body))
			}
			if tmpRecord != "" {
				_ = os.Remove(tmpRecord)
			}
		}
	}()
	if o.body, o.md5, err = writeBody(dir, o.stem, input, size); err != nil {
		return res, err
	}
	if seal != nil {
		seal(o.meta)
	}
	o.modified = time.Now().UTC()
	raw, err := json.Marshal(o.record())
	if err != nil {
		return res, fmt.Errorf("s3local: put %s/%s: %w", bucket, key, err)
	}
	if tmpRecord, err = writeTemp(dir, raw); err != nil {
		return res, fmt.Errorf("s3local: put %s/%s: %w", bucket, key, err)
	}

	old, err := d.commit(b, bucket, o, filepath.Join(dir, o.stem+recordExt), tmpRecord, cond)
	if err != nil {
		return res, err
	}
	committed = true
	if old != nil {
		_ = os.Remove(filepath.Join(dir, old.body)) // an orphan is removed at the next start
	}
	return res, nil
}

// commit makes o the object of its key, under the lock, by renaming its
// written record (tmpRecord) to record, if the bucket still exists and the
// put's conditions hold; it returns the object o replaced, if any.
func (d *diskBackend) commit(b *diskBucket, bucket string, o *diskObject, record, tmpRecord string, cond *gofakes3.PutConditions) (*diskObject, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buckets[bucket] != b {
		return nil, gofakes3.BucketNotFound(bucket)
	}
	old := b.object(o.key)
	if cond != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if old != nil {
			info.Exists, info.Hash = true, old.md5
		}
		if err := gofakes3.CheckPutConditions(cond, info); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmpRecord, record); err != nil {
		return nil, fmt.Errorf("s3local: put %s/%s: %w", bucket, o.key, err)
	}
	b.objects.Set(o.key, o)
	return old, nil
}

// writeBody copies input (size bytes) to a new body file of stem in dir and
// returns its name and MD5. Errors of input (gofakes3's digest checks) are
// returned as they are, for gofakes3 to answer them.
func writeBody(dir, stem string, input io.Reader, size int64) (name string, sum []byte, err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return "", nil, fmt.Errorf("s3local: write body: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(input, size+1))
	if err != nil {
		var fsErr *fs.PathError
		if errors.As(err, &fsErr) {
			err = fmt.Errorf("s3local: write body: %w", err)
		}
		return "", nil, err
	}
	if n != size {
		return "", nil, gofakes3.ErrIncompleteBody
	}
	if err = f.Close(); err != nil {
		return "", nil, fmt.Errorf("s3local: write body: %w", err)
	}
	name = stem + "." + randomHex() + bodyExt
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return "", nil, fmt.Errorf("s3local: write body: %w", err)
	}
	return name, h.Sum(nil), nil
}

// writeTemp writes data to a new temporary file in dir, for a rename into place.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (d *diskBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	d.mu.Lock()
	b, err := d.bucketLocked(bucket)
	if err != nil {
		d.mu.Unlock()
		return gofakes3.ObjectDeleteResult{}, err
	}
	body, err := b.removeLocked(key)
	d.mu.Unlock()
	if body != "" {
		_ = os.Remove(body)
	}
	return gofakes3.ObjectDeleteResult{}, err
}

func (d *diskBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	var bodies []string
	d.mu.Lock()
	b, err := d.bucketLocked(bucket)
	if err != nil {
		d.mu.Unlock()
		return res, err
	}
	for _, key := range keys {
		body, err := b.removeLocked(key)
		if err != nil {
			e := gofakes3.ErrorResultFromError(err)
			e.Key = key
			res.Error = append(res.Error, e)
			continue
		}
		if body != "" {
			bodies = append(bodies, body)
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: key})
	}
	d.mu.Unlock()
	for _, body := range bodies {
		_ = os.Remove(body)
	}
	return res, nil
}

// removeLocked deletes key's record (the commit point of a delete) and
// index entry, returning the path of the body for the caller to remove once
// the lock is released ("" if there was no object); d.mu must be held.
func (b *diskBucket) removeLocked(key string) (body string, err error) {
	o := b.object(key)
	if o == nil {
		return "", nil
	}
	dir := b.objectDir(o)
	if err := os.Remove(filepath.Join(dir, o.stem+recordExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("s3local: delete %s/%s: %w", b.name, key, err)
	}
	b.objects.Delete(key)
	return filepath.Join(dir, o.body), nil
}

// CopyObject is gofakes3's read-then-write copy; the Server copies through
// store.CopyObject, which does the same through the store's own PutObject.
func (d *diskBackend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(d, srcBucket, srcKey, dstBucket, dstKey, meta)
}

type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }
func (noBody) Close() error             { return nil }

type readCloser struct {
	io.Reader
	io.Closer
}
