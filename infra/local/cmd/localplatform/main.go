// Command localplatform runs the S3 Connections platform on this machine
// (`make run`) and prints tokens its API accepts (`make token`).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

const usage = `usage:
  localplatform run   [-data .local] [-addr 127.0.0.1:8080] [-emulator-ports 4566] [-worker-concurrency 90] run the platform until Ctrl-C
  localplatform token [-data .local] -user NAME               print a JWT for NAME`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "token":
		err = token(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localplatform:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	data := fs.String("data", ".local", "data folder (make clean wipes it)")
	addr := fs.String("addr", "127.0.0.1:8080", "API address")
	workers := fs.Int("worker-concurrency", 90, "maximum concurrent worker invocations (the data-load throttling setting)")
	firstPort := fs.Int("emulator-ports", 4566, "first of six fixed ports for S3, DynamoDB, KMS, SQS, Lambda and Scheduler (0: any free ports)")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(*data, 0o755); err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(*data, "emulators.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintln(os.Stderr, "starting the S3 Connections local platform…")
	started := time.Now()
	p, err := platformlocal.Start(ctx, platformlocal.Options{
		DataDir: *data, APIAddr: *addr, FirstPort: *firstPort, WorkerConcurrency: *workers, Seed: true,
		Log:         slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		EmulatorLog: logFile,
	})
	if err != nil {
		return err
	}
	defer p.Close()
	printSummary(p, *data, time.Since(started))
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "\nstopping…")
	return nil
}

func printSummary(p *platformlocal.Platform, data string, took time.Duration) {
	w := tabwriter.NewWriter(os.Stderr, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nS3 Connections is running locally (started in %s). Ctrl-C stops it.\n\n", took.Round(time.Millisecond))
	fmt.Fprintf(w, "  REST API (JWT auth)\t%s\n", p.APIURL)
	fmt.Fprintf(w, "  S3 (local, gofakes3)\t%s\n", p.Endpoints["S3"])
	fmt.Fprintf(w, "  DynamoDB Local\t%s\n", p.Endpoints["DYNAMODB"])
	fmt.Fprintf(w, "  KMS (local-kms)\t%s\n", p.Endpoints["KMS"])
	fmt.Fprintf(w, "  SQS (local)\t%s\n", p.Endpoints["SQS"])
	fmt.Fprintf(w, "  Lambda (local runtime)\t%s  functions: %v\n", p.Endpoints["LAMBDA"], p.Runtime.Functions())
	fmt.Fprintf(w, "  EventBridge Scheduler (local)\t%s  group %s\n", p.Endpoints["SCHEDULER"], p.Config.ScheduleGroup)
	fmt.Fprintf(w, "  task queue → worker\tmaximum concurrency %d (SQS event source)\n", p.WorkerConcurrency)
	fmt.Fprintf(w, "\n  metadata table\t%s\n", p.Config.Table)
	fmt.Fprintf(w, "  KMS key\t%s (%s)\n", p.Names.KeyAlias, p.Config.KMSKeyID)
	fmt.Fprintf(w, "  LZ / DLZ buckets\t%s / %s\n", p.Config.LZBucket, p.Config.DLZBucket)
	fmt.Fprintf(w, "  task queue\t%s\n", p.Config.TaskQueueURL)
	fmt.Fprintf(w, "  ingestion role\t%s\n", p.Config.IngestionRoleARNs[0])
	fmt.Fprintf(w, "\n  demo buckets\t%s (bucket policy), %s (access keys %s / %s),\n", platformlocal.DemoBucket, platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey)
	fmt.Fprintf(w, "\t%s (eu-west-1), %s (eu-south-1, opt-in, not enabled)\n", platformlocal.DemoEUBucket, platformlocal.DemoOptInBucket)
	fmt.Fprintf(w, "\n  a token\tmake token USER=alice\n")
	fmt.Fprintf(w, "  endpoints for AWS tools\t%s\n", filepath.Join(data, "endpoints.env"))
	fmt.Fprintf(w, "  emulator output\t%s\n\n", filepath.Join(data, "emulators.log"))
	w.Flush()
}

func token(args []string) error {
	fs := flag.NewFlagSet("token", flag.ExitOnError)
	data := fs.String("data", ".local", "data folder that holds the signing key")
	user := fs.String("user", "", "user id (the token's sub)")
	_ = fs.Parse(args)
	if *user == "" {
		return fmt.Errorf("-user is required: make token USER=alice")
	}
	key, err := localauth.LoadOrCreateKey(filepath.Join(*data, "jwt-key.pem"))
	if err != nil {
		return err
	}
	t, err := (&localauth.Issuer{Key: key, Issuer: localauth.DefaultIssuer, Audience: localauth.DefaultAudience}).Token(*user, platformlocal.TokenTTL)
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}
