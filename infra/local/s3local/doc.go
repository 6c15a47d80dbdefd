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
//     403 InvalidObjectState until it is restored. RestoreObject (POST ?restore,
//     tier Standard, Bulk or Expedited) starts a restore that completes after
//     Options.RestoreDelay (at once without one): meanwhile HeadObject says
//     x-amz-restore: ongoing-request="true", GetObject still answers
//     InvalidObjectState and another request 409 RestoreAlreadyInProgress;
//     202 for a new restore, 200 for one of a restored object (its expiry
//     extended). HeadObject and GetObject of a restored object carry
//     x-amz-restore with S3's expiry date. Overwriting an object drops its
//     restore; restores expire.
//   - Events to EventBridge (notifications.go): GET/PUT ?notification with
//     an EventBridgeConfiguration; such a bucket announces each PutObject,
//     CopyObject and CompleteMultipartUpload as S3's "Object Created"
//     event (AWS-FACTS §4.2: the owner's account, the key URL-encoded, an
//     unquoted ETag, a growing sequencer, the reason) through
//     Options.Notify, which the local platform puts on the owner's
//     default bus: event-driven datasets need them.
//   - Requester Pays (requestpayment.go): GET/PUT ?requestPayment; with IAM,
//     another account's request to a Requester Pays bucket (a copy's source
//     bucket too) must send x-amz-request-payer: requester, else 403
//     AccessDenied, and its answer says x-amz-request-charged: requester.
//   - Metadata: a PUT replaces the object's metadata instead of merging the old
//     one into it (gofakes3 backends merge on every write); CopyObject honours
//     x-amz-metadata-directive REPLACE/COPY, x-amz-storage-class,
//     x-amz-tagging-directive and the x-amz-copy-source-if-* conditions, and
//     refuses a pointless copy of an object onto itself like S3.
//     Cache-Control, Content-Language and Expires are stored and returned.
//   - Multipart: completed objects keep S3's "<md5 of part md5s>-<parts>" ETag
//     in HeadObject, GetObject and listings; UploadPartCopy works;
//     ListMultipartUploads of a bucket that never had an upload lists none
//     (gofakes3 answers NoSuchUpload).
//   - Checksums (checksums.go, multipart.go, attributes.go; the values come
//     from shared/checksum), as S3 computes them:
//     every object has one. A PutObject's x-amz-checksum-<alg> (header or
//     aws-chunked trailer) is verified and stored; without one the object
//     gets S3's default, a full-object CRC64NVME [API_Checksum: "or if the
//     object was uploaded without a checksum (and Amazon S3 added the
//     default checksum, CRC64NVME)"]. PutObject answers the stored checksum
//     and x-amz-checksum-type. Two checksum headers, or a value that is not
//     Base64 of the algorithm's size, are 400 InvalidRequest with S3's
//     messages. CreateMultipartUpload takes x-amz-checksum-algorithm and
//     x-amz-checksum-type (default COMPOSITE, FULL_OBJECT for CRC64NVME;
//     FULL_OBJECT only for CRCs, COMPOSITE not for CRC64NVME; a type without
//     an algorithm and an unknown algorithm are refused) and confirms both.
//     UploadPart records the part's checksums and returns the upload's
//     algorithm's (computed when the part came without one, UNCONFIRMED);
//     a part sent with another algorithm's checksum is refused ("Checksum
//     Type mismatch occurred, ..."); ListParts lists algorithm, type and
//     part checksums. CompleteMultipartUpload checks the part checksums
//     (InvalidPart when one differs, InvalidRequest when one is missing,
//     InvalidPart when an upload without an algorithm is sent some),
//     x-amz-checksum-type (must match the upload's, "null" without one),
//     x-amz-mp-object-size and a full-object x-amz-checksum-<alg> (BadDigest
//     unless it matches and comes with x-amz-checksum-type FULL_OBJECT),
//     then stores and returns the FULL_OBJECT checksum, the parts' CRCs
//     combined, or the COMPOSITE one, the checksum of the part checksums
//     with "-<parts>"; an upload created without an algorithm gets a
//     FULL_OBJECT CRC64NVME. CopyObject copies the source's full-object
//     checksum, recomputes a COMPOSITE source's over the bytes with its
//     algorithm (the copy is one part), recomputes with
//     x-amz-checksum-algorithm (also in place, which is then no pointless
//     copy), and returns it in CopyObjectResult with ChecksumType
//     [CopyObjectRequest.ChecksumAlgorithm: "if the source object has a
//     checksum, that checksum value will be copied to the new object by
//     default"]; UploadPartCopy returns the part's checksum in
//     CopyPartResult when the upload has an algorithm [API_CopyPartResult:
//     "present if the multipart upload request was created with the ...
//     checksum algorithm"]. HeadObject and GetObject send
//     x-amz-checksum-<alg> and x-amz-checksum-type with x-amz-checksum-mode
//     ENABLED, not for ranges or parts. GetObjectAttributes (GET ?attributes,
//     x-amz-object-attributes ETag, Checksum, ObjectParts, StorageClass,
//     ObjectSize) answers the checksum without the "-<parts>" suffix, the
//     unquoted ETag, and for multipart objects the number of parts, listed
//     with their checksums (x-amz-max-parts, x-amz-part-number-marker) for
//     COMPOSITE ones; it needs s3:GetObject and s3:GetObjectAttributes
//     [API_GetObjectAttributes, Permissions: "If the bucket is not
//     versioned, you need the s3:GetObject and s3:GetObjectAttributes
//     permissions"]. Messages, values and element layouts were checked
//     against LocalStack's recordings of AWS (tests/aws/services/s3/
//     test_s3.snapshot.json, recorded 21-02-2026: TestS3MultipartUploadChecksum,
//     test_s3_copy_object_with_checksum, test_get_object_attributes*,
//     test_s3_checksum_no_automatic_sdk_calculation), the S3 API reference
//     and ../shared/AWS-FACTS.md section 6; the tests check every value
//     against shared/checksum over the bytes, with the SDK's default CRC32
//     request checksums and with when_required.
//   - A copy fault for tests (Server.CorruptCopies, off by default): copies
//     to the targets it selects store the source's bytes with the last one
//     flipped and report the checksum of what was stored, as S3 would, so
//     that a copier comparing checksums catches it.
//   - Bucket regions: CreateBucket records the LocationConstraint (persisted),
//     GetBucketLocation returns it, every response about a bucket carries
//     x-amz-bucket-region, and a request signed for another region gets S3's
//     301 PermanentRedirect, so clients can discover the region. The region is
//     read from the credential scope even when signatures are not checked.
//   - SigV4: with credentials configured, header and presigned-URL signatures
//     are verified (InvalidAccessKeyId, SignatureDoesNotMatch with S3's
//     debugging fields, AccessDenied for missing or expired auth), including
//     the chunk signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies.
//   - Accounts and authorization (Options.IAM, an iamlocal registry): every
//     request must be signed by a key the registry knows; a session key
//     (STS) must carry its token in X-Amz-Security-Token (header, or query of
//     a presigned URL): without it S3 answers 403 InvalidAccessKeyId, with
//     another 400 InvalidToken. Each request is mapped to its IAM action and
//     resource (ListObjects/HeadBucket s3:ListBucket, Get/HeadObject
//     s3:GetObject, PutObject and every multipart step s3:PutObject, ...;
//     DeleteObjects is s3:DeleteObject on bucket/*, not per key) and decided
//     by iamlocal.Allowed with the caller's identity policies, the bucket's
//     policy and the bucket's owner as resource account (also the
//     s3:ResourceAccount and aws:ResourceAccount condition keys): within
//     the owner's account either policy may allow, across accounts both
//     must, an explicit deny wins. CopyObject and UploadPartCopy also need
//     s3:GetObject on the source, under the source bucket's owner and
//     policy. A missing key is 403 instead of 404 to callers without
//     s3:ListBucket. Anonymous requests are refused. Without IAM nothing is
//     authorized: Options.Credentials only authenticate.
//   - Bucket owners: CreateBucket records the caller's account (without IAM,
//     Options.DefaultOwner, which also owns buckets with no recorded
//     owner). ListBuckets lists the caller's account's buckets only and
//     takes prefix, bucket-region, max-buckets and continuation-token.
//     x-amz-expected-bucket-owner (and x-amz-source-expected-bucket-owner
//     for the copy source) is checked in both modes: 400
//     InvalidBucketOwnerAWSAccountID when not an account id, 403 when
//     another account owns the bucket.
//   - Bucket policies: Put/Get/DeleteBucketPolicy (?policy). A policy must
//     parse (shared/policy), name principals, name only the bucket and its
//     objects as resources and s3 actions, and use only the condition
//     operators iamlocal evaluates (String*, Arn*, Bool, Null and their
//     IfExists forms; iamlocal.Check), else 400 MalformedPolicy. Only
//     identities of the owner's account with the permission may manage it
//     (403; 405 MethodNotAllowed for other accounts', as S3).
//   - Payloads: aws-chunked bodies (the SDK's STREAMING-UNSIGNED-PAYLOAD-TRAILER
//     over HTTPS, and signed streaming) are decoded before storage, which
//     gofakes3 only half does; x-amz-content-sha256 and x-amz-checksum-*
//     values (headers or trailers) are verified (see Checksums). Transport
//     headers (x-amz-date, x-amz-content-sha256, ...) are no longer stored as
//     object metadata and echoed back.
//   - Object tagging: Get/Put/DeleteObjectTagging on the tags given at upload
//     (HeadObject reports x-amz-tagging-count).
//   - Persistence: with Options.DataPath objects are files of s3local's own
//     backend rather than gofakes3's s3bolt (whose reads alias bbolt's memory
//     map after their transaction ends). Every write is a complete file
//     renamed into place, so a crash keeps either the old or the new object,
//     and a GET racing a PUT or DELETE of its key reads the version it found.
//   - Errors are S3's XML error documents with S3's status codes.
//
// Objects live in memory (gofakes3's s3mem) or, with Options.DataPath, under
// <DataPath>/objects/<bucket>/: a bucket.json, and per object a JSON record
// (key, size, MD5, last-modified, metadata) and a body file, both named by
// the SHA-256 of the key so that no key can name a path (diskformat.go). An
// in-memory index of the records, read at start, serves lookups and sorted,
// paginated listings. Bucket regions, owners and policies are kept in
// <DataPath>/s3local.json (in memory without a DataPath), rewritten whole
// and renamed into place on every change.
// Storage classes, tags, checksums (with their type and a multipart
// object's parts), restore state and multipart ETags are kept in the
// object's own stored metadata, so they persist, and vanish, with the
// object; a checksum the server computes is written with the body in one
// pass (diskBackend.putSealed). Listings page with gofakes3's prefix matching in both
// modes; the extra per-page work is one metadata lookup per returned key.
// Multipart uploads in progress, and their part checksums, are held in
// memory (by gofakes3 and Server.uploads) until they complete. The s3.db file of earlier versions is not read.
//
// Not provided: versioning, ACLs, Block Public Access,
// policy variables and the condition operators iamlocal does not evaluate,
// anonymous access through bucket policies, bucket tagging and the other
// configuration subresources (they answer 501 NotImplemented), SigV4a, the
// trailer signature of signed streaming uploads, RestoreStatus in listings,
// virtual-hosted-style addressing and encoding-type=url in ListObjects V1
// (V2 has it: listencoded.go), ChecksumAlgorithm and ChecksumType in
// listings, the part checksum of GetObject/HeadObject with partNumber,
// checksums of the object versions S3 keeps, and the 2026 algorithms
// (SHA512, MD5, XXHASH*: refused like S3 refused them in 2026). A 301
// PermanentRedirect names this server's own host as the Endpoint, since it
// serves every region.
package s3local
