package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// ReportRetention is how many days run reports (and any part an
// assembly left) are kept in the reports bucket before they expire.
const ReportRetention = 30

// AccessLogRetention is how long the server access logs of the LZ and DLZ
// buckets are kept: a year of who read and wrote the zones, then expired.
const AccessLogRetention = 365

// Storage holds the platform's data: the metadata table (connections,
// datasets, schedules, runs, the catalog) and the landing-zone (LZ) and
// data-lake-zone (DLZ) buckets, encrypted with the platform key; and the
// zones' server access logs (Logs). All are retained when the stack is
// deleted.
type Storage struct {
	Scope   constructs.Construct
	Table   awsdynamodb.Table
	LZ, DLZ awss3.Bucket
	Logs    awss3.Bucket
	// Reports holds the runs' reports (shared/report), apart from the
	// zones: no dataset key can meet a report's, the functions' grants
	// name it alone, and its lifecycle expires everything in it.
	Reports awss3.Bucket
}

// NewStorage creates the table and the buckets.
func NewStorage(scope constructs.Construct, id string, names platform.Names, key awskms.IKey) *Storage {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &Storage{Scope: c}
	props := tableProps(names.Table)
	props.Encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
	props.EncryptionKey = key
	s.Table = awsdynamodb.NewTable(c, jsii.String("Metadata"), props)
	s.Logs = logsBucket(c, "AccessLogs", names.LogsBucket)
	s.LZ = bucket(c, "LandingZone", names.LZBucket, key, s.Logs, "lz/")
	s.DLZ = bucket(c, "DataLakeZone", names.DLZBucket, key, s.Logs, "dlz/")
	s.Reports = reportsBucket(c, "Reports", names.ReportsBucket, key, s.Logs)
	tag(c, "storage")
	return s
}

// tableProps mirrors metadata.TableInput, the definition the local
// platform creates, so the deployed table has the key schema the code uses.
func tableProps(name string) *awsdynamodb.TableProps {
	in := metadata.TableInput(name)
	types := map[string]awsdynamodb.AttributeType{}
	for _, a := range in.AttributeDefinitions {
		switch a.AttributeType {
		case dynamodbtypes.ScalarAttributeTypeS:
			types[*a.AttributeName] = awsdynamodb.AttributeType_STRING
		case dynamodbtypes.ScalarAttributeTypeN:
			types[*a.AttributeName] = awsdynamodb.AttributeType_NUMBER
		case dynamodbtypes.ScalarAttributeTypeB:
			types[*a.AttributeName] = awsdynamodb.AttributeType_BINARY
		}
	}
	props := &awsdynamodb.TableProps{
		TableName:   in.TableName,
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		// Run records expire (metadata.AttrExpiresAt); the catalog never.
		TimeToLiveAttribute: jsii.String(metadata.AttrExpiresAt),
	}
	for _, k := range in.KeySchema {
		attr := &awsdynamodb.Attribute{Name: k.AttributeName, Type: types[*k.AttributeName]}
		switch k.KeyType {
		case dynamodbtypes.KeyTypeHash:
			props.PartitionKey = attr
		case dynamodbtypes.KeyTypeRange:
			props.SortKey = attr
		}
	}
	if props.PartitionKey == nil || len(in.GlobalSecondaryIndexes) > 0 || len(in.LocalSecondaryIndexes) > 0 {
		// The stack mirrors keys only; indexes must be added here when the
		// table definition gains them (the assertions test compares both).
		panic(fmt.Sprintf("metadata.TableInput(%q) has a shape the stack does not mirror yet", name))
	}
	return props
}

// bucket is an SSE-KMS (bucket keys), TLS-only, private, versioned bucket
// whose server access logs go to logs under logPrefix. CDK lets only the
// S3 logging service write there, for this bucket and account (the logs
// bucket's policy: aws:SourceArn, aws:SourceAccount).
func bucket(scope constructs.Construct, id, name string, key awskms.IKey, logs awss3.IBucket, logPrefix string) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BucketName:             jsii.String(name),
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String(logPrefix),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("tidy"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// reportsBucket is the runs' reports bucket: private, SSE-KMS with the
// platform key, TLS-only and logged like the zones, and every object in
// it expires ReportRetention days after it was written.
func reportsBucket(scope constructs.Construct, id, name string, key awskms.IKey, logs awss3.IBucket) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BucketName:             jsii.String(name),
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("reports/"),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-reports"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(ReportRetention)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}, {
			Id:                        jsii.String("tidy-delete-markers"),
			ExpiredObjectDeleteMarker: jsii.Bool(true),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// logsBucket receives the zones' server access logs: private, TLS-only,
// versioned and retained like the zones, but SSE-S3: S3 cannot write its
// logs with the AWS managed key, and a customer managed key would need a
// key policy for the logging service (the platform key's policy does not
// have one). Logs expire after AccessLogRetention days.
func logsBucket(scope constructs.Construct, id, name string) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BucketName:        jsii.String(name),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-logs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(AccessLogRetention)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(7)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}
