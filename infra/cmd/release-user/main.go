// Command release-user frees a user name from the user pool sub it was
// first seen with (package access), so that the next user of the pool
// with that name may use it: for an operator who gives the name to a new
// account of the same person on purpose (`make release-user NAME=bob`).
// The name keeps everything shared with it; give it to someone else only
// after removing it from every resource.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/datalake-platform/s3connections/infra/cmd/internal/operator"
	"github.com/datalake-platform/s3connections/shared/access"
)

func main() {
	table := operator.TableFlag()
	name := flag.String("name", "", "the user name to release")
	flag.Parse()
	if !access.ValidUser(*name) {
		fmt.Fprintf(os.Stderr, "release-user: -name must be a user id (%s)\n", access.UserRule)
		os.Exit(2)
	}
	ctx := context.Background()
	store, _, err := operator.Store(ctx, *table)
	operator.Exit("release-user", err)
	released, err := store.ReleaseUser(ctx, *name)
	operator.Exit("release-user", err)
	switch {
	case released:
		fmt.Printf("%s released: the next user of the pool named %s is bound to it at their first request\n", *name, *name)
	default:
		fmt.Printf("%s was not bound to anyone\n", *name)
	}
}
