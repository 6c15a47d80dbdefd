package ingest

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/source"
)

// listing is where a run's planning reads the source's objects, a page at
// a time from a saved position: a listing of the source (ListObjectsV2),
// or, for a dataset with an Inventory, the rows of the source's newest
// complete inventory report.
type listing interface {
	// page returns the objects after pos ("" at the run's start), the
	// position after them and whether they were the last.
	page(ctx context.Context, pos string) (listedPage, error)
	// restart is the position a run's second pass starts from.
	restart() string
	// sorted says whether pages come in key order, and each page's
	// catalog entries can be read as one range.
	sorted() bool
	// explain says what failed, and why, in the user's words.
	explain(err error) (what, reason string)
}

type listedPage struct {
	objects []s3types.Object
	next    string
	ended   bool
}

// listingFor is the listing of pl's run: its dataset's inventory, if it
// has one, else its source.
func (p *Planner) listingFor(pl *planning, src source.Source) listing {
	if inv := pl.d.Inventory; inv != nil {
		return &inventoryListing{
			reader: src.InventoryReader(), loc: *inv, d: pl.d, c: pl.c,
			checkNotPlatform: func(ctx context.Context) error {
				return p.Sources.CheckInventoryNotPlatform(ctx, pl.c, inv.Bucket)
			},
		}
	}
	return bucketListing{client: src.Client, bucket: pl.c.S3Bucket, prefix: pl.d.DirectoryPath, explainAs: pl.c}
}

// listingFailed fails the run for an error of its listing, or hands a
// transient one to Lambda's retries.
func (p *Planner) listingFailed(ctx context.Context, pl *planning, err error) error {
	what, reason := pl.listing.explain(err)
	var bad *inventory.BadError
	if !errors.As(err, &bad) && transient(ctx, err) {
		return p.retryLater(ctx, pl.r, what, errors.New(reason))
	}
	return p.fail(ctx, pl.r, what, errors.New(reason))
}

// catalogOf reads the catalog entries of tasks' names: one range of a
// sorted page; by name for an inventory's page, whose rows are spread over
// the whole catalog.
func (p *Planner) catalogOf(ctx context.Context, pl *planning, tasks []Task) (map[string]dataset.File, error) {
	if pl.listing == nil || pl.listing.sorted() {
		return p.Store.CatalogRange(ctx, pl.d.DatasetId, tasks[0].Name, tasks[len(tasks)-1].Name)
	}
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.Name
	}
	return p.Store.CatalogNames(ctx, pl.d.DatasetId, names)
}

// bucketListing lists the dataset's DirectoryPath in the source bucket.
type bucketListing struct {
	client         *s3.Client
	bucket, prefix string
	explainAs      connection.Connection
}

func (b bucketListing) page(ctx context.Context, pos string) (listedPage, error) {
	out, err := source.List(ctx, b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(b.bucket), Prefix: aws.String(b.prefix),
		ContinuationToken: nonEmpty(pos), MaxKeys: aws.Int32(PageSize),
	})
	if err != nil {
		return listedPage{}, err
	}
	return listedPage{objects: out.Contents, next: aws.ToString(out.NextContinuationToken), ended: out.NextContinuationToken == nil}, nil
}

func (bucketListing) restart() string { return "" }
func (bucketListing) sorted() bool    { return true }
func (b bucketListing) explain(err error) (string, string) {
	return "listing", source.Explain(err, b.explainAs)
}
