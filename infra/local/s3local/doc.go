// Package s3local is the platform's local S3 endpoint: an in-process
// http.Handler around github.com/johannesboyne/gofakes3 that closes the gaps
// between gofakes3 and S3 which the platform's code (aws-sdk-go-v2, path-style
// addressing, BaseEndpoint pointing at this server) can observe.
//
// Added over gofakes3:
//
//   - Storage classes: ListObjects (V1 and V2) report each object's stored
//     StorageClass (gofakes3 leaves it empty); HeadObject/GetObject send
//     x-amz-storage-class except for STANDARD, as S3 does; unknown classes are
//     refused with InvalidStorageClass.
//   - Archived objects: GetObject of a GLACIER or DEEP_ARCHIVE object answers
//     403 InvalidObjectState until it is restored. RestoreObject (POST ?restore)
//     restores at once (202, or 200 when already restored) and HeadObject and
//     GetObject then carry x-amz-restore with S3's expiry date. Overwriting an
//     object drops its restore; restores expire.
//   - Metadata: a PUT replaces the object's metadata instead of merging the old
//     one into it (gofakes3 backends merge on every write); CopyObject honours
//     x-amz-metadata-directive REPLACE/COPY, x-amz-storage-class,
//     x-amz-tagging-directive and the x-amz-copy-source-if-* conditions, and
//     refuses a pointless copy of an object onto itself like S3.
//     Cache-Control, Content-Language and Expires are stored and returned.
//   - Multipart: completed objects keep S3's "<md5 of part md5s>-<parts>" ETag
//     in HeadObject, GetObject and listings; UploadPartCopy works.
//   - Bucket regions: CreateBucket records the LocationConstraint (persisted),
//     GetBucketLocation returns it, every response about a bucket carries
//     x-amz-bucket-region, and a request signed for another region gets S3's
//     301 PermanentRedirect, so clients can discover the region. The region is
//     read from the credential scope even when signatures are not checked.
//   - SigV4: with credentials configured, header and presigned-URL signatures
//     are verified (InvalidAccessKeyId, SignatureDoesNotMatch with S3's
//     debugging fields, AccessDenied for missing or expired auth), including
//     the chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies;
//     RestrictBucket limits a bucket to some access keys.
//   - Payloads: aws-chunked bodies (the SDK's STREAMING-UNSIGNED-PAYLOAD-TRAILER
//     over HTTPS, and signed streaming) are decoded before storage, which
//     gofakes3 only half does; x-amz-content-sha256 and x-amz-checksum-*
//     values (headers or trailers) are verified and the object's checksum is
//     returned to GetObject/HeadObject callers that ask for it. Transport
//     headers (x-amz-date, x-amz-content-sha256, ...) are no longer stored as
//     object metadata and echoed back.
//   - Object tagging: Get/Put/DeleteObjectTagging on the tags given at upload
//     (HeadObject reports x-amz-tagging-count).
//   - Persistence: gofakes3's s3bolt hands out object bytes that alias bbolt's
//     memory map after the read transaction ends, so a GET racing a PUT that
//     grows the file can crash the process; reads are copied under a lock.
//   - Errors are S3's XML error documents with S3's status codes.
//
// Objects live in memory (gofakes3's s3mem) or, with Options.DataPath, in a
// bbolt file (s3bolt) next to a small JSON file for bucket regions; restore
// state and multipart ETags are kept in the object's own stored metadata, so
// they persist, and vanish, with the object. Listing stays gofakes3's
// paginated listing; the extra per-page work is one metadata lookup per
// returned key.
//
// Not provided: versioning, ACLs, policies, bucket tagging and the other
// configuration subresources (they answer 501 NotImplemented), SigV4a, the
// trailer signature of signed streaming uploads, RestoreStatus in listings,
// virtual-hosted-style addressing and encoding-type=url listings. A 301
// PermanentRedirect names this server's own host as the Endpoint, since it
// serves every region.
package s3local
