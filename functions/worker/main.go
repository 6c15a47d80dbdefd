// Command worker is the ingestion worker function, fed by the task queue:
// wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	cfg, awsCfg, log := platform.Init(platform.EnvTable, platform.EnvKMSKey, platform.EnvLZBucket, platform.EnvDLZBucket, platform.EnvTaskQueueURL)
	lambda.Start(ingest.BuildWorker(cfg, awsCfg, log).Handle)
}
