// Package platformlocal runs the whole platform on this machine: the emulators
// (S3, DynamoDB, KMS, SQS, Lambda, EventBridge), the platform's resources under the names
// the CDK stack gives them, the functions wired exactly as on Lambda, and the
// HTTP API gateway with its JWT authorizer. `make run` and the end-to-end
// tests both start it.
package platformlocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
	"github.com/datalake-platform/s3connections/infra/local/eventbridgelocal"
	"github.com/datalake-platform/s3connections/infra/local/eventsource"
	"github.com/datalake-platform/s3connections/infra/local/faults"
	"github.com/datalake-platform/s3connections/infra/local/gateway"
	"github.com/datalake-platform/s3connections/infra/local/iamapi"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/infra/local/lambdalocal"
	"github.com/datalake-platform/s3connections/infra/local/localauth"
	"github.com/datalake-platform/s3connections/infra/local/s3local"
	"github.com/datalake-platform/s3connections/infra/local/schedulerlocal"
	"github.com/datalake-platform/s3connections/infra/local/sqslocal"
	"github.com/datalake-platform/s3connections/infra/local/stslocal"
	"github.com/datalake-platform/s3connections/shared/app"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// The platform's local account, region and credentials. The credentials
// stand for the functions' own roles (FunctionsARN); the local S3 and STS
// verify signatures against them.
const (
	Region          = "us-east-1"
	Account         = "000000000000"
	AccessKeyID     = "AKIALOCALPLATFORM000"
	SecretAccessKey = "local-platform-secret-key-000000000000000"
	// TokenTTL is how long `make token` tokens last.
	TokenTTL = 12 * time.Hour
)

// Options says where the platform keeps its data and listens.
type Options struct {
	// DataDir holds the S3 objects, DynamoDB tables, KMS keys, the JWT
	// signing key and endpoints.env; "" keeps everything in memory or in
	// temporary folders (tests).
	DataDir string
	// APIAddr is the gateway's address; "127.0.0.1:0" picks a free port.
	APIAddr string
	// FirstPort, when set, puts the emulators on fixed ports from it on
	// (S3, DynamoDB, KMS, SQS, Lambda, Scheduler, STS, IAM, EventBridge), so endpoints.env stays valid across
	// restarts; 0 picks free ports.
	FirstPort int
	// Seed creates the demo source buckets and files.
	Seed bool
	// Log receives the platform's and the functions' JSON logs.
	Log *slog.Logger
	// EmulatorLog receives the output of DynamoDB Local and local-kms.
	EmulatorLog io.Writer
	// PlannerBudget caps one planner invocation, to exercise continuation
	// chains in tests; 0 keeps the function's default.
	PlannerBudget time.Duration
	// WorkerConcurrency is the local event source's maximum concurrency
	// (the platform's data-load throttling); 0 means 90, as on AWS.
	WorkerConcurrency int
	// PartSize and CopyThreshold shrink the multipart sizes for tests.
	PartSize, CopyThreshold int64
	// DuplicateDeliveries hands every batch of tasks to two workers at
	// once, as SQS's at-least-once delivery may: a fault for tests.
	DuplicateDeliveries bool
	// Limits are the API's per-user quotas (MAX_*_PER_USER); zero keeps
	// the defaults. Tests set small ones.
	Limits quota.Limits
	// Faults puts a fault injector (Platform.Faults) in front of the local
	// S3, DynamoDB and SQS; it targets only the functions' requests and
	// injects nothing until it is configured.
	Faults bool
	// RollingQuiet closes an event-driven dataset's rolling run after that
	// long without an event, at the next lease sweep (0: the default).
	RollingQuiet time.Duration
	// EventRecord, when set, receives every event the local EventBridge
	// accepts, one JSON line each (as EventsFile does under DataDir).
	EventRecord io.Writer
	// RestoreDelay is how long the local S3 takes to restore an archived
	// object; 0 means DefaultRestoreDelay. The functions' expected restore
	// times (RESTORE_WAITS) are set to it, so restored files are followed
	// up at the next sweep.
	RestoreDelay time.Duration
}

// DefaultRestoreDelay is the local S3's restore time: seconds, where S3
// takes minutes to hours, so that a restore's follow-up really waits.
const DefaultRestoreDelay = 5 * time.Second

