// Command localplatform runs the S3 Connections platform on this machine
// (`make run`), prints tokens its API accepts (`make token`), and attaches
// a connection's bucket policy as the source bucket's owner would
// (`make attach-policy`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

const usage = `usage:
  localplatform run   [-data .local] [-addr 127.0.0.1:8080] [-emulator-ports 4566] [-worker-concurrency 90] run the platform until Ctrl-C
  localplatform token [-data .local] -user NAME               print a JWT for NAME
  localplatform attach-policy [-data .local] -user NAME -connection ID
                                                              attach connection ID's policies (bucket policy, or role) as the bucket's owner
  localplatform source-events [-data .local] -bucket NAME     forward bucket NAME's Object Created events to the platform, as its owner`

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
	case "attach-policy":
		err = attachPolicy(os.Args[2:])
	case "source-events":
		err = sourceEvents(os.Args[2:])
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
	firstPort := fs.Int("emulator-ports", 4566, "first of nine fixed ports for S3, DynamoDB, KMS, SQS, Lambda, Scheduler, STS, IAM and EventBridge (0: any free ports)")
	corrupt := fs.String("corrupt-copies", "", "a fault to see checksums at work: the local S3 corrupts every copy into a zone key under this prefix (<Domain>/<DatasetName>/)")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(*data, "emulators.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
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
		// Event-driven datasets' rolling runs close soon after their last
		// event: the same code as on AWS, with short settings.
		RollingQuiet: 30 * time.Second,
	})
	if err != nil {
		return explainListen(err)
	}
	defer p.Close()
	if *corrupt != "" {
		p.S3.CorruptCopies(func(_, key string) bool { return strings.HasPrefix(key, *corrupt) })
		fmt.Fprintf(os.Stderr, "fault: the local S3 corrupts every copy to a zone key under %q\n", *corrupt)
	}
	printSummary(p, *data, time.Since(started))
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "\nstopping…")
	return nil
}

// explainListen names the flag that moves an address the platform could
// not listen on.
func explainListen(err error) error {
	var le *platformlocal.ListenError
	if !errors.As(err, &le) {
		return err
	}
	if le.Emulator {
		return fmt.Errorf("%w: move the emulators with -emulator-ports (the first of nine ports; 0 picks free ones), e.g. make run RUN_ARGS=\"-emulator-ports 14566\"", err)
	}
	return fmt.Errorf("%w: move the API with -addr, e.g. make run RUN_ARGS=\"-addr 127.0.0.1:18080\"", err)
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
	fmt.Fprintf(w, "  STS, IAM (local)\t%s, %s\n", p.Endpoints["STS"], p.Endpoints["IAM"])
	fmt.Fprintf(w, "  EventBridge (local)\t%s  run events on bus %s, recorded in %s\n", p.Endpoints["EVENTBRIDGE"], p.Config.EventBus,
		filepath.Join(data, platformlocal.EventsFile))
	fmt.Fprintf(w, "  task queue → worker\tmaximum concurrency %d (SQS event source)\n", p.WorkerConcurrency)
	fmt.Fprintf(w, "\n  metadata table\t%s\n", p.Config.Table)
	fmt.Fprintf(w, "  KMS key\t%s (%s)\n", p.Names.KeyAlias, p.Config.KMSKeyID)
	fmt.Fprintf(w, "  secrets key\t%s (%s)\n", p.Names.SecretsKeyAlias, p.Config.SecretsKeyID)
	fmt.Fprintf(w, "  LZ / DLZ buckets\t%s / %s\n", p.Config.LZBucket, p.Config.DLZBucket)
	fmt.Fprintf(w, "  task queue\t%s\n", p.Config.TaskQueueURL)
	fmt.Fprintf(w, "  source reader role\t%s (one session per connection)\n", p.Config.SourceReaderRoleARN)
	fmt.Fprintf(w, "  accounts\tplatform %s, source owner %s (endpoints.env)\n", platformlocal.Account, platformlocal.SourceAccount)
	fmt.Fprintf(w, "\n  demo buckets\t%s (%s's connections %s, by bucket policy, and %s, by role %s),\n",
		platformlocal.DemoBucket, platformlocal.DemoUser, platformlocal.DemoConnection, platformlocal.DemoRoleConnection, platformlocal.DemoRole)
	fmt.Fprintf(w, "\t%s (access keys %s / %s),\n", platformlocal.DemoKeysBucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey)
	fmt.Fprintf(w, "\t%s (eu-west-1), %s (eu-south-1, opt-in, not enabled)\n", platformlocal.DemoEUBucket, platformlocal.DemoOptInBucket)
	fmt.Fprintf(w, "  attach a connection's policy\tmake attach-policy USER=alice CONNECTION=<id>\n")
	fmt.Fprintf(w, "  forward a bucket's S3 events\tmake source-events BUCKET=<bucket> (the demo buckets do)\n")
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
	t, err := tokenFor(*data, *user)
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}

