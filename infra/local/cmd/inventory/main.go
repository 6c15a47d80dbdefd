// Command inventory delivers an S3 Inventory report of a local bucket, as
// S3 would (`make inventory BUCKET=… DEST=…`), with the credentials of the
// running platform's .local/endpoints.env: the source account's, the
// bucket owner's. It prints the dataset option that plans from it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/inventorygen"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("inventory", flag.ExitOnError)
	data := fs.String("data", ".local", "data folder of the running platform")
	bucket := fs.String("bucket", "", "the source bucket to take the inventory of")
	dest := fs.String("dest", "", "the destination bucket (created if missing; may be the source bucket)")
	prefix := fs.String("prefix", "inventory", "the destination prefix")
	config := fs.String("config", "daily", "the inventory configuration's ID")
	format := fs.String("format", "CSV", "the report's format: CSV or Parquet")
	_ = fs.Parse(args)
	if *bucket == "" || *dest == "" {
		return errors.New("-bucket and -dest are required: make inventory BUCKET=<source> DEST=<destination bucket>")
	}
	if *format != "CSV" && *format != "Parquet" {
		return fmt.Errorf("-format %q: CSV or Parquet", *format)
	}
	env, err := platformlocal.ReadEndpoints(*data)
	if err != nil {
		return err
	}
	c := platformlocal.OwnerFromEndpoints(env).S3
	ctx := context.Background()
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: dest}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: dest}); err != nil {
			return fmt.Errorf("create bucket %s: %w", *dest, err)
		}
	}
	loc := inventorygen.Location(*dest, *prefix, *bucket, *config)
	folder, n, err := inventorygen.GenerateFormat(ctx, c, *bucket, loc, time.Now().UTC(), *format)
	if err != nil {
		return err
	}
	option, _ := json.Marshal(map[string]any{"Inventory": loc})
	fmt.Printf("delivered a %s inventory of %d objects of %s to s3://%s/%s\ndataset option: %s\n", *format, n, *bucket, *dest, folder, option)
	return nil
}
