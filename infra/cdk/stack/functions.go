package stack

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/infra/cdk/functions"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// FunctionSpec is one function of the platform (see infra/cdk/functions).
type FunctionSpec = functions.Function

// Functions are the functions the stack deploys: functions.Deployed.
func Functions() []FunctionSpec { return functions.Deployed() }

// policies are what each function's role may do, besides writing its own
// log group (and consuming tasks, for the task queue's worker): least
// privilege, written out. No role here reads a source bucket: the ingestion
// functions read sources through source-reader sessions (reader.go), so a
// connection can never read what the platform's own account holds.
var policies = map[string]func(r Resources) []awsiam.PolicyStatement{
	// The API reads and writes metadata, encrypts secrets with the secrets
	// key (never decrypts them), manages schedules in the platform's group with the scheduler
	// role, and invokes the planner (connection tests, runs on demand).
	"api": func(r Resources) []awsiam.PolicyStatement {
		planner := functionARN(r.Scope, r.Names.PlannerFunction)
		return append(tableAccess(r),
			withConditions(statement("EncryptConnectionSecrets", []string{"kms:Encrypt"}, r.SecretsKey.KeyArn()), secretContextConditions()),
			statement("ManageSchedulesInGroup",
				[]string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"},
				r.Scheduling.scheduleARNs(r.Names)),
			withConditions(statement("PassSchedulerRoleToScheduler", []string{"iam:PassRole"}, r.Scheduling.Role.RoleArn()),
				map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}}),
			statement("InvokePlanner", []string{"lambda:InvokeFunction"}, planner, jsii.String(*planner+":*")),
			// Presigned report links are signed with the API's role: it
			// may read the assembled reports, nothing else of the bucket.
			statement("ReadReportsForLinks", []string{"s3:GetObject"}, r.Storage.Reports.ArnForObjects(jsii.String("runs/*/report.*"))),
			withConditions(statement("ReportsKeyViaS3", []string{"kms:Decrypt"}, r.Key.KeyArn()), viaService(r.Scope, "s3")),
		)
	},
	// The planner decrypts secrets with the secrets key, enqueues tasks
	// (the platform key through SQS only), invokes itself, and
	// lists sources through source-reader sessions only. Its own s3 right
	// is ListAllMyBuckets: bucket names, never contents, to tell whether
	// the platform's account owns a source bucket; and, like the worker,
	// the run objects of the reports bucket (reportsAccess).
	"planner": func(r Resources) []awsiam.PolicyStatement {
		self := functionARN(r.Scope, r.Names.PlannerFunction)
		return append(append(tableAccess(r), reportsAccess(r)...),
			withConditions(statement("DecryptConnectionSecrets", []string{"kms:Decrypt"}, r.SecretsKey.KeyArn()), secretContextConditions()),
			// SQS producers need both: SQS checks the data key it reuses.
			withConditions(statement("EncryptTasksViaSQS", []string{"kms:GenerateDataKey", "kms:Decrypt"}, r.Key.KeyArn()),
				viaService(r.Scope, "sqs")),
			goStatement(sourceReader(r).Assume(sourceReaderARN(r))),
			statement("FindPlatformBuckets", []string{"s3:ListAllMyBuckets"}, jsii.String("*")),
			statement("EnqueueTasks", []string{"sqs:SendMessage"}, r.Queues.Tasks.QueueArn()),
			statement("ContinueInNewInvocation", []string{"lambda:InvokeFunction"}, self, jsii.String(*self+":*")),
			// Lambda sends the records of its failed invocations with its
			// role (the on-failure destination), and it consumes them.
			statement("RecordFailedInvocations", []string{"sqs:SendMessage"}, r.Queues.PlannerFailures.QueueArn()),
			statement("ConsumeFailedInvocations", []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
				"sqs:GetQueueAttributes"}, r.Queues.PlannerFailures.QueueArn()),
			publishRunEvents(r),
			withConditions(statement("ReportsKeyViaS3", []string{"kms:Decrypt", "kms:GenerateDataKey"}, r.Key.KeyArn()),
				viaService(r.Scope, "s3")),
		)
	},
	// The events function reads metadata and enqueues copy tasks (the
	// platform key through SQS only); it reads no source.
	"events": func(r Resources) []awsiam.PolicyStatement {
		return append(tableAccess(r),
			withConditions(statement("EncryptTasksViaSQS", []string{"kms:GenerateDataKey", "kms:Decrypt"}, r.Key.KeyArn()),
				viaService(r.Scope, "sqs")),
			statement("EnqueueTasks", []string{"sqs:SendMessage"}, r.Queues.Tasks.QueueArn()),
		)
	},
	// The worker reads sources (and copies them into the zones) through
	// source-reader sessions only; with its own role it validates and
	// moves zone objects (LZ to DLZ) with the platform key through S3,
	// decrypts secrets with the secrets key, updates the catalog (new
	// entries also by PartiQL INSERT, in batches: shared/metadata
	// inserts.go) and writes report parts and reports (reportsAccess).
	"worker": func(r Resources) []awsiam.PolicyStatement {
		objects := []*string{r.Storage.LZ.ArnForObjects(jsii.String("*")), r.Storage.DLZ.ArnForObjects(jsii.String("*"))}
		return append(append(tableAccess(r), reportsAccess(r)...),
			statement("InsertCatalogEntries", []string{"dynamodb:PartiQLInsert"}, r.Storage.Table.TableArn()),
			goStatement(sourceReader(r).Assume(sourceReaderARN(r))),
			statement("WriteZones", []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}, objects...),
			withConditions(statement("DecryptConnectionSecrets", []string{"kms:Decrypt"}, r.SecretsKey.KeyArn()), secretContextConditions()),
			withConditions(statement("ZoneKeyViaS3", []string{"kms:Decrypt", "kms:GenerateDataKey"}, r.Key.KeyArn()),
				viaService(r.Scope, "s3")),
			publishRunEvents(r),
		)
	},
}

