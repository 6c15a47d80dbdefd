package s3local

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Options configures a Server.
type Options struct {
	// DataPath is "" to keep everything in memory; otherwise a directory
	// holding objects/ (one record and one body file per object, see
	// diskformat.go) and s3local.json (bucket regions, owners and
	// policies). One Server at a time may use it.
	DataPath string
	// DefaultRegion is the region of buckets created without a
	// LocationConstraint; "" means "us-east-1", as in S3.
	DefaultRegion string
	// Credentials maps access key ids to secret keys. While it is empty
	// signatures are not checked (the credential scope is still read, for
	// the region); once it has keys every request must be signed by one.
	// Credentials only authenticate: nothing is authorized. Unused with IAM.
	Credentials map[string]string
	// IAM, when set, makes the server behave like S3 in an AWS account
	// setting, so that confused-deputy mistakes show locally: every request
	// must be signed by a key IAM knows (sessions with their token), and is
	// authorized with the key's identity policies and the bucket's policy.
	IAM Identities
	// DefaultOwner is the account id of buckets without a recorded owner
	// (created by an older version, or without IAM), so that policies and
	// x-amz-expected-bucket-owner can be checked against them.
	DefaultOwner string
	// RestoreDelay is how long a restore of an archived object takes (S3
	// takes minutes to hours, by tier): until then HeadObject says
	// ongoing-request="true", GetObject answers InvalidObjectState and a
	// second request 409 RestoreAlreadyInProgress. Zero: at once.
	RestoreDelay time.Duration
	// Notify receives the "Object Created" events of the buckets whose
	// notification configuration sends them to EventBridge
	// (notifications.go); nil drops them.
	Notify func(Notification)
}

// Identities resolves access keys to principals; *iamlocal.Registry is one.
// It is an interface so that a server can share the platform's registry
// without owning it.
type Identities interface {
	Lookup(akid string, now time.Time) (iamlocal.Key, bool)
}

// Server is the local S3 endpoint; it is an http.Handler.
type Server struct {
	opts    Options
	store   *store
	disk    *diskBackend // with a DataPath
	fake    http.Handler
	now     func() time.Time // restore expiry clock; tests move it
	reqSeq  atomic.Uint64
	mpuLock [64]sync.Mutex // serialises completions per key (see completeMultipart)
	uploads sync.Map       // upload id -> *upload: checksums of multipart uploads in progress
	// copyFault, when set, says which copy targets (bucket, key) to corrupt; see CorruptCopies.
	copyFault atomic.Pointer[func(bucket, key string) bool]

	mu       sync.RWMutex
	creds    map[string]string
	regions  map[string]string       // existing buckets -> region
	owners   map[string]string       // buckets -> owner account, where recorded
	policies map[string]bucketPolicy // buckets -> policy, where set
	payers   map[string]bool         // Requester Pays buckets (requestpayment.go)
	events   notifier                // buckets whose events go to EventBridge (notifications.go)
}

