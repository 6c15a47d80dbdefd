package s3local

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

const stateFileName = "s3local.json"

// state is the side state kept next to the objects: what gofakes3's Backend
// has no place for.
type state struct {
	Regions map[string]string `json:"regions"`
}

// loadRegions reads the saved regions and gives every existing bucket one.
func (s *Server) loadRegions() error {
	saved := state{}
	if s.opts.DataPath != "" {
		b, err := os.ReadFile(filepath.Join(s.opts.DataPath, stateFileName))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &saved); err != nil {
				return fmt.Errorf("s3local: %s: %w", stateFileName, err)
			}
		}
	}
	buckets, err := s.store.ListBuckets()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range buckets {
		region := saved.Regions[b.Name]
		if region == "" {
			region = s.opts.DefaultRegion
		}
		s.regions[b.Name] = region
	}
	return nil
}

// saveLocked writes the side state atomically; s.mu must be held.
func (s *Server) saveLocked() error {
	if s.opts.DataPath == "" {
		return nil
	}
	b, err := json.MarshalIndent(state{Regions: s.regions}, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.opts.DataPath, stateFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *Server) bucketRegion(bucket string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.regions[bucket]
	return r, ok
}

func (s *Server) forgetBucket(bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.regions, bucket)
	_ = s.saveLocked()
}

var regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, bucket string, auth *authInfo) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	var cfg struct {
		LocationConstraint string `xml:"LocationConstraint"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if xml.Unmarshal(body, &cfg) != nil {
			s.writeError(w, r, errMalformedXML())
			return
		}
	}
	constraint := strings.TrimSpace(cfg.LocationConstraint)
	if constraint == "EU" {
		constraint = "eu-west-1"
	}
	if constraint == "us-east-1" || (constraint != "" && !regionPattern.MatchString(constraint)) {
		s.writeError(w, r, newErr(http.StatusBadRequest, "InvalidLocationConstraint",
			"The specified location-constraint is not valid", "LocationConstraint", constraint))
		return
	}
	region := constraint
	if region == "" {
		region = s.opts.DefaultRegion
	}
	// Only us-east-1 (the global endpoint) creates buckets in other regions;
	// a regional endpoint insists on its own region.
	if auth != nil && auth.region != "" && auth.region != "us-east-1" && auth.region != region {
		shown := constraint
		if shown == "" {
			shown = "unspecified"
		}
		s.writeError(w, r, newErr(http.StatusBadRequest, "IllegalLocationConstraintException",
			"The "+shown+" location constraint is incompatible for the region specific endpoint this request was sent to."))
		return
	}
	if err := gofakes3.ValidateBucketName(bucket); err != nil {
		s.writeError(w, r, newErr(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", bucket))
		return
	}
	akid := ""
	if auth != nil {
		akid = auth.akid
	}
	if existing, ok := s.bucketRegion(bucket); ok {
		switch {
		case !s.allowed(bucket, akid):
			s.writeError(w, r, newErr(http.StatusConflict, "BucketAlreadyExists",
				"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
				"BucketName", bucket))
		case existing == "us-east-1" && region == "us-east-1":
			// S3's legacy answer for re-creating your own bucket there.
			w.Header().Set("Location", "/"+bucket)
			w.WriteHeader(http.StatusOK)
		default:
			s.writeError(w, r, newErr(http.StatusConflict, "BucketAlreadyOwnedByYou",
				"Your previous request to create the named bucket succeeded and you already own it.", "BucketName", bucket))
		}
		return
	}
	if err := s.store.CreateBucket(bucket); err != nil {
		if gofakes3.IsAlreadyExists(err) {
			s.writeError(w, r, newErr(http.StatusConflict, "BucketAlreadyOwnedByYou",
				"Your previous request to create the named bucket succeeded and you already own it.", "BucketName", bucket))
			return
		}
		s.writeError(w, r, toS3Err(err))
		return
	}
	s.mu.Lock()
	s.regions[bucket] = region
	err = s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		s.writeError(w, r, errInternal(err))
		return
	}
	w.Header().Set("X-Amz-Bucket-Region", region)
	w.Header().Set("Location", "/"+bucket)
	w.Header().Set("X-Amz-Request-Id", s.requestID())
	w.WriteHeader(http.StatusOK)
}

func (s *Server) getBucketLocation(w http.ResponseWriter, r *http.Request, bucket string) {
	region, ok := s.bucketRegion(bucket)
	if !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	if region == "us-east-1" {
		region = "" // S3 answers an empty constraint for us-east-1
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	xmlEscape(&b, region)
	b.WriteString(`</LocationConstraint>`)
	writeXML(w, s, b.String())
}

// listBuckets answers ListBuckets with each bucket's region, leaving out
// buckets restricted to other keys (S3 lists only the caller's buckets).
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, akid string, q url.Values) {
	buckets, err := s.store.ListBuckets()
	if err != nil {
		s.writeError(w, r, toS3Err(err))
		return
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	prefix, regionFilter := q.Get("prefix"), q.Get("bucket-region")
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	b.WriteString(`<Owner><ID>s3local</ID><DisplayName>s3local</DisplayName></Owner><Buckets>`)
	for _, bk := range buckets {
		region, ok := s.bucketRegion(bk.Name)
		if !ok || !s.allowed(bk.Name, akid) || !strings.HasPrefix(bk.Name, prefix) ||
			(regionFilter != "" && region != regionFilter) {
			continue
		}
		created := bk.CreationDate.Time
		if created.IsZero() {
			created = time.Now()
		}
		b.WriteString("<Bucket><Name>")
		xmlEscape(&b, bk.Name)
		fmt.Fprintf(&b, "</Name><CreationDate>%s</CreationDate><BucketRegion>%s</BucketRegion></Bucket>",
			created.UTC().Format("2006-01-02T15:04:05.000Z"), region)
	}
	b.WriteString("</Buckets>")
	if prefix != "" {
		b.WriteString("<Prefix>")
		xmlEscape(&b, prefix)
		b.WriteString("</Prefix>")
	}
	b.WriteString("</ListAllMyBucketsResult>")
	writeXML(w, s, b.String())
}

func writeXML(w http.ResponseWriter, s *Server, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Set("X-Amz-Request-Id", s.requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}
