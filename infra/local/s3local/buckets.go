package s3local

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/johannesboyne/gofakes3"
)

const stateFileName = "s3local.json"

// state is the side state kept next to the objects: what gofakes3's Backend
// has no place for. Files of older versions have regions only.
type state struct {
	Regions  map[string]string `json:"regions"`
	Owners   map[string]string `json:"owners,omitempty"`
	Policies map[string]text   `json:"policies,omitempty"` // as PUT
	// RequesterPays are the Requester Pays buckets.
	RequesterPays []string `json:"requesterPays,omitempty"`
	// EventBridge are the buckets whose events go to EventBridge.
	EventBridge []string `json:"eventBridge,omitempty"`
}

// loadState reads the saved side state and gives every existing bucket a
// region.
func (s *Server) loadState() error {
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
		if o := saved.Owners[b.Name]; o != "" {
			s.owners[b.Name] = o
		}
		if slices.Contains(saved.RequesterPays, b.Name) {
			s.payers[b.Name] = true
		}
		s.events.set(b.Name, slices.Contains(saved.EventBridge, b.Name))
		if raw, ok := saved.Policies[b.Name]; ok {
			doc, e := parseBucketPolicy(b.Name, []byte(raw))
			if e != nil {
				return fmt.Errorf("s3local: %s: policy of %s: %w", stateFileName, b.Name, e)
			}
			s.policies[b.Name] = bucketPolicy{raw: []byte(raw), doc: doc}
		}
	}
	return nil
}

// saveLocked writes the side state atomically; s.mu must be held.
func (s *Server) saveLocked() error {
	if s.opts.DataPath == "" {
		return nil
	}
	st := state{Regions: s.regions, Owners: s.owners, Policies: map[string]text{}}
	for b := range s.payers {
		st.RequesterPays = append(st.RequesterPays, b)
	}
	slices.Sort(st.RequesterPays)
	st.EventBridge = s.events.list()
	slices.Sort(st.EventBridge)
	for b, p := range s.policies {
		st.Policies[b] = text(p.raw)
	}
	b, err := json.MarshalIndent(st, "", "  ")
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
	delete(s.owners, bucket)
	delete(s.payers, bucket)
	delete(s.policies, bucket)
	s.events.set(bucket, false)
	_ = s.saveLocked()
}

var regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, bucket string, auth *authInfo, who *iamlocal.Principal) {
	region, constraint, e := s.requestedRegion(r)
	// Only us-east-1 (the global endpoint) creates buckets in other regions;
	// a regional endpoint insists on its own region.
	if e == nil && auth != nil && auth.region != "" && auth.region != "us-east-1" && auth.region != region {
		shown := constraint
		if shown == "" {
			shown = "unspecified"
		}
		e = newErr(http.StatusBadRequest, "IllegalLocationConstraintException",
			"The "+shown+" location constraint is incompatible for the region specific endpoint this request was sent to.")
	}
	if e == nil && gofakes3.ValidateBucketName(bucket) != nil {
		e = newErr(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", bucket)
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	owner := s.opts.DefaultOwner
	if who != nil {
		owner = who.Account
	}
	if existing, ok := s.bucketRegion(bucket); ok {
		s.recreateBucket(w, r, bucket, existing, region, owner, who != nil)
		return
	}
	if err := s.store.CreateBucket(bucket); err != nil {
		if gofakes3.IsAlreadyExists(err) {
			s.writeError(w, r, errOwnedByYou(bucket))
			return
		}
		s.writeError(w, r, toS3Err(err))
		return
	}
	s.mu.Lock()
	s.regions[bucket] = region
	if owner != "" {
		s.owners[bucket] = owner
	}
	err := s.saveLocked()
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

// requestedRegion reads CreateBucket's LocationConstraint; region is where
// the bucket goes.
func (s *Server) requestedRegion(r *http.Request) (region, constraint string, e *s3Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return "", "", errInternal(err)
	}
	var cfg struct {
		LocationConstraint string `xml:"LocationConstraint"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if xml.Unmarshal(body, &cfg) != nil {
			return "", "", errMalformedXML()
		}
	}
	constraint = strings.TrimSpace(cfg.LocationConstraint)
	if constraint == "EU" {
		constraint = "eu-west-1"
	}
	if constraint == "us-east-1" || (constraint != "" && !regionPattern.MatchString(constraint)) {
		return "", "", newErr(http.StatusBadRequest, "InvalidLocationConstraint",
			"The specified location-constraint is not valid", "LocationConstraint", constraint)
	}
	region = constraint
	if region == "" {
		region = s.opts.DefaultRegion
	}
	return region, constraint, nil
}

func errOwnedByYou(bucket string) *s3Error {
	return newErr(http.StatusConflict, "BucketAlreadyOwnedByYou",
		"Your previous request to create the named bucket succeeded and you already own it.", "BucketName", bucket)
}

// recreateBucket answers CreateBucket of an existing bucket: another
// account's (known with IAM only) is BucketAlreadyExists.
func (s *Server) recreateBucket(w http.ResponseWriter, r *http.Request, bucket, existing, region, caller string, iam bool) {
	switch {
	case iam && s.owner(bucket) != caller:
		s.writeError(w, r, newErr(http.StatusConflict, "BucketAlreadyExists",
			"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
			"BucketName", bucket))
	case existing == "us-east-1" && region == "us-east-1":
		// S3's legacy answer for re-creating your own bucket there.
		w.Header().Set("Location", "/"+bucket)
		w.WriteHeader(http.StatusOK)
	default:
		s.writeError(w, r, errOwnedByYou(bucket))
	}
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

// listPage is one ListBuckets request's filter and page.
type listPage struct {
	prefix, region string
	after          string // the last bucket of the previous page
	max            int    // 0: no limit (a request without paging parameters)
	owner          string
	ownerOnly      bool
}

// readListPage reads ListBuckets' parameters. As in S3, a request with
// prefix, bucket-region or continuation-token but no max-buckets gets pages
// of 10,000.
func readListPage(q url.Values, who *iamlocal.Principal) (listPage, *s3Error) {
	p := listPage{prefix: q.Get("prefix"), region: q.Get("bucket-region")}
	if who != nil {
		p.owner, p.ownerOnly = who.Account, true
	}
	if tok := q.Get("continuation-token"); q.Has("continuation-token") {
		after, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(after) == 0 {
			return p, errInvalidArgument("The continuation token provided is incorrect", "continuation-token", tok)
		}
		p.after = string(after)
	}
	if v := q.Get("max-buckets"); q.Has("max-buckets") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return p, errInvalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", v)
		}
		p.max = n
	} else if q.Has("prefix") || q.Has("bucket-region") || q.Has("continuation-token") {
		p.max = 10000
	}
	return p, nil
}

// listBuckets answers ListBuckets with each bucket's region. With IAM it
// lists the caller's account's buckets only, as S3 does.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request, q url.Values, who *iamlocal.Principal) {
	page, e := readListPage(q, who)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	buckets, err := s.store.ListBuckets()
	if err != nil {
		s.writeError(w, r, toS3Err(err))
		return
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets>`)
	n, last, next := 0, "", ""
	for _, bk := range buckets {
		region, ok := s.bucketRegion(bk.Name)
		if !ok || bk.Name <= page.after || !strings.HasPrefix(bk.Name, page.prefix) ||
			(page.region != "" && region != page.region) || (page.ownerOnly && s.owner(bk.Name) != page.owner) {
			continue
		}
		if page.max > 0 && n == page.max {
			next = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		n, last = n+1, bk.Name
		writeBucket(&b, bk, region)
	}
	b.WriteString("</Buckets>")
	writeListEnd(&b, page, next)
	writeXML(w, s, b.String())
}
func writeBucket(b *strings.Builder, bk gofakes3.BucketInfo, region string) {
	created := bk.CreationDate.Time
	if created.IsZero() {
		created = time.Now()
	}
	b.WriteString("<Bucket><Name>")
	xmlEscape(b, bk.Name)
	fmt.Fprintf(b, "</Name><CreationDate>%s</CreationDate><BucketRegion>%s</BucketRegion></Bucket>",
		created.UTC().Format("2006-01-02T15:04:05.000Z"), region)
}

// writeListEnd writes what follows the buckets, in S3's order: the owner
// (the account's canonical id stands for it: a hash of the account id), the
// continuation token and the prefix.
func writeListEnd(b *strings.Builder, page listPage, next string) {
	if page.ownerOnly {
		sum := sha256.Sum256([]byte("s3local-account:" + page.owner))
		fmt.Fprintf(b, "<Owner><ID>%s</ID></Owner>", hex.EncodeToString(sum[:]))
	} else {
		b.WriteString("<Owner><ID>s3local</ID><DisplayName>s3local</DisplayName></Owner>")
	}
	if next != "" {
		b.WriteString("<ContinuationToken>" + next + "</ContinuationToken>")
	}
	if page.prefix != "" {
		b.WriteString("<Prefix>")
		xmlEscape(b, page.prefix)
		b.WriteString("</Prefix>")
	}
	b.WriteString("</ListAllMyBucketsResult>")
}

func writeXML(w http.ResponseWriter, s *Server, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Set("X-Amz-Request-Id", s.requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}
