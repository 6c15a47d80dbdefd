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

	"github.com/datalake-platform/s3connections/infra/cmd/internal/operator"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	table := operator.TableFlag()
	days := flag.Int("days", defaultDays(), "the retention in days: the stack's runRetentionDays ("+platform.EnvRunRetentionDays+")")
	dryRun := flag.Bool("dry-run", false, "count the records without an expiry, write nothing")
	flag.Parse()
	if *days < 1 {
		fmt.Fprintln(os.Stderr, "migrate-run-retention: -days must be at least 1")
		os.Exit(2)
	}
	ctx := context.Background()
	store, _, err := operator.Store(ctx, *table)
	operator.Exit("migrate-run-retention", err)
	n, err := store.WithRunRetention(*days).MigrateRunRetention(ctx, *dryRun)
	verb := "given an expiry"
	if *dryRun {
		verb = "without an expiry (dry run: nothing written)"
	}
	fmt.Printf("%d run items %s, retention %d days\n", n, verb, *days)
	operator.Exit("migrate-run-retention", err)
}

func defaultDays() int {
	if n, err := strconv.Atoi(os.Getenv(platform.EnvRunRetentionDays)); err == nil && n > 0 {
		return n
	}
	return metadata.DefaultRunRetentionDays
}
