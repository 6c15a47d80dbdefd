// Package operator holds what the operators' commands (infra/cmd/...)
// share: the metadata table they act on, the AWS configuration they act
// with, and how they stop on an error.
package operator

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// OrEnv is the environment variable name, or fallback when it is unset.
func OrEnv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// TableFlag defines -table: the metadata table, by default the functions'
// setting or the platform's own name.
func TableFlag() *string {
	return flag.String("table", OrEnv(platform.EnvTable, platform.NamesFor("", "").Table), "the metadata table")
}

// Store returns the metadata table's store and the configuration it uses:
// the environment's credentials and region (platform.LoadAWS).
func Store(ctx context.Context, table string) (*metadata.Store, aws.Config, error) {
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return nil, cfg, err
	}
	return metadata.New(dynamodb.NewFromConfig(cfg), table), cfg, nil
}

// Exit stops command on err (status 1), saying why; it does nothing on nil.
func Exit(command string, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, command+":", err)
		os.Exit(1)
	}
}
