// Command planner is the ingestion planner function (and the connection
// tester): wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	cfg, awsCfg, log := platform.Init(platform.EnvTable, platform.EnvKMSKey, platform.EnvTaskQueueURL, platform.EnvPlannerFunction)
	lambda.Start(ingest.BuildPlanner(cfg, awsCfg, log).Handle)
}