// Resources are what function policies name.
type Resources struct {
	Scope      constructs.IConstruct
	Names      platform.Names
	Key        keyRef
	SecretsKey keyRef // the connection secrets' key
	Storage    *Storage
	Queues     *Queues
	Scheduling *Scheduling
	Events     *Events
	Inbound    *Inbound
}

type keyRef interface{ KeyArn() *string }

// Function is one deployed function with its role and log group.
type Function struct {
	Spec     FunctionSpec
	Fn       awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
}

// FunctionSet holds the deployed functions.
type FunctionSet struct {
	Scope constructs.Construct
	All   []*Function
	// SourceReader is the role whose sessions read bucket-policy sources.
	SourceReader awsiam.Role
}

// Get returns the function built from the spec named name, or nil.
func (s *FunctionSet) Get(name string) *Function {
	for _, f := range s.All {
		if f.Spec.Name == name {
			return f
		}
	}
	return nil
}

// FunctionOptions are the stack's settings of the functions.
type FunctionOptions struct {
	// OptInRegions become ENABLED_OPT_IN_REGIONS.
	OptInRegions []string
	// ReservedConcurrency is the reserved concurrent executions of the
	// functions named (spec names); absent or 0 reserves none.
	ReservedConcurrency map[string]int
	// RunRetentionDays becomes RUN_RETENTION_DAYS.
	RunRetentionDays int
	// CollectorLayer, when set, is the ADOT collector layer every function
	// gets, and OTEL_EXPORTER_OTLP_ENDPOINT points their spans at it.
	CollectorLayer string
}

