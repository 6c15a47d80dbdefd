// Command migrate-users moves the records written when the platform took
// the token's sub as the user id onto user names (the token's
// cognito:username, what people share with), and binds each name to its
// sub (metadata.MigrateUsers). Its input is the user pool's users as
//
//	aws cognito-idp list-users --user-pool-id <UserPoolId> --output json > users.json
//
// prints them (the CLI reads every page): `make migrate-users
// USERS=users.json`. Run it once right after deploying user names; it is
// idempotent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/datalake-platform/s3connections/infra/cmd/internal/operator"
	"github.com/datalake-platform/s3connections/shared/access"
)

func main() {
	table := operator.TableFlag()
	users := flag.String("users", "", "the output of aws cognito-idp list-users (- for standard input)")
	flag.Parse()
	operator.Exit("migrate-users", run(context.Background(), *table, *users))
}

func run(ctx context.Context, table, users string) error {
	if users == "" {
		return errors.New("-users is required: the output of aws cognito-idp list-users --user-pool-id <UserPoolId> --output json")
	}
	in := os.Stdin
	if users != "-" {
		f, err := os.Open(users)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	names, err := subsToNames(in)
	if err != nil {
		return err
	}
	store, _, err := operator.Store(ctx, table)
	if err != nil {
		return err
	}
	m, err := store.MigrateUsers(ctx, names)
	fmt.Printf("%d records and %d access entries moved onto user names; %d names bound to their sub, %d already bound to another\n",
		m.Items, m.Entries, m.Bound, m.Taken)
	return err
}

// subsToNames reads ListUsers' output into a map of each user's sub to
// their name. A name that is no user id (access.UserRule) stops it: its
// user's tokens are refused (401), and the operator must rename the user
// (recreate it) before the migration can give it their records.
func subsToNames(r io.Reader) (map[string]string, error) {
	var out struct {
		Users []struct {
			Username   string
			Attributes []struct{ Name, Value string }
		}
	}
	if err := json.NewDecoder(r).Decode(&out); err != nil {
		return nil, fmt.Errorf("read the users: %w", err)
	}
	names := make(map[string]string, len(out.Users))
	for _, u := range out.Users {
		if !access.ValidUser(u.Username) {
			return nil, fmt.Errorf("user %q: its name is not a user id (%s)", u.Username, access.UserRule)
		}
		for _, a := range u.Attributes {
			if a.Name == "sub" && a.Value != "" {
				names[a.Value] = u.Username
			}
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no user with a sub attribute in the input")
	}
	return names, nil
}
