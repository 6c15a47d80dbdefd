package s3local

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
)

func openDiskT(t testing.TB, dir string) *diskBackend {
	t.Helper()
	d, err := openDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func diskPut(t testing.TB, d *diskBackend, bucket, key string, body []byte, meta map[string]string) {
	t.Helper()
	if _, err := d.PutObject(bucket, key, meta, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatalf("PutObject %q: %v", key, err)
	}
}

func diskGet(t testing.TB, d *diskBackend, bucket, key string) (*gofakes3.Object, []byte) {
	t.Helper()
	obj, err := d.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("GetObject %q: %v", key, err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return obj, b
}

func listAll(t testing.TB, d *diskBackend, bucket string) []string {
	t.Helper()
	list, err := d.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// Whatever the key, its files are two fixed-form names in one of the
// bucket's shard directories, and the key reads back after a restart.
func TestDiskKeysStaySafe(t *testing.T) {
	keys := []string{
		"../../../etc/passwd", "..", ".", "/", "//", "/leading", "trailing/", "a/../../b", `..\..\windows`,
		"con", "nul.txt", "\x7f", "not utf-8 \xff\xfe", "日本語/キー 🙂", "quote\"back\\slash\nnewline", "<&>",
		"k.json", ".tmp-x", ".trash-y", "bucket.json", "s3local.json",
		strings.Repeat("../", 341) + "x", strings.Repeat("é", 512), strings.Repeat("a", 1024),
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	d := openDiskT(t, dir)
	if err := d.CreateBucket("keys"); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		diskPut(t, d, "keys", k, []byte(k), map[string]string{"X-Amz-Meta-Raw": "\xff" + k})
	}

	allowed := regexp.MustCompile(`^data/(s3local\.lock|objects/keys/(bucket\.json|[0-9a-f]{2}/[0-9a-f]{64}(\.json|\.[0-9a-f]{16}\.data)))$`)
	records := 0
	err := filepath.WalkDir(parent, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(parent, p)
		rel = filepath.ToSlash(rel)
		if !allowed.MatchString(rel) {
			t.Errorf("unexpected file %q", rel)
		}
		if strings.HasSuffix(rel, recordExt) && !strings.HasSuffix(rel, bucketFileName) {
			records++
		}
		return nil
	})
	if err != nil || records != len(keys) {
		t.Fatalf("%d records for %d keys, %v", records, len(keys), err)
	}

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openDiskT(t, dir)
	for _, k := range keys {
		obj, body := diskGet(t, d, "keys", k)
		if string(body) != k || obj.Metadata["X-Amz-Meta-Raw"] != "\xff"+k || obj.Name != k {
			t.Errorf("%q read back as %q (meta %q)", k, body, obj.Metadata["X-Amz-Meta-Raw"])
		}
	}
	want := slices.Clone(keys)
	sort.Strings(want)
	if got := listAll(t, d, "keys"); !slices.Equal(got, want) {
		t.Errorf("listing after restart %q, want %q", got, want)
	}
}

// A crash can leave temporary files, bodies no record names and buckets
// half created or half deleted; the next start removes them and keeps the
// committed state.
func TestDiskRemovesInterruptedWrites(t *testing.T) {
	dir := t.TempDir()
	d := openDiskT(t, dir)
	if err := d.CreateBucket("crash"); err != nil {
		t.Fatal(err)
	}
	diskPut(t, d, "crash", "kept", []byte("v1"), nil)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	root := filepath.Join(dir, objectsDirName)
	stem := objectStem("kept")
	shard := filepath.Join(root, "crash", stem[:2])
	newStem := objectStem("never-committed")
	leftovers := []string{
		filepath.Join(shard, tmpPrefix+"123"),                                          // a body or record being written
		filepath.Join(shard, stem+".00000000000000ff"+bodyExt),                         // an overwrite's body, record not renamed
		filepath.Join(root, "crash", newStem[:2], newStem+".0123456789abcdef"+bodyExt), // a new key's body
		filepath.Join(root, tmpPrefix+"bucket", bucketFileName),                        // a bucket being created
		filepath.Join(root, trashPrefix+"gone", "ab", "x"+recordExt),                   // a bucket being deleted
	}
	for _, p := range leftovers {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "not-a-bucket"), 0o755); err != nil { // no bucket.json
		t.Fatal(err)
	}

	d = openDiskT(t, dir)
	for _, p := range leftovers {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("leftover %s survived the start: %v", p, err)
		}
	}
	for _, p := range []string{filepath.Join(root, tmpPrefix+"bucket"), filepath.Join(root, trashPrefix+"gone")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("leftover %s survived the start: %v", p, err)
		}
	}
	if _, body := diskGet(t, d, "crash", "kept"); string(body) != "v1" {
		t.Fatalf("committed object after the crash: %q", body)
	}
	if got := listAll(t, d, "crash"); !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("listing after the crash: %q", got)
	}
	if buckets, _ := d.ListBuckets(); len(buckets) != 1 || buckets[0].Name != "crash" {
		t.Fatalf("buckets after the crash: %+v", buckets)
	}
}

