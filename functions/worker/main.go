// Command worker is the ingestion worker function, fed by the task queue:
// wiring only.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/app"
)

func main() {
	app.TuneRuntime(os.Getenv)
	lambda.Start(app.TracedWorker(app.NewWorker(app.Init(app.WorkerSettings))))
}
