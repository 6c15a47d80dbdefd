package platform

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MaxAttempts is how often the functions' SDK clients try a call that
// fails with a retryable error (5xx, throttling, a reset connection): more
// than the SDK's 3, because retrying within the invocation is far cheaper
// than the backstops (SQS redelivery after the visibility timeout, Lambda's
// asynchronous retries a minute apart); the invocation's deadline bounds it.
const MaxAttempts = 8

// IdleConnsPerHost is how many idle connections a client keeps per
// endpoint. The SDK's default of 10 is below the worker's parallel copies
// (DefaultWorkerParallel), so every burst of copies closed connections and dialed new
// ones: connection set-up was a tenth of the local platform's CPU.
const IdleConnsPerHost = 64

// LoadAWS loads the SDK configuration from the environment: region,
// credentials and, through AWS_ENDPOINT_URL_<SERVICE>, endpoints, which is
// how the local platform points the same code at its emulators.
func LoadAWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.MaxBackoff = MaxAttempts, 5*time.Second
		})
	}), config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 4*IdleConnsPerHost, IdleConnsPerHost
	})))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
