package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/tracing"
)

// Init is a function's cold start: the JSON logger of the Lambda runtime
// (slog's default too), the platform's configuration as settings s read it
// from the environment, tracing when it is configured (an OTLP endpoint),
// and the SDK's configuration, instrumented then. A function that cannot
// start logs why and exits, and Lambda reports the failed init.
func Init(s platform.Settings) (platform.Config, aws.Config, *slog.Logger) {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	cfg, err := s.Read(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	// Spans are flushed at the end of each invocation: no shutdown needed.
	if _, err := tracing.Setup(context.Background(), cfg.OTLPEndpoint, lambdacontext.FunctionName); err != nil {
		log.Error("tracing", "error", err)
		os.Exit(1)
	}
	tracing.Instrument(&awsCfg)
	return cfg, awsCfg, log
}