// New starts a Server; call Close to release the data directory.
func New(opts Options) (*Server, error) {
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = "us-east-1"
	}
	s := &Server{
		opts:     opts,
		now:      time.Now,
		creds:    map[string]string{},
		regions:  map[string]string{},
		owners:   map[string]string{},
		policies: map[string]bucketPolicy{},
		payers:   map[string]bool{},
	}
	for k, v := range opts.Credentials {
		s.creds[k] = v
	}

	var backend gofakes3.Backend
	if opts.DataPath == "" {
		backend = s3mem.New()
	} else {
		if err := os.MkdirAll(opts.DataPath, 0o700); err != nil {
			return nil, fmt.Errorf("s3local: create %s: %w", opts.DataPath, err)
		}
		disk, err := openDisk(opts.DataPath)
		if err != nil {
			return nil, err
		}
		s.disk = disk
		backend = disk
	}
	s.store = newStore(backend)
	s.fake = gofakes3.New(s.store,
		gofakes3.WithTimeSkewLimit(0),     // checked with the signature instead
		gofakes3.WithMetadataSizeLimit(0), // S3's user-metadata limit is applied here
		gofakes3.WithoutVersioning(),
	).Server()

	if err := s.loadState(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// CorruptCopies makes CopyObject and UploadPartCopy store other bytes
// than the source's (the last byte flipped) at the targets match accepts,
// while reporting, as S3 would, the checksum of what was stored: a fault
// between source and target for tests to show that a copier catches it by
// comparing checksums. nil (the default) turns it off.
func (s *Server) CorruptCopies(match func(bucket, key string) bool) {
	if match == nil {
		s.copyFault.Store(nil)
		return
	}
	s.copyFault.Store(&match)
}

// corrupts says whether the copy fault applies to a target.
func (s *Server) corrupts(bucket, key string) bool {
	f := s.copyFault.Load()
	return f != nil && (*f)(bucket, key)
}

// Handler returns s; it exists for symmetry with other local emulators.
func (s *Server) Handler() http.Handler { return s }

// Close releases the data directory for another Server. In-memory servers
// lose their data.
func (s *Server) Close() error {
	if s.disk != nil {
		err := s.disk.Close()
		s.disk = nil
		return err
	}
	return nil
}

// AddCredentials adds (or replaces) an access key; with the first key,
// signature checks begin. Keys added so are not used with Options.IAM.
func (s *Server) AddCredentials(akid, secret string) {
	s.mu.Lock()
	s.creds[akid] = secret
	s.mu.Unlock()
}

// MarkRestored restores an archived object for one day, as a RestoreObject
// request would once done (at once, whatever Options.RestoreDelay); it
// fails like S3 for objects that are not archived.
func (s *Server) MarkRestored(bucket, key string) error {
	if _, err := s.restore(bucket, key, 1); err != nil {
		return err
	}
	if err := s.store.updateMeta(bucket, key, func(m map[string]string) { delete(m, metaRestoreReady) }); err != nil {
		return objectErr(err, bucket, key)
	}
	return nil
}

// ExpireRestore ends a restored copy's life now, as S3 does at its expiry
// date: the object is archived again, with no x-amz-restore.
func (s *Server) ExpireRestore(bucket, key string) error {
	err := s.store.updateMeta(bucket, key, func(m map[string]string) {
		m[metaRestore] = s.now().Add(-time.Second).UTC().Format(time.RFC3339)
		delete(m, metaRestoreReady)
	})
	if err != nil {
		return objectErr(err, bucket, key)
	}
	return nil
}

func (s *Server) requestID() string {
	return fmt.Sprintf("S3L%013X", s.reqSeq.Add(1))
}

func (s *Server) authOn() bool {
	if s.opts.IAM != nil {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.creds) > 0
}

func (s *Server) secret(akid string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.creds[akid]
	return v, ok
}

// Subresources gofakes3 does not know; it would treat them as plain bucket or
// object requests (a GET ?policy would list the bucket). Object ?tagging and
// bucket ?policy are served here.
var unsupportedSubresources = []string{
	"accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "logging", "metrics",
	"object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"replication", "retention", "select", "tagging", "torrent", "website",
}

func unsupported(q url.Values, key string) *s3Error {
	for _, sub := range unsupportedSubresources {
		if _, ok := q[sub]; ok && !(sub == "tagging" && key != "") && !(sub == "policy" && key == "") {
			return errNotImplemented()
		}
	}
	return nil
}

// ServeHTTP authenticates the request, answers S3's region redirect,
// checks the expected bucket owner, authorizes (with Options.IAM) and
// serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions { // CORS preflight is never signed
		s.fake.ServeHTTP(w, r)
		return
	}
	bucket, key := splitPath(r.URL.Path)
	q := r.URL.Query()
	auth, e := s.readAuth(r, q)
	if e == nil {
		e = s.regionRedirect(w, r, bucket, key, q, auth)
	}
	var sc *sigCtx
	var who *iamlocal.Principal
	if e == nil {
		sc, who, e = s.authenticate(r, q, auth)
	}
	if e == nil && bucket == "" {
		s.serveRoot(w, r, q, who)
		return
	}
	if e == nil && !isCreateBucket(r, key, q) {
		e = s.checkExpectedOwner(r.Header, "X-Amz-Expected-Bucket-Owner", bucket)
	}
	if e == nil {
		e = unsupported(q, key)
	}
	if e == nil {
		e = s.authorize(r, bucket, key, q, who)
	}
	if e == nil {
		e = s.checkRequestPayer(w, r, bucket, q, who)
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	rw := &respWriter{ResponseWriter: w, s: s, r: r}
	if e := s.prepareBody(r, sc, rw); e != nil {
		s.writeError(w, r, e)
		return
	}
	if key == "" {
		s.serveBucket(rw, r, bucket, q, auth, who)
	} else {
		s.serveObject(rw, r, bucket, key, q)
		s.announceCreated(rw, r, bucket, key, q)
	}
}

func isCreateBucket(r *http.Request, key string, q url.Values) bool {
	return key == "" && r.Method == http.MethodPut && len(q) == 0
}

// readAuth parses the request's SigV4 authentication; a malformed one
// matters only while signatures are checked.
func (s *Server) readAuth(r *http.Request, q url.Values) (*authInfo, *s3Error) {
	auth, e := parseAuth(r, q)
	if e != nil {
		if s.authOn() {
			return nil, e
		}
		return nil, nil
	}
	return auth, nil
}

// regionRedirect sets x-amz-bucket-region and refuses a request signed for
// another region than the bucket's: S3 redirects before it looks at the
// signature. GetBucketLocation and CreateBucket are exempt.
func (s *Server) regionRedirect(w http.ResponseWriter, r *http.Request, bucket, key string, q url.Values, auth *authInfo) *s3Error {
	if bucket == "" {
		return nil
	}
	region, ok := s.bucketRegion(bucket)
	if !ok {
		return nil
	}
	w.Header().Set("X-Amz-Bucket-Region", region)
	_, isLocation := q["location"]
	if auth != nil && auth.region != "" && auth.region != region && !isLocation && !isCreateBucket(r, key, q) {
		return newErr(http.StatusMovedPermanently, "PermanentRedirect",
			"The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
			"Endpoint", r.Host, "Bucket", bucket)
	}
	return nil
}