func (o Options) restoreDelay() time.Duration {
	if o.RestoreDelay > 0 {
		return o.RestoreDelay
	}
	return DefaultRestoreDelay
}

// Faults are the injectors in front of the emulators (Options.Faults).
type Faults struct {
	S3, DynamoDB, SQS *faults.Injector
}

// Set configures every injector alike.
func (f *Faults) Set(c faults.Config) {
	for _, in := range []*faults.Injector{f.S3, f.DynamoDB, f.SQS} {
		in.SetConfig(c)
	}
}

// functionsApp marks the functions' SDK requests (User-Agent "app/…"),
// which are the ones the fault injectors target: the event source, the
// tests' own clients and the platform's set-up pass untouched.
const functionsApp = "s3connections-functions"

func fromFunctions(r *http.Request) bool {
	return strings.Contains(r.Header.Get("User-Agent"), "app/"+functionsApp)
}

// Platform is the running local platform.
type Platform struct {
	APIURL    string
	Endpoints map[string]string // service name -> endpoint URL
	Config    platform.Config
	Names     platform.Names
	Issuer    *localauth.Issuer
	S3        *s3local.Server
	// IAM holds the local accounts' keys, the source reader role and its
	// sessions; the local S3 and STS ask it.
	IAM       *iamlocal.Registry
	SQS       *sqslocal.Server
	Runtime   *lambdalocal.Runtime
	Scheduler *schedulerlocal.Server
	// Events is the local EventBridge: the platform's outbound bus of run
	// events and its notification rules.
	Events *eventbridgelocal.Server
	Poller *eventsource.Poller
	// Faults is nil unless Options.Faults.
	Faults *Faults

	// failuresURL is the planner's on-failure destination queue, which
	// the planner consumes (a second event source).
	failuresURL string

	duplicate atomic.Bool // Options.DuplicateDeliveries, switchable
	// WorkerConcurrency is the event source's maximum concurrency.
	WorkerConcurrency int

	procs   []*emulators.Process
	servers []*http.Server
	closers []func()
}

// Start brings the platform up. On failure it stops what it started.
func Start(ctx context.Context, opts Options) (*Platform, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opts.EmulatorLog == nil {
		opts.EmulatorLog = io.Discard
	}
	if opts.APIAddr == "" {
		opts.APIAddr = "127.0.0.1:0"
	}
	p := &Platform{Endpoints: map[string]string{}, Names: platform.NamesFor(Account, Region), IAM: iamlocal.New()}
	p.registerIdentities()
	if err := p.start(ctx, opts); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Platform) start(ctx context.Context, opts Options) error {
	if err := checkPorts(opts); err != nil {
		return err
	}
	if err := privateDir(opts.DataDir); err != nil {
		return err
	}
	if err := p.startEmulators(ctx, opts); err != nil {
		return err
	}
	p.setEnv()
	if err := p.createResources(ctx); err != nil {
		return err
	}
	p.Config.PlannerBudget, p.Config.PartSize, p.Config.CopyThreshold = opts.PlannerBudget, opts.PartSize, opts.CopyThreshold
	p.Config.RollingQuiet = opts.RollingQuiet
	p.Config.MaxConnectionsPerUser, p.Config.MaxDatasetsPerUser, p.Config.MaxSchedulesPerUser = opts.Limits.Connections, opts.Limits.Datasets, opts.Limits.Schedules
	p.Config.RestoreWaits = "*=" + opts.restoreDelay().String() // the local S3's restores all take RestoreDelay
	for k, v := range p.Config.Env() {
		os.Setenv(k, v)
	}
	if err := p.startFunctions(ctx, opts); err != nil {
		return err
	}
	if err := p.startEventSource(ctx, opts); err != nil {
		return err
	}
	if err := p.startGateway(opts); err != nil {
		return err
	}
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return err
	}
	if err := p.ensureSweepSchedule(ctx, scheduler.NewFromConfig(awsCfg)); err != nil {
		return err
	}
	if opts.Seed {
		if err := p.seedDemo(ctx); err != nil {
			return err
		}
	}
	if opts.DataDir != "" {
		return p.writeEndpointsFile(filepath.Join(opts.DataDir, "endpoints.env"))
	}
	return nil
}

