package s3local

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
)

// Requester Pays buckets (AWS-FACTS §2.3): GET/PUT ?requestPayment sets who
// pays (Requester or BucketOwner, the default). A request to a Requester
// Pays bucket by anyone but the bucket's own account must say it pays,
// with x-amz-request-payer: requester (or the x-amz-request-payer query
// parameter of a presigned URL), else S3 answers 403 AccessDenied (a HEAD
// a bare 403); a charged answer carries x-amz-request-charged: requester.
// A copy pays for its source bucket the same way. Only with IAM, which
// says who the caller is.

const requestPaymentNS = "http://s3.amazonaws.com/doc/2006-03-01/"

type requestPayment struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Payer   string   `xml:"Payer"`
}

// requesterPays says whether bucket is a Requester Pays bucket.
func (s *Server) requesterPays(bucket string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.payers[bucket]
}

// SetRequesterPays makes bucket a Requester Pays bucket or not, as its
// owner's PutBucketRequestPayment would: for a local platform's demo.
func (s *Server) SetRequesterPays(bucket string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.regions[bucket]; !ok {
		return errNoSuchBucket(bucket)
	}
	if on {
		s.payers[bucket] = true
	} else {
		delete(s.payers, bucket)
	}
	return s.saveLocked()
}

func (s *Server) requestPayment(w http.ResponseWriter, r *http.Request, bucket string) {
	if _, ok := s.bucketRegion(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	switch r.Method {
	case http.MethodGet:
		payer := "BucketOwner"
		if s.requesterPays(bucket) {
			payer = "Requester"
		}
		body, _ := xml.Marshal(requestPayment{Xmlns: requestPaymentNS, Payer: payer})
		writeXML(w, s, xml.Header+string(body))
	case http.MethodPut:
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var in requestPayment
		if err != nil || xml.Unmarshal(raw, &in) != nil || (in.Payer != "Requester" && in.Payer != "BucketOwner") {
			s.writeError(w, r, errMalformedXML())
			return
		}
		if err := s.SetRequesterPays(bucket, in.Payer == "Requester"); err != nil {
			s.writeError(w, r, toS3Err(err))
			return
		}
		w.Header().Set("X-Amz-Request-Id", s.requestID())
		w.WriteHeader(http.StatusOK)
	default:
		s.writeError(w, r, errNotImplemented())
	}
}

// checkRequestPayer refuses a request of who on bucket (or on a copy's
// source bucket) that does not say it pays where it must, and marks the
// answer charged where it does.
func (s *Server) checkRequestPayer(w http.ResponseWriter, r *http.Request, bucket string, q url.Values, who *iamlocal.Principal) *s3Error {
	if who == nil {
		return nil
	}
	buckets := []string{bucket}
	if src, _, e := parseCopySource(r.Header.Get("X-Amz-Copy-Source")); e == nil && src != "" {
		buckets = append(buckets, src)
	}
	pays := strings.EqualFold(r.Header.Get("X-Amz-Request-Payer"), "requester") || strings.EqualFold(q.Get("x-amz-request-payer"), "requester")
	charged := false
	for _, b := range buckets {
		if !s.requesterPays(b) || s.owner(b) == who.Account {
			continue
		}
		if !pays {
			return errAccessDenied()
		}
		charged = true
	}
	if charged {
		w.Header().Set("X-Amz-Request-Charged", "requester")
	}
	return nil
}
