package s3local

import (
	"net/http"
	"net/url"
	"regexp"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// s3ARN is the ARN prefix of buckets and objects.
const s3ARN = "arn:aws:s3:::"

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// owner is the account that owns bucket: the recorded one, else
// Options.DefaultOwner ("" when neither is known).
func (s *Server) owner(bucket string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o, ok := s.owners[bucket]; ok {
		return o
	}
	return s.opts.DefaultOwner
}

// checkExpectedOwner applies x-amz-expected-bucket-owner (or, with header
// x-amz-source-expected-bucket-owner, its copy-source form) to bucket: a
// value that is no account id is 400, another account than the owner 403.
// A bucket that does not exist is left to the operation (NoSuchBucket).
func (s *Server) checkExpectedOwner(h http.Header, header, bucket string) *s3Error {
	want := h.Get(header)
	if want == "" {
		return nil
	}
	if !accountID.MatchString(want) {
		return newErr(http.StatusBadRequest, "InvalidBucketOwnerAWSAccountID",
			"The value of the expected bucket owner parameter must be an AWS Account ID... ["+want+"]")
	}
	if _, ok := s.bucketRegion(bucket); !ok {
		return nil
	}
	if owner := s.owner(bucket); owner != "" && owner != want {
		return errAccessDenied()
	}
	return nil
}

// permits evaluates who's action on resource of bucket as S3 does: with the
// bucket's policy, the bucket's owner as resource account, and the
// s3:ResourceAccount and aws:ResourceAccount condition keys.
func (s *Server) permits(who *iamlocal.Principal, bucket, action, resource string) bool {
	return s.permitsWith(who, bucket, action, resource, nil)
}

// permitsWith is permits with the request's own condition keys (listContext).
func (s *Server) permitsWith(who *iamlocal.Principal, bucket, action, resource string, keys map[string]string) bool {
	owner := s.owner(bucket)
	var doc *policy.Document
	s.mu.RLock()
	if p, ok := s.policies[bucket]; ok {
		doc = &p.doc
	}
	s.mu.RUnlock()
	return iamlocal.Allowed(iamlocal.Request{
		Principal: *who, Action: action, Resource: resource, ResourceAccount: owner,
		Context: withKeys(map[string]string{"s3:ResourceAccount": owner, "aws:ResourceAccount": owner}, keys),
	}, doc)
}

// listContext is the condition keys S3 sets on a listing: s3:prefix and
// s3:delimiter, when the request has them.
func listContext(action string, q url.Values) map[string]string {
	if action != "s3:ListBucket" {
		return nil
	}
	keys := map[string]string{}
	for k, name := range map[string]string{"s3:prefix": "prefix", "s3:delimiter": "delimiter"} {
		if q.Has(name) {
			keys[k] = q.Get(name)
		}
	}
	return keys
}

func withKeys(m, keys map[string]string) map[string]string {
	for k, v := range keys {
		m[k] = v
	}
	return m
}

// authorize decides a bucket or object request of who (nil without IAM:
// everything is allowed). Requests on buckets that do not exist pass, to get
// S3's NoSuchBucket; bucket policy requests are decided by bucketPolicy.
func (s *Server) authorize(r *http.Request, bucket, key string, q url.Values, who *iamlocal.Principal) *s3Error {
	if isCreateBucket(r, key, q) {
		if who != nil && !iamlocal.Allowed(iamlocal.Request{Principal: *who, Action: "s3:CreateBucket",
			Resource: s3ARN + bucket, ResourceAccount: who.Account}, nil) {
			return errAccessDenied()
		}
		return nil
	}
	if _, isPolicy := q["policy"]; isPolicy && key == "" {
		return nil
	}
	if _, ok := s.bucketRegion(bucket); !ok {
		return nil
	}
	if who != nil {
		action, resource := operation(r.Method, bucket, key, q)
		if !s.permitsWith(who, bucket, action, resource, listContext(action, q)) {
			return errAccessDenied()
		}
		// GetObjectAttributes needs s3:GetObject as well (on an unversioned bucket).
		reads := action == "s3:GetObject" || action == "s3:GetObjectAttributes"
		if action == "s3:GetObjectAttributes" && !s.permits(who, bucket, "s3:GetObject", resource) {
			return errAccessDenied()
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && reads &&
			!s.exists(bucket, key) && !s.permits(who, bucket, "s3:ListBucket", s3ARN+bucket) {
			return errAccessDenied() // S3 does not tell callers who may not list what is missing
		}
	}
	if key != "" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
		return s.authorizeCopySource(r, who)
	}
	return nil
}

// authorizeCopySource applies x-amz-source-expected-bucket-owner and, with
// IAM, requires s3:GetObject on the source object, evaluated against the
// source bucket's owner and policy. A malformed source or one in a bucket
// that does not exist is left to the copy, which answers S3's error.
func (s *Server) authorizeCopySource(r *http.Request, who *iamlocal.Principal) *s3Error {
	srcBucket, srcKey, e := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if e != nil {
		return nil
	}
	if e := s.checkExpectedOwner(r.Header, "X-Amz-Source-Expected-Bucket-Owner", srcBucket); e != nil {
		return e
	}
	if _, ok := s.bucketRegion(srcBucket); !ok || who == nil {
		return nil
	}
	if !s.permits(who, srcBucket, "s3:GetObject", s3ARN+srcBucket+"/"+srcKey) {
		return errAccessDenied()
	}
	if !s.exists(srcBucket, srcKey) && !s.permits(who, srcBucket, "s3:ListBucket", s3ARN+srcBucket) {
		return errAccessDenied()
	}
	return nil
}

// exists says whether bucket holds key.
func (s *Server) exists(bucket, key string) bool {
	obj, err := s.store.HeadObject(bucket, key)
	if err != nil || obj == nil {
		return false
	}
	_ = obj.Contents.Close()
	return true
}

// operation maps a bucket or object request to its IAM action and resource.
// DeleteObjects is s3:DeleteObject on every key of the bucket (S3 checks
// each key). Requests this server does not serve map to an action no one
// is granted by accident.
func operation(method, bucket, key string, q url.Values) (action, resource string) {
	if key == "" {
		return bucketOperation(method, bucket, q)
	}
	resource = s3ARN + bucket + "/" + key
	_, uploads := q["uploads"]
	uploadID := q.Has("uploadId")
	if _, ok := q["tagging"]; ok {
		return map[string]string{http.MethodGet: "s3:GetObjectTagging", http.MethodPut: "s3:PutObjectTagging",
			http.MethodDelete: "s3:DeleteObjectTagging"}[method], resource
	}
	switch {
	case method == http.MethodPost && q.Has("restore"):
		return "s3:RestoreObject", resource
	case method == http.MethodPut, method == http.MethodPost && (uploads || uploadID):
		return "s3:PutObject", resource
	case method == http.MethodGet && uploadID:
		return "s3:ListMultipartUploadParts", resource
	case method == http.MethodDelete && uploadID:
		return "s3:AbortMultipartUpload", resource
	case method == http.MethodGet && q.Has("attributes"):
		return "s3:GetObjectAttributes", resource // and s3:GetObject: see authorize
	case method == http.MethodGet, method == http.MethodHead:
		return "s3:GetObject", resource
	case method == http.MethodDelete:
		return "s3:DeleteObject", resource
	}
	return "s3:Unsupported" + method, resource
}

func bucketOperation(method, bucket string, q url.Values) (action, resource string) {
	resource = s3ARN + bucket
	switch {
	case method == http.MethodDelete && len(q) == 0:
		return "s3:DeleteBucket", resource
	case method == http.MethodPost && q.Has("delete"):
		return "s3:DeleteObject", resource + "/*" // see operation
	case method == http.MethodPost: // a browser form upload
		return "s3:PutObject", resource + "/*"
	case method == http.MethodGet && q.Has("location"):
		return "s3:GetBucketLocation", resource
	case q.Has("requestPayment"):
		return map[string]string{http.MethodGet: "s3:GetBucketRequestPayment", http.MethodPut: "s3:PutBucketRequestPayment"}[method], resource
	case q.Has("notification"):
		return map[string]string{http.MethodGet: "s3:GetBucketNotification", http.MethodPut: "s3:PutBucketNotification"}[method], resource
	case method == http.MethodGet && q.Has("uploads"):
		return "s3:ListBucketMultipartUploads", resource
	case method == http.MethodGet && q.Has("versions"):
		return "s3:ListBucketVersions", resource
	case method == http.MethodGet, method == http.MethodHead:
		return "s3:ListBucket", resource
	}
	return "s3:Unsupported" + method, resource
}
