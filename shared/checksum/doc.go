// Package checksum computes S3's object checksums: CRC32, CRC32C,
// CRC64NVME, SHA1 and SHA256 of data, Base64-encoded as S3 sends them in
// x-amz-checksum-* headers, and the two checksums of a multipart object.
//
//   - FULL_OBJECT (CRC32, CRC32C, CRC64NVME): the CRC of the whole object,
//     which S3 derives from the parts' CRCs without reading the object
//     again. Combine does the same (zlib's crc32_combine, for any reflected
//     CRC of up to 64 bits), so a copier can check an object it assembled
//     from parts against the source's own full-object checksum.
//   - COMPOSITE (CRC32, CRC32C, SHA1, SHA256): the checksum of the
//     concatenated binary checksums of the parts, with the suffix
//     "-<number of parts>" (Composite). It depends on the part sizes, so it
//     only ever equals a composite checksum made with the same parts.
//
// CRC64NVME is S3's default: objects uploaded without a checksum get it.
// The package is pure: no I/O, no AWS types.
package checksum
