package source

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// A dataset's S3 Inventory reports are read as its source is: with the
// connection's access only (the same session or keys), in the source's
// region (S3 delivers an inventory only to a bucket in its source's
// region), naming the connection's S3BucketOwner, when set, as the expected
// owner of the inventory bucket too; and never from a bucket of the
// platform's own account.

// InventoryReader is the client that reads c's inventory reports: the
// source's own client.
func (s Source) InventoryReader() *s3.Client { return s.Client }

// CheckInventoryNotPlatform refuses an inventory bucket that the platform's
// own account owns (see Access.CheckNotPlatform).
func (cs *Clients) CheckInventoryNotPlatform(ctx context.Context, c connection.Connection, bucket string) error {
	return cs.Access.CheckNotPlatform(ctx, InventoryOf(c, bucket))
}

// InventoryOf is c as seen from its inventory bucket: the connection with
// the inventory bucket in place of its source bucket, for the checks and
// explanations that name a bucket.
func InventoryOf(c connection.Connection, bucket string) connection.Connection {
	c.S3Bucket = bucket
	return c
}
