package sqslocal_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
)

// Example runs the endpoint behind an httptest server and uses it with the
// real SDK client.
func Example() {
	srv := sqslocal.New(sqslocal.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close() // runs first: ends long polls so ts.Close need not wait

	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ingest")})
	if err != nil {
		panic(err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("s3://raw/a.csv")}); err != nil {
		panic(err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(*out.Messages[0].Body)
	// Output: s3://raw/a.csv
}
