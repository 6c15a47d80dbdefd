package httpapi

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/plannercall"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Build wires the API from the platform's configuration: the same wiring
// runs in the Lambda function and on the local platform.
func Build(cfg platform.Config, awsCfg aws.Config, log *slog.Logger) *API {
	return New(&connection.Service{
		Store:             metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Sealer:            kmssecret.New(kms.NewFromConfig(awsCfg), cfg.KMSKeyID),
		Tester:            plannercall.New(lambda.NewFromConfig(awsCfg), cfg.PlannerFunction),
		IngestionRoleARNs: cfg.IngestionRoleARNs,
	}, log)
}
