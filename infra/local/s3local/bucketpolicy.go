package s3local

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// bucketPolicy is a bucket's policy: the document as PUT (GetBucketPolicy
// answers it unchanged) and as evaluated.
type bucketPolicy struct {
	raw []byte
	doc policy.Document
}

func errMalformedPolicy(msg string) *s3Error {
	return newErr(http.StatusBadRequest, "MalformedPolicy", msg)
}

// bucketPolicy serves Put/Get/DeleteBucketPolicy.
func (s *Server) bucketPolicy(w http.ResponseWriter, r *http.Request, bucket string, who *iamlocal.Principal) {
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	if e := s.mayManagePolicy(r.Method, bucket, who); e != nil {
		s.writeError(w, r, e)
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.putBucketPolicy(w, r, bucket)
	case http.MethodGet:
		s.mu.RLock()
		p, ok := s.policies[bucket]
		s.mu.RUnlock()
		if !ok {
			s.writeError(w, r, newErr(http.StatusNotFound, "NoSuchBucketPolicy",
				"The bucket policy does not exist", "BucketName", bucket))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amz-Request-Id", s.requestID())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(p.raw)
	case http.MethodDelete:
		if e := s.setPolicy(bucket, nil); e != nil {
			s.writeError(w, r, e)
			return
		}
		w.Header().Set("X-Amz-Request-Id", s.requestID())
		w.WriteHeader(http.StatusNoContent)
	default:
		s.writeError(w, r, newErr(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The specified method is not allowed against this resource."))
	}
}

// mayManagePolicy is S3's rule for the policy operations: the caller needs
// the permission (s3:PutBucketPolicy, ...) and must belong to the bucket
// owner's account; with the permission in its own account but of another
// account it gets 405 MethodNotAllowed. The owner's root user always may.
func (s *Server) mayManagePolicy(method, bucket string, who *iamlocal.Principal) *s3Error {
	if who == nil {
		return nil
	}
	action := map[string]string{http.MethodPut: "s3:PutBucketPolicy", http.MethodGet: "s3:GetBucketPolicy",
		http.MethodDelete: "s3:DeleteBucketPolicy"}[method]
	owner := s.owner(bucket)
	if owner != "" && who.ARN == iamlocal.Root(owner) {
		return nil
	}
	if who.Account != owner {
		own := iamlocal.Request{Principal: *who, Action: action, Resource: s3ARN + bucket, ResourceAccount: who.Account,
			Context: map[string]string{"s3:ResourceAccount": owner, "aws:ResourceAccount": owner}}
		if iamlocal.Allowed(own, nil) {
			return newErr(http.StatusMethodNotAllowed, "MethodNotAllowed",
				"The specified method is not allowed against this resource.")
		}
		return errAccessDenied()
	}
	if !s.permits(who, bucket, action, s3ARN+bucket) {
		return errAccessDenied()
	}
	return nil
}

func (s *Server) putBucketPolicy(w http.ResponseWriter, r *http.Request, bucket string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		var e *s3Error
		if errors.As(err, &e) { // a checksum that does not match
			s.writeError(w, r, e)
		} else {
			s.writeError(w, r, errInternal(err))
		}
		return
	}
	doc, e := parseBucketPolicy(bucket, raw)
	if e == nil {
		e = s.setPolicy(bucket, &bucketPolicy{raw: raw, doc: doc})
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	w.Header().Set("X-Amz-Request-Id", s.requestID())
	w.WriteHeader(http.StatusNoContent)
}

// parseBucketPolicy accepts what S3 accepts as bucket's policy and this
// server can evaluate (iamlocal.Check), with S3's MalformedPolicy messages.
func parseBucketPolicy(bucket string, raw []byte) (policy.Document, *s3Error) {
	if len(raw) > 20<<10 {
		return policy.Document{}, errMalformedPolicy("Policies must be less than 20 KB")
	}
	doc, err := policy.Parse(raw)
	if err != nil {
		if len(raw) > 0 && raw[0] == '{' && !json.Valid(raw) {
			return doc, errMalformedPolicy("This policy contains invalid Json")
		}
		return doc, errMalformedPolicy(capitalize(err.Error()))
	}
	if err := iamlocal.Check(doc); err != nil {
		return doc, errMalformedPolicy(capitalize(err.Error()))
	}
	for _, st := range doc.Statement {
		switch {
		case len(st.Principal) == 0:
			return doc, errMalformedPolicy("Missing required field Principal")
		case len(st.Resource) == 0:
			return doc, errMalformedPolicy("Missing required field Resource")
		}
		for _, a := range st.Action {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return doc, errMalformedPolicy("Policy has invalid action")
			}
		}
		for _, res := range st.Resource {
			if !resourceOfBucket(res, bucket) {
				return doc, errMalformedPolicy("Policy has invalid resource")
			}
		}
	}
	return doc, nil
}

// resourceOfBucket says whether res is bucket or objects in it; a wildcard
// in the bucket part must match bucket.
func resourceOfBucket(res, bucket string) bool {
	rest, ok := strings.CutPrefix(res, s3ARN)
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == bucket {
		return true
	}
	matched, err := path.Match(name, bucket)
	return err == nil && matched && strings.ContainsAny(name, "*?")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// setPolicy sets (nil: removes) bucket's policy and saves it.
func (s *Server) setPolicy(bucket string, p *bucketPolicy) *s3Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p == nil {
		delete(s.policies, bucket)
	} else {
		s.policies[bucket] = *p
	}
	if err := s.saveLocked(); err != nil {
		return errInternal(err)
	}
	return nil
}
