// Command worker is the ingestion worker function, fed by the task queue:
// wiring only.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	cfg, err := platform.FromEnv(platform.EnvTable, platform.EnvKMSKey, platform.EnvLZBucket, platform.EnvDLZBucket)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(ingest.BuildWorker(cfg, awsCfg, log).Handle)
}
