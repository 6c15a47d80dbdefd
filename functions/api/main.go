// Command api is the REST API function behind the HTTP API: wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/app"
)

func main() {
	lambda.Start(app.TracedAPI(app.NewAPI(app.Init(app.APISettings))))
}