// NewFunctions builds every spec: role, log group (from obs), function on
// provided.al2023/arm64 from assetDir/<name>, environment, with X-Ray
// active tracing (Lambda records each invocation; the functions' own spans
// join it through the collector layer, when there is one).
func NewFunctions(scope constructs.Construct, id string, specs []FunctionSpec, r Resources, obs *Observability,
	assetDir string, opts FunctionOptions) (*FunctionSet, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	r.Scope = c
	set := &FunctionSet{Scope: c}
	var callers []awsiam.Role
	for _, fs := range specs {
		f, err := newRole(c, fs, r, obs)
		if err != nil {
			return nil, err
		}
		if fs.Ingestion {
			callers = append(callers, f.Role)
		}
		set.All = append(set.All, f)
	}
	reader, err := newSourceReader(c, r, callers)
	if err != nil {
		return nil, err
	}
	set.SourceReader = reader
	values := settingValues(c, r, opts, reader)
	var layers []awslambda.ILayerVersion
	if opts.CollectorLayer != "" {
		layers = append(layers, awslambda.LayerVersion_FromLayerVersionArn(c, jsii.String("CollectorLayer"), jsii.String(opts.CollectorLayer)))
	}
	for _, f := range set.All {
		env, err := environment(f.Spec, values)
		if err != nil {
			return nil, err
		}
		f.Fn = awslambda.NewFunction(c, jsii.String(f.Spec.Name), &awslambda.FunctionProps{
			FunctionName:  jsii.String(f.Spec.FunctionName(r.Names)),
			Description:   jsii.String(f.Spec.Description),
			Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:  awslambda.Architecture_ARM_64(),
			Handler:       jsii.String("bootstrap"),
			Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(assetDir, f.Spec.Name)), nil),
			Role:          f.Role,
			Timeout:       awscdk.Duration_Seconds(jsii.Number(f.Spec.Timeout.Seconds())),
			MemorySize:    jsii.Number(f.Spec.MemoryMiB),
			Environment:   &env,
			LoggingFormat: awslambda.LoggingFormat_JSON,
			LogGroup:      f.LogGroup,
			Tracing:       awslambda.Tracing_ACTIVE,
			Layers:        &layers,
			// nil when 0: no reservation (new accounts' quotas refuse one).
			ReservedConcurrentExecutions: reserved(opts.ReservedConcurrency[f.Spec.Name]),
			DeadLetterQueue:              asyncDLQ(f.Spec, r),
			EphemeralStorageSize:         ephemeral(f.Spec.EphemeralMiB),
		})
		if f.Spec.ConsumesTasks {
			if err := r.Queues.AttachWorker(f.Fn, f.Spec.Timeout); err != nil {
				return nil, err
			}
		}
	}
	tag(c, "functions")
	return set, nil
}

// newRole builds fs's log group and its least-privilege role: the Function
// before its Lambda function.
func newRole(c constructs.Construct, fs FunctionSpec, r Resources, obs *Observability) (*Function, error) {
	policy, ok := policies[fs.Name]
	if !ok {
		return nil, fmt.Errorf("function %s has no policy in the stack's policies", fs.Name)
	}
	name := fs.FunctionName(r.Names)
	logGroup := obs.LogGroup(fs.Name+"Logs", "/aws/lambda/"+name)
	statements := append([]awsiam.PolicyStatement{
		statement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroup.LogGroupArn()),
	}, policy(r)...)
	role := awsiam.NewRole(c, jsii.String(fs.Name+"Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(name),
		Description: jsii.String("Execution role of the " + name + " function"),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"least-privilege": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})
	return &Function{Spec: fs, Role: role, LogGroup: logGroup}, nil
}

// reserved is n reserved concurrent executions, or none (nil) for 0.
func reserved(n int) *float64 {
	if n <= 0 {
		return nil
	}
	return jsii.Number(n)
}

// settingValues are the values the stack gives the functions' settings.
func settingValues(c constructs.Construct, r Resources, opts FunctionOptions, reader awsiam.Role) map[string]*string {
	values := map[string]*string{
		platform.EnvTable:               r.Storage.Table.TableName(),
		platform.EnvKMSKey:              r.Key.KeyArn(),
		platform.EnvSecretsKey:          r.SecretsKey.KeyArn(),
		platform.EnvLZBucket:            r.Storage.LZ.BucketName(),
		platform.EnvDLZBucket:           r.Storage.DLZ.BucketName(),
		platform.EnvTaskQueueURL:        r.Queues.Tasks.QueueUrl(),
		platform.EnvPlannerFunction:     jsii.String(r.Names.PlannerFunction),
		platform.EnvPlannerFunctionARN:  functionARN(c, r.Names.PlannerFunction),
		platform.EnvScheduleGroup:       r.Scheduling.Group.ScheduleGroupName(),
		platform.EnvSchedulerRoleARN:    r.Scheduling.Role.RoleArn(),
		platform.EnvSchedulerDLQARN:     r.Queues.SchedulerDLQ.QueueArn(),
		platform.EnvEnabledOptInRegions: jsii.String(strings.Join(opts.OptInRegions, ",")),
		platform.EnvRunRetentionDays:    jsii.String(fmt.Sprint(opts.RunRetentionDays)),
		platform.EnvPlannerBudget:       jsii.String(functions.PlannerTimeBudget.String()),
		platform.EnvMaxReceiveCount:     jsii.String(fmt.Sprint(TaskMaxReceives)),
		// Per-user quotas: the defaults, written out so that the function's
		// configuration shows them (raising one is a change here).
		platform.EnvMaxConnectionsPerUser: jsii.String(fmt.Sprint(quota.DefaultConnections)),
		platform.EnvMaxDatasetsPerUser:    jsii.String(fmt.Sprint(quota.DefaultDatasets)),
		platform.EnvMaxSchedulesPerUser:   jsii.String(fmt.Sprint(quota.DefaultSchedules)),
		// By reference: a function starts only once the role exists.
		platform.EnvSourceReaderRoleARN: reader.RoleArn(),
		// The LZ, DLZ and CDK assets buckets: never a source.
		platform.EnvPlatformBuckets: awscdk.Fn_Join(jsii.String(","), strs(r.Names.Buckets()...)),
		platform.EnvEventBus:        r.Events.Bus.EventBusName(),
		platform.EnvReportsBucket:   r.Storage.Reports.BucketName(),
		platform.EnvReportURLExpiry: jsii.String(platform.DefaultReportURLExpiry.String()),
		platform.EnvInboundBusARN:   r.Inbound.Bus.EventBusArn(),
	}
	if opts.CollectorLayer != "" {
		values[platform.EnvOTLPEndpoint] = jsii.String(CollectorEndpoint)
	}
	return values
}

