// Package metadata is the DynamoDB adapter of the platform's metadata table:
// connections, datasets and their catalogs, schedules, runs.
//
// # Key design
//
// One table, keys PK and SK (strings), no index: every access pattern is a
// GetItem, a BatchGetItem or a Query on one partition, never a Scan (but
// EachConnection's and MigrateDomains', for operators' tools: the secrets
// and domains migrations).
//
//	item                   PK                              SK                    serves
//	connection             CONNECTION#<id>                 CONNECTION            get, update, delete by id
//	connection usage       CONNECTION#<id>                 USAGE                 Datasets, SkipLZDatasets counters: delete and downgrade guards
//	dataset reference      CONNECTION#<id>                 DATASET#<datasetId>   datasets of a connection (409 messages)
//	connection name claim  CONNECTION_NAME#<lower name>    CONNECTION_NAME       unique names under concurrent creates
//	dataset                DATASET#<id>                    DATASET               get, update, delete by id
//	dataset state          DATASET#<id>                    STATE                 Schedules counter; ActiveRunId + LeaseExpiresAt: one run at a time
//	schedule reference     DATASET#<id>                    SCHEDULE#<scheduleId> schedules of a dataset (409 messages)
//	dataset name claim     DATASET_NAME#<domain>#<name>    DATASET_NAME          unique names within a domain (lower case); kept Retired (FormerOwner) after a delete (domains.go)
//	domain                 DOMAIN#<lower domain>           DOMAIN                owner and AuthorizedUsers: who may create datasets in it (domains.go)
//	catalog entry          FILES#<datasetId>               FILE#<name>           a dataset's files by name: the planner's merge, GET …/files; Gate: exactly-once commit of a file's outcome
//	schedule               SCHEDULE#<id>                   SCHEDULE              get, update, delete by id
//	run index              SCHEDULE#<id>                   RUN#<runId>           a schedule's runs, newest first (run ids are time-ordered)
//	run                    RUN#<id>                        RUN                   the record: state, planner counts, position (PlannedBy: the invocation that saved it; PlanningErrors: failed invocations since); Report once assembled (reports.go); events add tasks to it (EventTasks, LastEventAt: rolling.go)
//	run counters           RUN#<id>                        COUNT#<00..15>        workers' counts, sharded against hot-item conflicts
//	commit record          RUN#<id>                        COMMIT#<commitId>     State counted|abandoned: which commit counts the catalog entries stamped Commit=<commitId> (commits.go)
//	skipped / failed file  RUN#<id>                        SKIPPED#/FAILED#<name> a run's file lists with reasons
//	access entry           USER#<userId>                   CONNECTION#/DATASET#/SCHEDULE#<id>  what a user may see, paginated
//	owned counters         USER#<userId>                   OWNED                 Connections, Datasets, Schedules the user created: per-user quotas (owned.go)
//	lease index            LEASES                          DATASET#<id>          RunId: datasets whose lease a run took (StartRun), so ExpireLeases finds expired ones without a Scan (leases.go)
//	run-event outbox       OUTBOX                          RUN#<runId>           a run end not yet announced on the bus: written by the ending transaction, deleted once published (outbox.go)
//	event index            EVENTBUCKET#<bucket>            DATASET#<id>          the event-driven datasets of a source bucket, for the events function; written with the dataset (eventdatasets.go)
//
// <name> in a sort key is fileNameKey(name): the file's name, or, for a name
// over 1,000 bytes (an S3 key may have 1,024), its first 950 bytes at most,
// "#" and a hash of it, as DynamoDB limits a sort key to 1,024 bytes. Such
// items hold the full name in their Name attribute.
//
// A resource, its name claim, references, counters and access entries are
// written in one transaction, so a failure leaves nothing half-written and a
// create that loses a race for its name writes nothing at all.
//
// # Requests
//
// Every expression (condition, update, key condition, filter, projection)
// is composed with feature/dynamodb/expression from named conditions such
// as itemAbsent, atRevision, runIn or leaseHeldBy, and built once, never
// edited (expr.go). A read of every page of a query goes through queryAll,
// which decodes the items with attributevalue; paged lists (queryPage,
// ListFiles) read one page of the API's at a time.
package metadata

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// Store reads and writes the metadata table. It is safe for concurrent use.
type Store struct {
	client *dynamodb.Client
	table  string
	limits quota.Limits // per-user quotas (WithLimits)
	// retention is how long run items are kept (WithRunRetention); clock
	// is time.Now unless a test sets it.
	retention time.Duration
	clock     func() time.Time
}

// New returns a Store on table.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// Attribute names of the key.
const (
	attrPK = "PK"
	attrSK = "SK"
)

// TableInput is the table's definition, shared by the local platform and
// mirrored by the CDK stack (whose tests check they agree).
func TableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
	}
}

// EnsureTable creates table unless it exists, waits until it is active,
// and turns on its time to live (AttrExpiresAt), as the stack does.
func EnsureTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, TableInput(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	return ensureTimeToLive(ctx, client, table)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// Page sizes the API accepts.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// encodeNext turns the sort key a page stopped at into an opaque token.
func encodeNext(last map[string]types.AttributeValue) string {
	sk, ok := last[attrSK].(*types.AttributeValueMemberS)
	if !ok || len(last) == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(sk.Value))
}

// maxNextToken is the longest token encodeNext gives out: the encoding of a
// sort key of maxSortKey bytes.
var maxNextToken = base64.RawURLEncoding.EncodedLen(maxSortKey)

// decodeNext turns a token back into the start key of the partition pk.
// Only the sort key travels in the token, so a token cannot reach into
// another user's partition. It accepts only what encodeNext can give out
// for this list, a sort key of the list's prefix that DynamoDB accepts as
// a key (UTF-8, at most 1,024 bytes): DynamoDB Local takes an oversized
// start key, but DynamoDB refuses the query, which would be a 500.
func decodeNext(pk, token, skPrefix string) (map[string]types.AttributeValue, error) {
	if token == "" {
		return nil, nil
	}
	if len(token) > maxNextToken {
		return nil, errBadNext
	}
	sk, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(sk) > maxSortKey || !utf8.Valid(sk) || !strings.HasPrefix(string(sk), skPrefix) {
		return nil, errBadNext
	}
	return key(pk, string(sk)), nil
}

var errBadNext = apperr.Invalid("next", "is not a token from a previous page of this list")

func pageSize(limit int) int32 {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return int32(limit)
}

// canceledBy returns the cancellation reason codes of a failed transaction, or nil.
func canceledBy(err error) []types.CancellationReason {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return tc.CancellationReasons
	}
	return nil
}

func conditionFailed(r types.CancellationReason) bool {
	return aws.ToString(r.Code) == "ConditionalCheckFailed"
}

// backoff waits before retry attempt n (1, 2, …) of unprocessed batch items.
func backoff(ctx context.Context, n int) error {
	d := time.Duration(1<<min(n, 6)) * 25 * time.Millisecond
	d = d/2 + rand.N(d/2+1) // jitter: writers that collided do not collide again in step
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