// serveRoot serves requests without a bucket: ListBuckets.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request, q url.Values, who *iamlocal.Principal) {
	if r.Method != http.MethodGet {
		s.writeError(w, r, newErr(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The specified method is not allowed against this resource."))
		return
	}
	if who != nil && !iamlocal.Allowed(iamlocal.Request{Principal: *who, Action: "s3:ListAllMyBuckets",
		Resource: "*", ResourceAccount: who.Account}, nil) {
		s.writeError(w, r, errAccessDenied())
		return
	}
	s.listBuckets(w, r, q, who)
}

func (s *Server) serveBucket(w *respWriter, r *http.Request, bucket string, q url.Values, auth *authInfo, who *iamlocal.Principal) {
	_, isLocation := q["location"]
	_, isPolicy := q["policy"]
	switch {
	case r.Method == http.MethodPut && len(q) == 0:
		s.createBucket(w, r, bucket, auth, who)
	case r.Method == http.MethodGet && isLocation:
		s.getBucketLocation(w, r, bucket)
	case isPolicy:
		s.bucketPolicy(w, r, bucket, who)
	case q.Has("requestPayment"):
		s.requestPayment(w, r, bucket)
	case q.Has("notification"):
		s.notification(w, r, bucket)
	case wantsEncodedListing(r, q):
		s.listEncoded(w, r, bucket, q)
	case r.Method == http.MethodGet && q.Has("uploads"):
		s.listUploads(w, r, bucket, q)
	case r.Method == http.MethodDelete && len(q) == 0:
		s.passthrough(w, r)
		if w.statusCode() == http.StatusNoContent {
			s.forgetBucket(bucket)
		}
	default:
		s.passthrough(w, r)
	}
}

func (s *Server) serveObject(w *respWriter, r *http.Request, bucket, key string, q url.Values) {
	_, isRestore := q["restore"]
	_, isUploads := q["uploads"]
	_, isAttributes := q["attributes"]
	uploadID := q.Get("uploadId")
	copySource := r.Header.Get("X-Amz-Copy-Source")
	_, isTagging := q["tagging"]
	switch {
	case isTagging:
		s.objectTagging(w, r, bucket, key)
	case r.Method == http.MethodPost && isRestore:
		s.restoreObject(w, r, bucket, key)
	case r.Method == http.MethodPut && copySource != "" && uploadID != "":
		s.uploadPartCopy(w, r, bucket, key)
	case r.Method == http.MethodPut && copySource != "":
		s.copyObject(w, r, bucket, key)
	case r.Method == http.MethodPost && uploadID != "":
		s.completeMultipart(w, r, bucket, key)
	case r.Method == http.MethodDelete && uploadID != "":
		s.abortMultipart(w, r, uploadID)
	case r.Method == http.MethodGet && uploadID != "":
		s.listParts(w, r, uploadID)
	case r.Method == http.MethodGet && isAttributes:
		s.getObjectAttributes(w, r, bucket, key)
	case (r.Method == http.MethodPut && uploadID == "") || (r.Method == http.MethodPost && isUploads):
		if e := checkStorageClass(r.Header); e != nil {
			s.writeError(w, r, e)
			return
		}
		if e := checkMetadataSize(r.Header); e != nil {
			s.writeError(w, r, e)
			return
		}
		if isUploads {
			s.createMultipart(w, r)
			return
		}
		s.putObject(w, r)
	case r.Method == http.MethodPut: // UploadPart
		s.uploadPart(w, r, uploadID)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		w.op = opHeadObject
		if r.Method == http.MethodGet {
			w.op = opGetObject
		}
		w.checksumMode = strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED")
		w.ranged = r.Header.Get("Range") != "" || q.Get("partNumber") != ""
		s.passthrough(w, r)
	default:
		s.passthrough(w, r)
	}
}

// putObject lets gofakes3 store the object; the store reports the
// checksum it stored (the request's, or the default it computed), which
// the response confirms.
func (s *Server) putObject(w *respWriter, r *http.Request) {
	stripTransportHeaders(r.Header)
	res := &writeResult{}
	token := s.requestID()
	s.store.writes.Store(token, res)
	defer s.store.writes.Delete(token)
	r.Header.Set(metaWrite, token)
	w.op, w.written = opPutObject, res
	s.fake.ServeHTTP(w, r)
	w.finish()
}

func (s *Server) passthrough(w *respWriter, r *http.Request) {
	stripTransportHeaders(r.Header)
	s.fake.ServeHTTP(w, r)
	w.finish()
}

func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// toS3Err converts a gofakes3 or backend error.
func toS3Err(err error) *s3Error {
	var e *s3Error
	if errors.As(err, &e) {
		return e
	}
	var ec interface{ ErrorCode() gofakes3.ErrorCode }
	if errors.As(err, &ec) {
		code := ec.ErrorCode()
		msg := code.Message()
		if msg == "" {
			msg = err.Error()
		}
		return newErr(code.Status(), string(code), msg)
	}
	return errInternal(err)
}
