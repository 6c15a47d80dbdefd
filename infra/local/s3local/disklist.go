package s3local

import (
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// ListBucket pages through the sorted index with gofakes3's prefix matching
// (as s3mem does), with three differences that keep large buckets cheap and
// pages right:
//   - without a delimiter it seeks to the prefix and stops after it, instead
//     of scanning every key;
//   - a page that ends in a common prefix ends after that prefix's last key,
//     so the next page does not repeat it;
//   - IsTruncated and NextMarker are set only when another entry follows.
func (d *diskBackend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, err := d.bucketLocked(name)
	if err != nil {
		return nil, err
	}

	// Without a delimiter, Match is strings.HasPrefix.
	literal := prefix.HasPrefix && !prefix.HasDelimiter
	from := page.Marker
	if literal && prefix.Prefix > from {
		from = prefix.Prefix
	}
	list := gofakes3.NewObjectList()
	var (
		match      gofakes3.PrefixMatch
		count      int64
		lastPrefix string
		lastKey    string
		full       bool
	)
	it := b.objects.Seek(from)
	for ok := it != nil; ok; ok = it.Next() {
		o := it.Value().(*diskObject)
		switch {
		case page.Marker != "" && o.key <= page.Marker:
			continue
		case literal && !strings.HasPrefix(o.key, prefix.Prefix):
			ok = false // sorted: no later key has the prefix
		case !prefix.Match(o.key, &match):
			continue
		case match.CommonPrefix && match.MatchedPart == lastPrefix:
			lastKey = o.key // still inside the prefix just listed
			continue
		case full:
			list.IsTruncated = true
			list.NextMarker = lastKey
			ok = false
		case match.CommonPrefix:
			list.AddPrefix(match.MatchedPart)
			lastPrefix = match.MatchedPart
		default:
			list.Add(&gofakes3.Content{Key: o.key, LastModified: gofakes3.NewContentTime(o.modified),
				ETag: gofakes3.FormatETag(o.md5), Size: o.size})
			lastPrefix = ""
		}
		if !ok {
			break
		}
		lastKey = o.key
		count++
		full = page.MaxKeys > 0 && count >= page.MaxKeys
	}
	return list, nil
}
