package ingest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/source"
)

// BuildPlanner wires the planner from the platform's configuration: the
// same wiring runs in the Lambda function and on the local platform.
func BuildPlanner(cfg platform.Config, awsCfg aws.Config) *Planner {
	enabled := map[string]bool{}
	for _, r := range cfg.EnabledOptInRegions {
		enabled[r] = true
	}
	return &Planner{
		Connections: metadata.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Source: &source.Access{
			Base:      awsCfg,
			Secrets:   kmssecret.New(kms.NewFromConfig(awsCfg), cfg.KMSKeyID),
			Regions:   connection.Regions{Home: awsCfg.Region, EnabledOptIns: enabled, EnableVariable: platform.EnvEnabledOptInRegions},
			S3Options: []func(*s3.Options){cfg.S3Options},
		},
	}
}