// environment is fs's settings with the stack's values: every required
// one, and the optional ones the stack sets (tuning; local-only switches
// such as S3_USE_PATH_STYLE it does not).
func environment(fs FunctionSpec, values map[string]*string) (map[string]*string, error) {
	env := map[string]*string{}
	for _, k := range fs.Env.Required {
		v, ok := values[k]
		if !ok {
			return nil, fmt.Errorf("function %s needs %s, which the stack does not provide", fs.Name, k)
		}
		env[k] = v
	}
	for _, k := range fs.Env.Optional {
		if v, ok := values[k]; ok {
			env[k] = v
		}
	}
	return env, nil
}

// tableAccess is read/write on the metadata table, with the key uses
// DynamoDB makes on the caller's behalf, allowed only through DynamoDB:
// this does not let the caller decrypt secrets with the key directly.
func tableAccess(r Resources) []awsiam.PolicyStatement {
	table := r.Storage.Table.TableArn()
	return []awsiam.PolicyStatement{
		statement("ReadWriteMetadata", []string{
			"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
			"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
		}, table, jsii.String(*table+"/index/*")),
		withConditions(statement("TableKeyViaDynamoDB", []string{
			"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
		}, r.Key.KeyArn()), viaService(r.Scope, "dynamodb")),
	}
}

// publishRunEvents lets the ingestion functions announce the ends of runs
// on the platform's outbound bus, and on no other bus.
// reportsAccess lets an ingestion function write its report parts and, as
// the publisher of run events, assemble reports from them and delete them:
// the run objects of the reports bucket, and their listing.
func reportsAccess(r Resources) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		statement("WriteAndAssembleReports", []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			r.Storage.Reports.ArnForObjects(jsii.String("runs/*"))),
		withConditions(statement("ListReportParts", []string{"s3:ListBucket"}, r.Storage.Reports.BucketArn()),
			map[string]any{"StringLike": map[string]any{"s3:prefix": "runs/*"}}),
	}
}

func publishRunEvents(r Resources) awsiam.PolicyStatement {
	return statement("PublishRunEvents", []string{"events:PutEvents"}, r.Events.Bus.EventBusArn())
}

func statement(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   strs(actions...),
		Resources: &resources,
	})
}

func withConditions(s awsiam.PolicyStatement, conditions map[string]any) awsiam.PolicyStatement {
	for op, kv := range conditions {
		s.AddCondition(jsii.String(op), kv)
	}
	return s
}

// viaService limits a key statement to requests that service makes in
// this region on the caller's behalf.
func viaService(scope constructs.IConstruct, service string) map[string]any {
	return map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": service + "." + *awscdk.Stack_Of(scope).Region() + ".amazonaws.com",
	}}
}

// asyncDLQ is where Lambda puts the events that fs, invoked
// asynchronously by EventBridge, failed on every retry: the events
// function's is the inbound DLQ (the inbound rule's dead letters go there
// too); the others have none here.
func asyncDLQ(fs FunctionSpec, r Resources) awssqs.IQueue {
	if fs.Name != "events" || r.Inbound == nil {
		return nil
	}
	return r.Inbound.DLQ
}

// ephemeral is a function's /tmp size; nil keeps Lambda's 512 MiB.
func ephemeral(mib int) awscdk.Size {
	if mib <= 512 {
		return nil
	}
	return awscdk.Size_Mebibytes(jsii.Number(mib))
}
