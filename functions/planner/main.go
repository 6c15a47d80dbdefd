// Command planner is the ingestion planner function (and the connection
// tester): wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/app"
)

func main() {
	lambda.Start(app.TracedPlanner(app.NewPlanner(app.Init(app.PlannerSettings))))
}