// privateDir makes the data folder, if any, its owner's alone (0700):
// it holds the JWT signing key, the emulators' data (secrets' ciphertexts,
// KMS key material, the zones' objects) and endpoints.env. Everything the
// platform and the emulators create in it is 0600 (files) or 0700 (folders),
// and a folder made by an older version is tightened here.
func privateDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

func dataPath(opts Options, name string) string {
	if opts.DataDir == "" {
		return ""
	}
	return filepath.Join(opts.DataDir, name)
}

// port returns the fixed port of emulator i, or a free one.
func port(opts Options, i int) (int, error) {
	if opts.FirstPort != 0 {
		return opts.FirstPort + i, nil
	}
	return emulators.FreePort()
}

func addr(opts Options, i int) string {
	if opts.FirstPort != 0 {
		return fmt.Sprintf("127.0.0.1:%d", opts.FirstPort+i)
	}
	return "127.0.0.1:0"
}

// startEmulators starts the stand-ins of the AWS services, each on its
// port (Options.FirstPort + its index), fault injectors in front of them
// when Options.Faults is set.
func (p *Platform) startEmulators(ctx context.Context, opts Options) error {
	for _, start := range []func(context.Context, Options) error{
		p.startDynamoDB, p.startKMS, p.startS3, p.startSQS, p.startLambda, p.startScheduler, p.startSTS, p.startEventBridge,
	} {
		if err := start(ctx, opts); err != nil {
			return err
		}
	}
	return nil
}

// startDynamoDB starts DynamoDB Local (behind a fault proxy when asked).
func (p *Platform) startDynamoDB(ctx context.Context, opts Options) error {
	ddbPort, err := port(opts, 1)
	if err != nil {
		return err
	}
	ddb, err := emulators.DynamoDB{Port: ddbPort, DataDir: dataPath(opts, "dynamodb"), Log: opts.EmulatorLog}.Start(ctx)
	if err != nil {
		return err
	}
	p.procs = append(p.procs, ddb)
	p.Endpoints["DYNAMODB"] = ddb.Endpoint
	if opts.Faults {
		proxy, err := faults.Proxy(ddb.Endpoint)
		if err != nil {
			return err
		}
		p.Faults = &Faults{DynamoDB: faults.New(faults.DynamoDB, proxy, fromFunctions)}
		if p.Endpoints["DYNAMODB"], err = p.serve("127.0.0.1:0", p.Faults.DynamoDB); err != nil {
			return err
		}
	}
	return nil
}

// startKMS starts local-kms.
func (p *Platform) startKMS(ctx context.Context, opts Options) error {
	kmsPort, err := port(opts, 2)
	if err != nil {
		return err
	}
	kms, err := emulators.KMS{Port: kmsPort, DataDir: dataPath(opts, "kms"), Region: Region, Account: Account, Log: opts.EmulatorLog}.Start(ctx)
	if err != nil {
		return err
	}
	p.procs = append(p.procs, kms)
	p.Endpoints["KMS"] = kms.Endpoint
	return nil
}

// startS3 serves the local S3, on disk under the data folder if there is one.
func (p *Platform) startS3(_ context.Context, opts Options) error {
	s3dir := dataPath(opts, "s3")
	if s3dir != "" {
		if err := os.MkdirAll(s3dir, 0o700); err != nil {
			return err
		}
	}
	s3srv, err := s3local.New(s3local.Options{DataPath: s3dir, DefaultRegion: Region, IAM: p.IAM, DefaultOwner: Account, RestoreDelay: opts.restoreDelay(),
		Notify: p.emitS3Event})
	if err != nil {
		return fmt.Errorf("local S3: %w", err)
	}
	p.S3 = s3srv
	p.closers = append(p.closers, func() { _ = s3srv.Close() })
	var s3h http.Handler = s3srv
	if p.Faults != nil {
		p.Faults.S3 = faults.New(faults.S3, s3srv, fromFunctions)
		s3h = p.Faults.S3
	}
	p.Endpoints["S3"], err = p.serve(addr(opts, 0), s3h)
	return err
}

