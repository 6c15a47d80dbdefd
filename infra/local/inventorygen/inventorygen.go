// Package inventorygen plays S3 Inventory for local buckets: it scans a
// bucket and delivers a real inventory report of its current objects (gzip
// CSV or Parquet data files, manifest.json, manifest.checksum) to a
// destination bucket, laid out as S3 lays them out, for datasets with an
// Inventory.
package inventorygen

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/source"
)

// Location is where S3 delivers the reports of configuration configID of
// source with destination prefix destPrefix in bucket dest:
// <destPrefix>/<source>/<configID>/.
func Location(dest, destPrefix, source, configID string) inventory.Location {
	p := source + "/" + configID + "/"
	if destPrefix = strings.Trim(destPrefix, "/"); destPrefix != "" {
		p = destPrefix + "/" + p
	}
	return inventory.Location{Bucket: dest, Prefix: p}
}

// Generate scans source (every current object, with c) and delivers its
// CSV report to loc, stamped with at (the start of the scan). It returns
// the report's dated folder and how many objects it lists.
func Generate(ctx context.Context, c *s3.Client, sourceBucket string, loc inventory.Location, at time.Time) (string, int, error) {
	return GenerateFormat(ctx, c, sourceBucket, loc, at, "CSV")
}

// GenerateFormat is Generate with the report's format: "CSV" or "Parquet".
func GenerateFormat(ctx context.Context, c *s3.Client, sourceBucket string, loc inventory.Location, at time.Time, format string) (string, int, error) {
	n := 0
	objects := func(yield func(inventory.Object, error) bool) {
		for o, err := range scan(ctx, c, sourceBucket) {
			if err == nil {
				n++
			}
			if !yield(o, err) || err != nil {
				return
			}
		}
	}
	w := inventory.Writer{Client: c, Location: loc, SourceBucket: sourceBucket, Format: format}
	folder, err := w.Write(ctx, at, objects)
	return folder, n, err
}

// scan lists every object of bucket, a page at a time.
func scan(ctx context.Context, c *s3.Client, bucket string) iter.Seq2[inventory.Object, error] {
	return func(yield func(inventory.Object, error) bool) {
		var token *string
		for {
			out, err := source.List(ctx, c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: token})
			if err != nil {
				yield(inventory.Object{}, fmt.Errorf("scan bucket %s: %w", bucket, err))
				return
			}
			for _, o := range out.Contents {
				if !yield(inventory.Object{
					Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified),
					ETag: strings.Trim(aws.ToString(o.ETag), `"`), StorageClass: string(o.StorageClass),
				}, nil) {
					return
				}
			}
			if out.NextContinuationToken == nil {
				return
			}
			token = out.NextContinuationToken
		}
	}
}
