package lambdalocal_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
)

// The local entry point registers each function's handler and points the
// SDK clients the functions use at the runtime; the calling code is the
// same as on AWS. (A real main would use http.ListenAndServe and call
// Close after Ctrl-C; httptest keeps the example self-contained.)
func Example() {
	type probe struct{ Bucket string }
	planner := lambdalocal.NewHandler(func(ctx context.Context, p probe) (string, error) {
		return "reachable: " + p.Bucket, nil
	})
	rt := lambdalocal.New(lambdalocal.Options{Logger: slog.New(slog.DiscardHandler)},
		lambdalocal.Function{Name: "planner", Handler: planner, Timeout: 15 * time.Minute})
	srv := httptest.NewServer(rt)
	defer func() {
		srv.Close()
		_ = rt.Close()
	}()

	client := lambdasdk.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	out, err := client.Invoke(context.Background(), &lambdasdk.InvokeInput{
		FunctionName:   aws.String("planner"),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        []byte(`{"Bucket":"raw-zone"}`),
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(out.StatusCode, string(out.Payload))
	// Output: 200 "reachable: raw-zone"
}