// startSTS serves the local STS, which issues the source reader's
// sessions and those of owners' roles, and the local IAM, where owners
// create those roles (kept in the data folder).
func (p *Platform) startSTS(_ context.Context, opts Options) error {
	if path := dataPath(opts, "iam-roles.json"); path != "" {
		if err := p.IAM.Persist(path); err != nil {
			return err
		}
	}
	var err error
	if p.Endpoints["STS"], err = p.serve(addr(opts, 6), stslocal.New(p.IAM)); err != nil {
		return err
	}
	p.Endpoints["IAM"], err = p.serve(addr(opts, 7), iamapi.New(p.IAM))
	return err
}

// startSQS serves the local SQS.
func (p *Platform) startSQS(_ context.Context, opts Options) error {
	sqs := sqslocal.New(sqslocal.Options{AccountID: Account, Region: Region})
	p.SQS = sqs
	p.closers = append(p.closers, sqs.Close)
	var sqsh http.Handler = sqs
	if p.Faults != nil {
		p.Faults.SQS = faults.New(faults.SQS, sqs, fromFunctions)
		sqsh = p.Faults.SQS
	}
	var err error
	if p.Endpoints["SQS"], err = p.serve(addr(opts, 3), sqsh); err != nil {
		return err
	}
	sqs.SetBaseURL(p.Endpoints["SQS"])
	p.servers[len(p.servers)-1].RegisterOnShutdown(sqs.Close) // ends long polls at once
	return nil
}

