package faults

import (
	"net/http"
	"strings"
)

// Operation names the API operation of r, as the SDK's operation names
// spell it: from X-Amz-Target for the JSON protocols, from the method,
// path and query for S3 (path-style addressing, as the local S3 uses).
func Operation(p Protocol, r *http.Request) string {
	if p != S3 {
		t := r.Header.Get("X-Amz-Target")
		return t[strings.LastIndex(t, ".")+1:]
	}
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	object := strings.Contains(path, "/")
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch r.Method {
	case http.MethodGet:
		switch {
		case !object && q.Get("list-type") == "2":
			return "ListObjectsV2"
		case !object && q.Has("location"):
			return "GetBucketLocation"
		case !object && q.Has("uploads"):
			return "ListMultipartUploads"
		case !object && path == "":
			return "ListBuckets"
		case !object:
			return "ListObjects"
		case q.Has("uploadId"):
			return "ListParts"
		}
		return "GetObject"
	case http.MethodHead:
		if object {
			return "HeadObject"
		}
		return "HeadBucket"
	case http.MethodPut:
		switch {
		case !object:
			return "CreateBucket"
		case q.Has("partNumber") && copySource:
			return "UploadPartCopy"
		case q.Has("partNumber"):
			return "UploadPart"
		case copySource:
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return "CreateMultipartUpload"
		case q.Has("uploadId"):
			return "CompleteMultipartUpload"
		case q.Has("delete"):
			return "DeleteObjects"
		case q.Has("restore"):
			return "RestoreObject"
		}
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return "AbortMultipartUpload"
		case object:
			return "DeleteObject"
		}
		return "DeleteBucket"
	}
	return r.Method
}
