// Command bootstrap runs probe.Handle as a Lambda function, for the rie
// tests.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/datalake-platform/s3connections/infra/rie/internal/probe"
)

func main() { lambda.Start(probe.Handle) }
