package s3local

import (
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// S3 to EventBridge (AWS-FACTS §4.1-4.2): PUT ?notification with an
// EventBridgeConfiguration element turns a bucket's events on; from then
// on every object written to it (PutObject, CopyObject,
// CompleteMultipartUpload) is announced as an "Object Created" event on
// the default bus of the bucket's owner account, in its region, through
// Options.Notify. S3 filters nothing: the owner's rules do. A
// configuration without the element turns them off. Other destinations
// (topics, queues, functions) are not modelled: a configuration naming one
// is refused as not implemented, rather than silently dropped.

// Notification is an S3 event on its way to EventBridge: the event's
// fields that S3 sets (EventBridge adds the id, version and account's
// region).
type Notification struct {
	Account    string         // the bucket owner: the event's account
	Region     string         // the bucket's region
	DetailType string         // "Object Created"
	Time       time.Time      // when the write completed, to the second
	Resources  []string       // the bucket's ARN
	Detail     map[string]any // version, bucket, object, request-id, requester, source-ip-address, reason
}

const notificationNS = "http://s3.amazonaws.com/doc/2006-03-01/"

// notificationConfiguration is the XML of GET/PUT ?notification.
type notificationConfiguration struct {
	XMLName                     xml.Name  `xml:"NotificationConfiguration"`
	Xmlns                       string    `xml:"xmlns,attr,omitempty"`
	EventBridgeConfiguration    *struct{} `xml:"EventBridgeConfiguration"`
	TopicConfiguration          []any     `xml:"TopicConfiguration,omitempty"`
	QueueConfiguration          []any     `xml:"QueueConfiguration,omitempty"`
	CloudFunctionConfiguration  []any     `xml:"CloudFunctionConfiguration,omitempty"`
	LambdaFunctionConfiguration []any     `xml:"LambdaFunctionConfiguration,omitempty"`
}

// notifier holds the buckets whose events go to EventBridge and the
// sequencer of the events.
type notifier struct {
	mu      sync.Mutex
	buckets map[string]bool
	last    int64 // the last sequencer given out
}

// sequencer is a hex string that grows with every event, as S3's does
// for the events of one key (compare them as numbers: zero-pad to one
// length first).
func (n *notifier) sequencer(now time.Time) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.last = max(n.last+1, now.UnixNano())
	return fmt.Sprintf("%016X", n.last)
}

func (n *notifier) enabled(bucket string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.buckets[bucket]
}

func (n *notifier) set(bucket string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.buckets == nil {
		n.buckets = map[string]bool{}
	}
	if on {
		n.buckets[bucket] = true
	} else {
		delete(n.buckets, bucket)
	}
}

func (n *notifier) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.buckets))
	for b := range n.buckets {
		out = append(out, b)
	}
	return out
}

// notification answers GET and PUT ?notification.
func (s *Server) notification(w http.ResponseWriter, r *http.Request, bucket string) {
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := notificationConfiguration{Xmlns: notificationNS}
		if s.events.enabled(bucket) {
			out.EventBridgeConfiguration = &struct{}{}
		}
		body, _ := xml.Marshal(out)
		writeXML(w, s, xml.Header+string(body))
	case http.MethodPut:
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var in notificationConfiguration
		if err != nil || xml.Unmarshal(raw, &in) != nil {
			s.writeError(w, r, errMalformedXML())
			return
		}
		if len(in.TopicConfiguration)+len(in.QueueConfiguration)+len(in.CloudFunctionConfiguration)+len(in.LambdaFunctionConfiguration) > 0 {
			s.writeError(w, r, errNotImplemented())
			return
		}
		s.events.set(bucket, in.EventBridgeConfiguration != nil)
		s.mu.Lock()
		err = s.saveLocked()
		s.mu.Unlock()
		if err != nil {
			s.writeError(w, r, errInternal(err))
			return
		}
		w.Header().Set("X-Amz-Request-Id", s.requestID())
		w.WriteHeader(http.StatusOK)
	default:
		s.writeError(w, r, errNotImplemented())
	}
}

// createdReason is the event's reason for a successful object request,
// or "" for a request that creates no object.
func createdReason(r *http.Request, q url.Values) string {
	switch {
	case r.Method == http.MethodPut && q.Has("uploadId"), q.Has("tagging"), q.Has("restore"), q.Has("acl"):
		return "" // a part, tags, a restore
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	}
	return ""
}

// announceCreated emits the "Object Created" event of a successful write
// to a bucket whose events go to EventBridge.
func (s *Server) announceCreated(w *respWriter, r *http.Request, bucket, key string, q url.Values) {
	reason := createdReason(r, q)
	if reason == "" || s.opts.Notify == nil || w.statusCode() != http.StatusOK || !s.events.enabled(bucket) {
		return
	}
	obj, err := s.store.Backend.HeadObject(bucket, key)
	if err != nil || obj == nil {
		return
	}
	etag := obj.Metadata[metaETag]
	if etag == "" {
		etag = hex.EncodeToString(obj.Hash)
	}
	region, _ := s.bucketRegion(bucket)
	now := s.now().UTC()
	requester, ip := s.opts.DefaultOwner, r.RemoteAddr
	if i := strings.LastIndex(ip, ":"); i > 0 {
		ip = ip[:i]
	}
	if auth, _ := parseAuth(r, q); auth != nil && s.opts.IAM != nil {
		if k, ok := s.opts.IAM.Lookup(auth.akid, now); ok {
			requester = k.Principal.Account
		}
	}
	s.opts.Notify(Notification{
		Account: s.ownerOf(bucket), Region: region, DetailType: "Object Created", Time: now.Truncate(time.Second),
		Resources: []string{"arn:aws:s3:::" + bucket},
		Detail: map[string]any{
			"version": "0",
			"bucket":  map[string]any{"name": bucket},
			"object": map[string]any{"key": strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"), "size": obj.Size, "etag": strings.Trim(etag, `"`),
				"sequencer": s.events.sequencer(now)},
			"request-id": w.Header().Get("X-Amz-Request-Id"), "requester": requester, "source-ip-address": strings.Trim(ip, "[]"),
			"reason": reason,
		},
	})
}

// ownerOf is the account that owns bucket.
func (s *Server) ownerOf(bucket string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.owners[bucket]; o != "" {
		return o
	}
	return s.opts.DefaultOwner
}