func tokenFor(data, user string) (string, error) {
	key, err := localauth.LoadOrCreateKey(filepath.Join(data, "jwt-key.pem"))
	if err != nil {
		return "", err
	}
	issuer := localauth.DefaultIssuer
	if env, err := platformlocal.ReadEndpoints(data); err == nil && env["S3CONNECTIONS_ISSUER"] != "" {
		issuer = env["S3CONNECTIONS_ISSUER"] // the running platform's, whatever its -addr
	}
	return (&localauth.Issuer{Key: key, Issuer: issuer, Audience: localauth.DefaultAudience}).Token(user, platformlocal.TokenTTL)
}

// attachPolicy plays the source bucket's owner: with endpoints.env's
// credentials (the source account's), it merges the connection's bucket
// policy, read from the API as user, into the bucket's policy.
func attachPolicy(args []string) error {
	fs := flag.NewFlagSet("attach-policy", flag.ExitOnError)
	data := fs.String("data", ".local", "data folder of the running platform")
	user := fs.String("user", "", "a user who may see the connection")
	id := fs.String("connection", "", "the connection's id")
	_ = fs.Parse(args)
	if *user == "" || *id == "" {
		return fmt.Errorf("-user and -connection are required: make attach-policy USER=alice CONNECTION=<id>")
	}
	env, err := platformlocal.ReadEndpoints(*data)
	if err != nil {
		return err
	}
	t, err := tokenFor(*data, *user)
	if err != nil {
		return err
	}
	target, err := platformlocal.AttachConnectionPolicy(context.Background(), env["S3CONNECTIONS_API_URL"], t, *id, platformlocal.OwnerFromEndpoints(env))
	if err != nil {
		return err
	}
	fmt.Printf("attached connection %s's policies to %s, as account %s\n", *id, target, env["AWS_ACCOUNT_ID"])
	return nil
}

// sourceEvents plays the source bucket's owner: with endpoints.env's
// credentials (the source account's), it sends the bucket's events to the
// owner's default bus and forwards its Object Created events to the
// platform's inbound bus (platformlocal.SourceEvents).
func sourceEvents(args []string) error {
	fs := flag.NewFlagSet("source-events", flag.ExitOnError)
	data := fs.String("data", ".local", "data folder of the running platform")
	bucket := fs.String("bucket", "", "a bucket of the source account")
	_ = fs.Parse(args)
	if *bucket == "" {
		return fmt.Errorf("-bucket is required: make source-events BUCKET=<bucket>")
	}
	env, err := platformlocal.ReadEndpoints(*data)
	if err != nil {
		return err
	}
	inbound := env["S3CONNECTIONS_INBOUND_BUS"]
	if err := platformlocal.SourceEvents(context.Background(), platformlocal.OwnerFromEndpoints(env), *bucket, inbound, env["AWS_ACCOUNT_ID"]); err != nil {
		return err
	}
	fmt.Printf("bucket %s sends its Object Created events to %s, as account %s\n", *bucket, inbound, env["AWS_ACCOUNT_ID"])
	return nil
}
