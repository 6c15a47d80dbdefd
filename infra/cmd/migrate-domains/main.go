// Command migrate-domains gives every domain made before domains had owners
// its owner: the creator of its earliest dataset (metadata.MigrateDomains).
// Run it once right after deploying domain ownership (`make
// migrate-domains`): until then, the first create in such a domain makes
// its creator the owner. It is idempotent.
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
	n, err := metadata.New(dynamodb.NewFromConfig(cfg), *table).MigrateDomains(ctx)
	fmt.Printf("%d domains owned by the creator of their earliest dataset\n", n)
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