// The disk backend lists like s3mem (gofakes3's prefix and delimiter
// matching), and its pages neither repeat a common prefix nor end in an
// empty page.
func TestDiskListingMatchesMemory(t *testing.T) {
	var keys []string
	for _, k := range []string{"a", "a/", "a/1", "a/2", "a/b/c", "a/b/d", "a0", "b", "b//x", "b/x/y", "c/d/e", "zz"} {
		keys = append(keys, k)
	}
	for i := 0; i < 30; i++ {
		keys = append(keys, fmt.Sprintf("dir/%02d", i), fmt.Sprintf("dir/sub%d/x", i%4), fmt.Sprintf("logs/%d/%02d.log", i%3, i))
	}
	mem := start(t, Options{}, false).client()
	disk := start(t, Options{DataPath: t.TempDir()}, false).client()
	for _, c := range []*s3.Client{mem, disk} {
		mustBucket(t, c, "list", "")
		for _, k := range keys {
			mustPut(t, c, "list", k, []byte("x"), "")
		}
	}

	type result struct {
		keys, prefixes []string
		pages          int
	}
	list := func(c *s3.Client, prefix, delim string, maxKeys int32) result {
		var r result
		in := &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(maxKeys)}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		if delim != "" {
			in.Delimiter = aws.String(delim)
		}
		for p := s3.NewListObjectsV2Paginator(c, in); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r.pages++
			for _, o := range out.Contents {
				r.keys = append(r.keys, *o.Key)
			}
			for _, cp := range out.CommonPrefixes {
				r.prefixes = append(r.prefixes, *cp.Prefix)
			}
		}
		return r
	}
	for _, q := range []struct {
		prefix, delim string
	}{{"", ""}, {"a", ""}, {"a/", ""}, {"dir/", ""}, {"nothing", ""}, {"", "/"}, {"a/", "/"}, {"a", "/"},
		{"dir/", "/"}, {"logs/", "/"}, {"b/", "/"}, {"zz", "/"}} {
		for _, maxKeys := range []int32{1, 2, 7, 1000} {
			name := fmt.Sprintf("prefix %q delimiter %q max %d", q.prefix, q.delim, maxKeys)
			m, d := list(mem, q.prefix, q.delim, maxKeys), list(disk, q.prefix, q.delim, maxKeys)
			if !slices.Equal(d.keys, m.keys) || !slices.Equal(d.prefixes, slices.Compact(m.prefixes)) {
				t.Errorf("%s: disk lists %q %q, memory %q %q", name, d.keys, d.prefixes, m.keys, m.prefixes)
			}
			n := len(d.keys) + len(d.prefixes)
			if want := max(1, (n+int(maxKeys)-1)/int(maxKeys)); d.pages != want {
				t.Errorf("%s: %d entries in %d pages, want %d", name, n, d.pages, want)
			}
		}
	}
}

// BenchmarkDiskListBucket lists 1,000-key pages of a bucket of 100,000
// objects (10,000 with -short), and reopens it:
// go test -run=^$ -bench=DiskListBucket ./infra/local/s3local/
func BenchmarkDiskListBucket(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	dir := b.TempDir()
	d := openDiskT(b, dir)
	if err := d.CreateBucket("big"); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				diskPut(b, d, "big", fmt.Sprintf("data/%03d/%06d.csv", i%100, i), []byte("x"),
					map[string]string{"X-Amz-Storage-Class": "STANDARD_IA", "Content-Type": "text/csv"})
			}
		}(w)
	}
	wg.Wait()
	s := newStore(d)
	b.ResetTimer()

	b.Run("page", func(b *testing.B) {
		marker := ""
		for i := 0; i < b.N; i++ {
			list, err := s.ListBucket("big", &gofakes3.Prefix{}, gofakes3.ListBucketPage{Marker: marker, MaxKeys: 1000})
			if err != nil || len(list.Contents) != 1000 {
				b.Fatal(err)
			}
			marker = list.NextMarker
			if !list.IsTruncated {
				marker = ""
			}
		}
	})
	b.Run("prefix page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := gofakes3.NewPrefix(aws.String(fmt.Sprintf("data/%03d/", i%100)), nil)
			if list, err := s.ListBucket("big", &p, gofakes3.ListBucketPage{MaxKeys: 1000}); err != nil || len(list.Contents) != n/100 {
				b.Fatal(err)
			}
		}
	})
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d, err := openDisk(dir)
			if err != nil {
				b.Fatal(err)
			}
			_ = d.Close()
		}
	})
}
