// Command migrate-domains gives every domain made before domains had owners
// its owner: the creator of its earliest dataset (metadata.MigrateDomains),
// and keeps the names of datasets deleted before deletes kept names, whose
// files are still in the lake, from ever being created again
// (metadata.RetireDeletedNames). Run it once right after deploying domain
// ownership (`make migrate-domains`): until then, the first create in such
// a domain makes its creator the owner. It is idempotent.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	table := flag.String("table", orEnv(platform.EnvTable, platform.NamesFor("", "").Table), "the metadata table")
	flag.Parse()
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-domains:", err)
		os.Exit(1)
	}
	store := metadata.New(dynamodb.NewFromConfig(cfg), *table)
	n, err := store.MigrateDomains(ctx)
	fmt.Printf("%d domains owned by the creator of their earliest dataset\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-domains:", err)
		os.Exit(1)
	}
	r, err := store.RetireDeletedNames(ctx)
	fmt.Printf("%d names of deleted datasets retired, %d claimed already\n", r.Retired, r.Claimed)
	for _, prefix := range r.Reused {
		fmt.Printf("reused: %s/ holds files of a deleted dataset and of the dataset that took its name since\n", prefix)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-domains:", err)
		os.Exit(1)
	}
}

func orEnv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
