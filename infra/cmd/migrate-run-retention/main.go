// Command migrate-run-retention gives the run records written before runs
// expired the expiry they would have had (metadata.MigrateRunRetention):
// their run's start plus the retention. Run it once after deploying run
// retention (`make migrate-run-retention`), with the stack's
// runRetentionDays; until then those records are kept for good. It is
// idempotent.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	table := flag.String("table", orEnv(platform.EnvTable, platform.NamesFor("", "").Table), "the metadata table")
	days := flag.Int("days", defaultDays(), "the retention in days: the stack's runRetentionDays ("+platform.EnvRunRetentionDays+")")
	dryRun := flag.Bool("dry-run", false, "count the records without an expiry, write nothing")
	flag.Parse()
	if *days < 1 {
		fmt.Fprintln(os.Stderr, "migrate-run-retention: -days must be at least 1")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-run-retention:", err)
		os.Exit(1)
	}
	n, err := metadata.New(dynamodb.NewFromConfig(cfg), *table).WithRunRetention(*days).MigrateRunRetention(ctx, *dryRun)
	verb := "given an expiry"
	if *dryRun {
		verb = "without an expiry (dry run: nothing written)"
	}
	fmt.Printf("%d run items %s, retention %d days\n", n, verb, *days)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-run-retention:", err)
		os.Exit(1)
	}
}

func defaultDays() int {
	if n, err := strconv.Atoi(os.Getenv(platform.EnvRunRetentionDays)); err == nil && n > 0 {
		return n
	}
	return metadata.DefaultRunRetentionDays
}

func orEnv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