// serviceSQS is how the local Lambda and Scheduler reach SQS, as the
// services do with the functions' and the scheduler's roles: on-failure
// destination records and dead-letter events.
func (p *Platform) serviceSQS() sqslocal.ARNSender {
	return sqslocal.ARNSender{Client: sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(p.Endpoints["SQS"]),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")})}
}

// startLambda serves the local Lambda runtime, which sends the records of
// asynchronous invocations that failed every try to their on-failure
// destination.
func (p *Platform) startLambda(_ context.Context, opts Options) error {
	p.Runtime = lambdalocal.New(lambdalocal.Options{Region: Region, AccountID: Account, Logger: opts.Log, AsyncRetryDelay: time.Second,
		Destinations: p.serviceSQS()})
	p.closers = append(p.closers, func() { _ = p.Runtime.Close() })
	var err error
	p.Endpoints["LAMBDA"], err = p.serve(addr(opts, 4), p.Runtime)
	return err
}

// startScheduler serves the local EventBridge Scheduler, its schedules
// journaled under the data folder if there is one.
func (p *Platform) startScheduler(_ context.Context, opts Options) error {
	// EventBridge Scheduler invokes its targets asynchronously, as here.
	p.Scheduler = schedulerlocal.New(schedulerlocal.Options{
		AccountID: Account, Region: Region, Logger: opts.Log, DeadLetters: p.serviceSQS(),
		Fire: func(ctx context.Context, t schedulerlocal.Target) error {
			_, err := p.Runtime.InvokeAsync(functionName(t.Arn), []byte(t.Input))
			return err
		},
	})
	p.closers = append(p.closers, p.Scheduler.Close)
	var scheduler http.Handler = p.Scheduler
	if opts.DataDir != "" {
		j, err := openJournal(filepath.Join(opts.DataDir, "schedules.jsonl"), p.Scheduler)
		if err != nil {
			return err
		}
		p.closers = append(p.closers, j.Close)
		scheduler = j
	}
	var err error
	p.Endpoints["SCHEDULER"], err = p.serve(addr(opts, 5), scheduler)
	return err
}

// functionName is the last part of a function ARN.
func functionName(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// setEnv points the SDK at the emulators through the standard variables,
// so the functions load their configuration exactly as on Lambda.
func (p *Platform) setEnv() {
	for k, v := range p.sdkEnv() {
		os.Setenv(k, v)
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Unsetenv("AWS_PROFILE")
}

func (p *Platform) sdkEnv() map[string]string {
	env := map[string]string{
		"AWS_REGION":            Region,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
	}
	for svc, url := range p.Endpoints {
		env["AWS_ENDPOINT_URL_"+svc] = url
	}
	return env
}

func (p *Platform) startFunctions(ctx context.Context, opts Options) error {
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return err
	}
	awsCfg.AppID = functionsApp
	// Each function is built from its own settings only, as the CDK stack
	// configures it: one that reads an undeclared setting finds it unset.
	apiCfg, err := p.Config.Only(app.APISettings)
	if err != nil {
		return err
	}
	plannerCfg, err := p.Config.Only(app.PlannerSettings)
	if err != nil {
		return err
	}
	workerCfg, err := p.Config.Only(app.WorkerSettings)
	if err != nil {
		return err
	}
	eventsCfg, err := p.Config.Only(app.EventsSettings)
	if err != nil {
		return err
	}
	api := app.NewAPI(apiCfg, awsCfg, opts.Log.With("function", p.Names.APIFunction))
	planner := app.NewPlanner(plannerCfg, awsCfg, opts.Log.With("function", p.Names.PlannerFunction))
	worker := app.NewWorker(workerCfg, awsCfg, opts.Log.With("function", p.Names.WorkerFunction))
	return p.Runtime.Register(
		lambdalocal.Function{Name: p.Names.APIFunction, Handler: lambdalocal.NewHandler(api.Handle), Timeout: 29 * time.Second},
		lambdalocal.Function{Name: p.Names.PlannerFunction, Handler: lambdalocal.NewHandler(planner.Handle), Timeout: 15 * time.Minute,
			Async: lambdalocal.EventInvokeConfig{OnFailure: queueARN(p.Names.PlannerFailures)}},
		lambdalocal.Function{Name: p.Names.WorkerFunction, Handler: lambdalocal.NewHandler(worker.Handle), Timeout: workerTimeout},
		lambdalocal.Function{Name: p.Names.EventsFunction, Timeout: time.Minute,
			Handler: lambdalocal.NewHandler(app.NewEvents(eventsCfg, awsCfg, opts.Log.With("function", p.Names.EventsFunction)).Handle)},
	)
}

// startEventSource feeds the worker from the task queue, as the SQS event
// source mapping does on AWS.
func (p *Platform) startEventSource(ctx context.Context, opts Options) error {
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return err
	}
	p.duplicate.Store(opts.DuplicateDeliveries)
	concurrency := opts.WorkerConcurrency
	if concurrency <= 0 {
		concurrency = 90
	}
	p.WorkerConcurrency = concurrency
	p.Poller = eventsource.Start(context.WithoutCancel(ctx), eventsource.Options{
		QueueURL: p.Config.TaskQueueURL, SQS: sqs.NewFromConfig(awsCfg),
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
			if p.duplicate.Load() {
				go func() { _, _ = p.Runtime.Invoke(context.WithoutCancel(ctx), p.Names.WorkerFunction, payload) }()
			}
			return p.Runtime.Invoke(ctx, p.Names.WorkerFunction, payload)
		},
		FunctionARN: p.Runtime.FunctionARN(p.Names.WorkerFunction),
		QueueARN:    fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, p.Names.TaskQueue),
		Region:      Region, BatchSize: platform.TaskBatchSize, BatchingWindow: platform.TaskBatchingWindow,
		MaxConcurrency: concurrency, Logger: opts.Log,
	})
	p.closers = append(p.closers, p.Poller.Stop)
	// The planner consumes its own on-failure destination, as the stack's
	// second event source mapping has it.
	failures := eventsource.Start(context.WithoutCancel(ctx), eventsource.Options{
		QueueURL: p.failuresURL, SQS: sqs.NewFromConfig(awsCfg),
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
			return p.Runtime.Invoke(ctx, p.Names.PlannerFunction, payload)
		},
		FunctionARN: p.Runtime.FunctionARN(p.Names.PlannerFunction), QueueARN: queueARN(p.Names.PlannerFailures),
		Region: Region, BatchSize: platform.FailureBatchSize, MaxConcurrency: 2, Logger: opts.Log,
	})
	p.closers = append(p.closers, failures.Stop)
	return nil
}

// function adapts one function of the runtime to lambda.Handler, so the
// gateway invokes it through the runtime as API Gateway invokes Lambda.
type function struct {
	rt   *lambdalocal.Runtime
	name string
}

func (f function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f.rt.Invoke(ctx, f.name, payload)
}

