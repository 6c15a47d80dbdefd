package dataset

import (
	"context"
	"slices"
	"strings"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/inventory"
)

// The Inventory option: a dataset planned from its source's S3 Inventory
// reports instead of a listing. The inventory bucket is user input, like
// the source bucket: a valid bucket name, never one of the platform's own
// buckets (here, and by ownership at every run's start), and read only with
// the connection's access.

// normalizeInventory checks and normalizes an Inventory option (nil: none).
// Its Prefix is the inventory configuration's folder,
// <destination prefix>/<source bucket>/<configuration ID>/, so its
// next-to-last segment must be the connection's bucket.
func normalizeInventory(loc *inventory.Location, c connection.Connection) error {
	if loc == nil {
		return nil
	}
	if err := connection.ValidateBucketName("Inventory.Bucket", loc.Bucket); err != nil {
		return err
	}
	p, err := normalizePrefix("Inventory.Prefix", loc.Prefix)
	if err != nil {
		return err
	}
	segments := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if len(segments) < 2 || segments[len(segments)-2] != c.S3Bucket {
		return apperr.Invalid("Inventory.Prefix", "must be the inventory configuration's folder, <destination prefix>/%s/<configuration ID>/, where S3 writes the dated report folders", c.S3Bucket)
	}
	loc.Prefix = p
	return nil
}

// refusePlatformInventory stops an inventory in one of the platform's own
// buckets: their contents belong to every user's datasets.
func (s *Service) refusePlatformInventory(loc *inventory.Location) error {
	if loc != nil && slices.Contains(s.PlatformBuckets, loc.Bucket) {
		return apperr.Invalid("Inventory.Bucket", "%s is one of the platform's own buckets: it cannot hold a source's inventory", loc.Bucket)
	}
	return nil
}

// applyInventory applies an update's Inventory to d, checked against its
// connection.
func (s *Service) applyInventory(ctx context.Context, d *Dataset, in *inventory.Location) error {
	conn, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return err
	}
	return s.updateInventory(d, in, conn)
}

// updateInventory applies an update's Inventory to d: a Bucket sets it
// (checked as at create), an empty object removes it.
func (s *Service) updateInventory(d *Dataset, in *inventory.Location, c connection.Connection) error {
	if *in == (inventory.Location{}) {
		d.Inventory = nil
		return nil
	}
	loc := *in
	if err := normalizeInventory(&loc, c); err != nil {
		return err
	}
	if err := s.refusePlatformInventory(&loc); err != nil {
		return err
	}
	d.Inventory = &loc
	return nil
}
