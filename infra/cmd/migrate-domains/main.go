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

	"github.com/datalake-platform/s3connections/infra/cmd/internal/operator"
)

func main() {
	table := operator.TableFlag()
	flag.Parse()
	ctx := context.Background()
	store, _, err := operator.Store(ctx, *table)
	operator.Exit("migrate-domains", err)
	n, err := store.MigrateDomains(ctx)
	fmt.Printf("%d domains owned by the creator of their earliest dataset\n", n)
	operator.Exit("migrate-domains", err)
	r, err := store.RetireDeletedNames(ctx)
	fmt.Printf("%d names of deleted datasets retired, %d claimed already\n", r.Retired, r.Claimed)
	for _, prefix := range r.Reused {
		fmt.Printf("reused: %s/ holds files of a deleted dataset and of the dataset that took its name since\n", prefix)
	}
	operator.Exit("migrate-domains", err)
}
