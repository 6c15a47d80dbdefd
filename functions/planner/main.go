// Command planner is the ingestion planner function (and the connection
// tester): wiring only.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/app"
)

func main() {
	app.TuneRuntime(os.Getenv)
	lambda.Start(app.TracedPlanner(app.NewPlanner(app.Init(app.PlannerSettings))))
}
