package stack

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagFinding is one annotation (error or warning) of a nag pack.
type nagFinding struct{ rule, path, text string }

func (f nagFinding) String() string { return f.rule + " " + f.path + ": " + f.text }

var nagRule = regexp.MustCompile(`^((?:AwsSolutions|Serverless)-[A-Za-z0-9]+)(\[[^\]]*\])?: `)

// nagFindings builds the stack in its own app (aspects must be added before
// synthesis, and the shared template is already synthesized), applies the
// AwsSolutions and Serverless packs and returns their unsuppressed errors
// and warnings.
func nagFindings(t *testing.T) (errs, warnings []nagFinding) {
	t.Helper()
	context := maps.Clone(synthContext)
	// cdk.json turns error annotations into a failed synthesis (the
	// validation report); here they stay annotations, for the test to read.
	context["@aws-cdk/core:annotationsInValidationReport"] = false
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:      jsii.String(filepath.Join(t.TempDir(), "cdk.out")),
		StackTraces: jsii.Bool(false),
		Context:     &context,
	})
	props, err := PropsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	plat, err := New(app, "s3connections", props)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{}), nil)
	ann := assertions.Annotations_FromStack(plat.Stack)
	anyValue := assertions.Match_AnyValue()
	return nagMessages(ann.FindError(jsii.String("*"), anyValue)), nagMessages(ann.FindWarning(jsii.String("*"), anyValue))
}

// nagMessages are msgs as findings, sorted.
func nagMessages(msgs *[]*cxapi.SynthesisMessage) []nagFinding {
	var out []nagFinding
	for _, m := range *msgs {
		text := fmt.Sprint(m.Entry.Data)
		rule := "?"
		if sub := nagRule.FindStringSubmatch(text); sub != nil {
			rule = sub[1]
		}
		out = append(out, nagFinding{rule: rule, path: *m.Id, text: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// The stack passes the AwsSolutions and Serverless packs of cdk-nag: every
// finding is fixed or suppressed with a reason (nag.go), as the CDK CLI
// would otherwise refuse the synthesis.
func TestNagPacksFindNoUnsuppressedErrors(t *testing.T) {
	var failed []string
	errs, warnings := nagFindings(t)
	for _, f := range warnings {
		t.Logf("cdk-nag warning (not failing): %s", f)
	}
	for _, f := range errs {
		failed = append(failed, f.String())
	}
	if len(failed) > 0 {
		t.Errorf("%d unsuppressed cdk-nag errors:\n%s", len(failed), strings.Join(failed, "\n"))
	}
}

// --- hardening the nag packs ask for ------------------------------------------

// The LZ and DLZ log their requests into the logs bucket: SSE-S3 (S3 cannot
// deliver logs with the AWS managed key), expiring, and writable by the S3
// logging service only, for these buckets of this account.
func TestAccessLogsBucket(t *testing.T) {
	logs := ""
	for id, b := range platformJSON.of("AWS::S3::Bucket") {
		if resolvedText(b.Properties["BucketName"]) == symbolic.LogsBucket {
			logs = id
		}
	}
	if logs == "" {
		t.Fatalf("no bucket named %s", symbolic.LogsBucket)
	}
	must(t, "logs bucket", func() {
		platformTpl.HasResource(jsii.String("AWS::S3::Bucket"), like(
			"Properties", like(
				"BucketEncryption", like("ServerSideEncryptionConfiguration", arrayWith(
					like("ServerSideEncryptionByDefault", obj("SSEAlgorithm", "AES256")))),
				"LifecycleConfiguration", like("Rules", arrayWith(like("ExpirationInDays", AccessLogRetention, "Status", "Enabled"))),
				"LoggingConfiguration", assertions.Match_Absent(),
			),
			"DeletionPolicy", "Retain",
		))
	})
	lz, dlz := zoneBuckets(t)
	for zone, prefix := range map[string]string{lz: "lz/", dlz: "dlz/"} {
		must(t, zone+" logs", func() {
			platformTpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), like(
				"BucketName", platformJSON.Resources[zone].Properties["BucketName"],
				"LoggingConfiguration", obj("DestinationBucketName", ref(logs), "LogFilePrefix", prefix)))
		})
		must(t, zone+" log delivery", func() {
			platformTpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), like(
				"Bucket", ref(logs),
				"PolicyDocument", like("Statement", arrayWith(like(
					"Effect", "Allow", "Action", "s3:PutObject",
					"Principal", obj("Service", "logging.s3.amazonaws.com"),
					"Condition", obj(
						"ArnLike", obj("aws:SourceArn", getAtt(zone, "Arn")),
						"StringEquals", obj("aws:SourceAccount", ref("AWS::AccountId"))),
				)))))
		})
	}
}

// Only the task queue may use the DLQ as its dead-letter queue.
func TestDLQAcceptsOnlyTheTaskQueue(t *testing.T) {
	must(t, "DLQ", func() {
		platformTpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), like(
			"QueueName", symbolic.TaskDLQ,
			"RedriveAllowPolicy", obj("redrivePermission", "byQueue", "sourceQueueArns", []any{
				map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":sqs:", ref("AWS::Region"), ":",
					ref("AWS::AccountId"), ":" + symbolic.TaskQueue}}},
			})))
	})
}
