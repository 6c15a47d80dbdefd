// Command planner is the ingestion planner function: wiring only.
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
	ctx := context.Background()
	cfg, err := platform.FromEnv(platform.EnvTable, platform.EnvKMSKey, platform.EnvTaskQueueURL, platform.EnvPlannerFunction)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(ingest.BuildPlanner(cfg, awsCfg, log).Handle)
}
