// Command events is the events function, fed by the platform's inbound
// bus with the sources' S3 Object Created events: wiring only.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/datalake-platform/s3connections/shared/app"
)

func main() {
	lambda.Start(app.NewEvents(app.Init(app.EventsSettings)).Handle)
}