func (p *Platform) startGateway(opts Options) error {
	keyPath := dataPath(opts, "jwt-key.pem")
	if keyPath == "" {
		dir, err := os.MkdirTemp("", "s3connections-jwt-")
		if err != nil {
			return err
		}
		p.closers = append(p.closers, func() { os.RemoveAll(dir) })
		keyPath = filepath.Join(dir, "jwt-key.pem")
	}
	key, err := localauth.LoadOrCreateKey(keyPath)
	if err != nil {
		return err
	}
	// The issuer is under the API's own address, wherever -addr put it, as
	// a pool's issuer is the URL that serves its keys: listen first.
	l, err := net.Listen("tcp", opts.APIAddr)
	if err != nil {
		return fmt.Errorf("API gateway on %s: %w", opts.APIAddr, err)
	}
	p.APIURL = "http://" + l.Addr().String()
	issuer := localauth.IssuerOf(p.APIURL)
	p.Issuer = &localauth.Issuer{Key: key, Issuer: issuer, Audience: localauth.DefaultAudience}
	verifier := localauth.NewVerifier(&key.PublicKey, issuer, localauth.DefaultAudience)
	var routes []gateway.Route
	for _, r := range httpapi.Routes() {
		routes = append(routes, gateway.Route{Method: r.Method, Path: r.Path, Public: r.Public})
	}
	gw := gateway.New(routes, function{p.Runtime, p.Names.APIFunction}, verifier,
		gateway.WithLogger(opts.Log), gateway.WithAccountID(Account), gateway.WithRegion(Region),
		gateway.WithFunctionName(p.Names.APIFunction), gateway.WithConcurrency(64))
	p.serveOn(l, gw)
	return nil
}

// serve listens on addr and serves h until Close.
func (p *Platform) serve(addr string, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	return p.serveOn(l, h), nil
}

// serveOn serves h on l until Close, and returns l's URL.
func (p *Platform) serveOn(l net.Listener, h http.Handler) string {
	addr := l.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	p.servers = append(p.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("local server stopped", "addr", addr, "error", err)
		}
	}()
	return "http://" + addr
}

// SetDuplicateDeliveries turns Options.DuplicateDeliveries on or off.
func (p *Platform) SetDuplicateDeliveries(on bool) { p.duplicate.Store(on) }

// Token returns a JWT for user that the gateway accepts.
func (p *Platform) Token(user string) (string, error) { return p.Issuer.Token(user, TokenTTL) }

// EndpointsEnv is the content of endpoints.env: what any S3 or AWS tool
// needs to reach the local emulators, as the source owner (AWS_ACCOUNT_ID
// names its account, for S3BucketOwner): buckets it creates are valid
// sources, and it attaches the generated policies to them.
func (p *Platform) EndpointsEnv() string {
	env := p.sdkEnv()
	env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCOUNT_ID"] = SourceAccessKeyID, SourceSecretAccessKey, SourceAccount
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Local platform endpoints: `set -a; . .local/endpoints.env; set +a`\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	fmt.Fprintf(&b, "S3CONNECTIONS_API_URL=%s\n", p.APIURL)
	fmt.Fprintf(&b, "S3CONNECTIONS_ISSUER=%s\n", p.Issuer.Issuer)
	fmt.Fprintf(&b, "S3CONNECTIONS_INBOUND_BUS=%s\n", p.InboundBusARN())
	return b.String()
}

// ReadEndpoints reads the endpoints.env of the platform whose data folder
// is data (the KEY=value lines EndpointsEnv writes), for the commands that
// act on a running platform.
func ReadEndpoints(data string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(data, "endpoints.env"))
	if err != nil {
		return nil, fmt.Errorf("%w (is the platform running? make run)", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env, nil
}

func (p *Platform) writeEndpointsFile(path string) error {
	return os.WriteFile(path, []byte(p.EndpointsEnv()), 0o600)
}

// Close stops everything, servers first so no request meets a stopped emulator.
func (p *Platform) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := len(p.servers) - 1; i >= 0; i-- {
		_ = p.servers[i].Shutdown(ctx)
	}
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	for _, proc := range p.procs {
		_ = proc.Stop()
	}
}
