// Command api is the REST API function behind the HTTP API: wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	cfg, awsCfg, log := platform.Init(platform.EnvTable, platform.EnvKMSKey, platform.EnvPlannerFunction, platform.EnvIngestionRoleARNs)
	lambda.Start(httpapi.Build(cfg, awsCfg, log).Handle)
}
