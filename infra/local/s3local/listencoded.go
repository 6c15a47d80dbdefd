package s3local

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"

	"github.com/johannesboyne/gofakes3"
)

// ListObjectsV2 with encoding-type=url, which gofakes3 ignores: S3 then
// URL-encodes Delimiter, Prefix, Key and StartAfter (and CommonPrefixes'
// Prefix) in the response and names the encoding, so that keys XML 1.0
// cannot carry (control characters) reach the client intact. gofakes3's
// XML writer would replace them with U+FFFD, so this listing is served
// here, from the same store. The encoding is application/x-www-form-
// urlencoded's (space as +, + as %2B), which is what clients decode (e.g.
// botocore's unquote_plus); the continuation token is not encoded.

// wantsEncodedListing says whether r is a ListObjectsV2 this file serves.
func wantsEncodedListing(r *http.Request, q url.Values) bool {
	_, has := q["encoding-type"]
	return r.Method == http.MethodGet && has && q.Get("list-type") == "2"
}

func (s *Server) listEncoded(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) {
	if q.Get("encoding-type") != "url" {
		s.writeError(w, r, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", q.Get("encoding-type")))
		return
	}
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	page, e := encodedListingPage(q)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	prefix := gofakes3.Prefix{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	prefix.HasPrefix, prefix.HasDelimiter = prefix.Prefix != "", prefix.Delimiter != ""
	list, err := s.store.ListBucket(bucket, &prefix, page)
	if err != nil {
		s.writeError(w, r, toS3Err(err))
		return
	}
	body, err := xml.Marshal(encodedResult(bucket, q, prefix, page, list))
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	writeXML(w, s, xml.Header+string(body))
}

// encodedListingPage reads max-keys and the position (continuation-token,
// else start-after) as gofakes3 does, whose tokens are base64 keys.
func encodedListingPage(q url.Values) (gofakes3.ListBucketPage, *s3Error) {
	page := gofakes3.ListBucketPage{MaxKeys: gofakes3.DefaultMaxBucketKeys}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return page, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", v)
		}
		page.MaxKeys = min(n, gofakes3.MaxBucketKeys)
	}
	if tok, ok := q["continuation-token"]; ok {
		key, err := base64.URLEncoding.DecodeString(tok[0])
		if err != nil {
			return page, errInvalidArgument("The continuation token provided is incorrect", "continuation-token", tok[0])
		}
		page.HasMarker, page.Marker = true, string(key)
	} else if after, ok := q["start-after"]; ok {
		page.HasMarker, page.Marker = true, after[0]
	}
	return page, nil
}

// encodedResult is the ListBucketResult of list with its keys encoded.
func encodedResult(bucket string, q url.Values, prefix gofakes3.Prefix, page gofakes3.ListBucketPage, list *gofakes3.ObjectList) any {
	type result struct {
		gofakes3.ListBucketResultV2
		EncodingType string `xml:"EncodingType"`
	}
	res := result{EncodingType: "url"}
	res.Xmlns, res.Name, res.IsTruncated = "http://s3.amazonaws.com/doc/2006-03-01/", bucket, list.IsTruncated
	res.Prefix, res.Delimiter, res.MaxKeys = url.QueryEscape(prefix.Prefix), url.QueryEscape(prefix.Delimiter), page.MaxKeys
	res.ContinuationToken, res.StartAfter = q.Get("continuation-token"), url.QueryEscape(q.Get("start-after"))
	for _, c := range list.Contents {
		enc := *c
		enc.Key, enc.Owner = url.QueryEscape(c.Key), nil
		res.Contents = append(res.Contents, &enc)
	}
	for _, p := range list.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, gofakes3.CommonPrefix{Prefix: url.QueryEscape(p.Prefix)})
	}
	res.KeyCount = int64(len(res.Contents) + len(res.CommonPrefixes))
	if list.NextMarker != "" {
		res.NextContinuationToken = base64.URLEncoding.EncodeToString([]byte(list.NextMarker))
	}
	return res
}
