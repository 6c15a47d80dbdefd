package platformlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// The demo source buckets: each shows one thing a user meets in practice.
const (
	// DemoBucket stands for a bucket whose owner attached the generated
	// bucket policy of DemoUser's connection DemoConnection (at start):
	// that connection reads it, another one must have its own policy
	// attached too.
	DemoBucket = "s3connections-demo-source"
	// DemoKeysBucket only the demo access key may read: use it with an
	// access_keys connection (a bucket_policy connection gets access denied).
	DemoKeysBucket = "s3connections-demo-keys"
	// DemoEUBucket lives in eu-west-1: a connection that names another
	// region is told the right one.
	DemoEUBucket = "s3connections-demo-eu"
	// DemoOptInBucket lives in eu-south-1, an opt-in region the local
	// platform does not enable.
	DemoOptInBucket = "s3connections-demo-milan"
	// DemoRequesterPaysBucket is a Requester Pays bucket: a connection to
	// it must say RequesterPays, else S3 refuses its requests.
	DemoRequesterPaysBucket = "s3connections-demo-requester-pays"

	// DemoUser owns DemoConnection (bucket policy) and DemoRoleConnection
	// (assume role, through the source owner's role DemoRole), made at start.
	DemoUser           = "alice"
	DemoConnection     = "demo-source"
	DemoRoleConnection = "demo-role"
	DemoRole           = "s3connections-demo-role"

	// DemoAccessKeyID and DemoSecretAccessKey are the keys of an IAM user
	// of the source account that may read and write DemoKeysBucket only.
	DemoAccessKeyID     = "AKIADEMOSOURCE000001"
	DemoSecretAccessKey = "demo-source-secret-key-0000000000000000"
)

// demoFile is one seeded object.
type demoFile struct {
	key   string
	class s3types.StorageClass
	body  string
}

// parquet is a file with Parquet's magic bytes at both ends.
const parquet = "PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00PAR1"

// DemoFiles are the objects of DemoBucket, by key: CSV/JSON/Parquet files
// under a few prefixes, some archived, some that fail validation, and a
// folder marker.
var DemoFiles = []demoFile{
	{"sales/", "", ""},
	{"sales/2026/01/orders.csv", "", "order_id,customer,amount\n1,acme,10.50\n2,globex,99.00\n"},
	{"sales/2026/02/orders.csv", "", "order_id,customer,amount\n3,initech,12.00\n4,acme,7.25\n"},
	{"sales/2026/03/orders.CSV", "", "order_id,customer,amount\n5,umbrella,1.00\n"},
	{"sales/2026/04/orders-bad.csv", "", "order_id,customer,amount\n6,acme\n7,globex,3.00,extra\n"},
	{"sales/archive/2019/orders.csv", s3types.StorageClassGlacier, "order_id,customer,amount\n0,old,1.00\n"},
	{"sales/archive/2018/orders.csv", s3types.StorageClassDeepArchive, "order_id,customer,amount\n0,older,1.00\n"},
	{"events/2026-11-01.json", "", `{"event":"login","user":"alice"}` + "\n" + `{"event":"logout","user":"alice"}` + "\n"},
	{"events/2026-11-02.json", "", `[{"event":"login","user":"bob"}]`},
	{"events/broken.json", "", `{"event":"login",`},
	{"events/archive/2025-12-31.json", s3types.StorageClassGlacier, `{"event":"old"}`},
	{"metrics/part-00000.parquet", "", parquet},
	{"metrics/part-00001.parquet", s3types.StorageClassDeepArchive, parquet},
	{"metrics/tiered/part-00002.parquet", s3types.StorageClassIntelligentTiering, parquet},
	{"reports/summary.tsv", "", "region\ttotal\nnorth\t10\nsouth\t20\n"},
	{"reports/readme.txt", "", "Demo source bucket of the S3 Connections local platform.\n"},
}

// seedDemo creates the demo buckets and files once, as the source account's
// owner (later starts keep them), and DemoUser's connections to DemoBucket
// with their policies attached.
func (p *Platform) seedDemo(ctx context.Context) error {
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return err
	}
	if err := seedBuckets(ctx, cfg); err != nil {
		return err
	}
	if err := p.seedDemoConnections(ctx, SourceOwner(cfg)); err != nil {
		return err
	}
	// The demo buckets' owner forwards their Object Created events to the
	// platform, as `make source-events` does for any bucket.
	for _, b := range []string{DemoBucket, DemoKeysBucket} {
		if err := SourceEvents(ctx, SourceOwner(cfg), b, p.InboundBusARN(), SourceAccount); err != nil {
			return err
		}
	}
	// A run ingests what was written before the second it started in
	// (rules.Deferred): the demo files are older than any run.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	return nil
}

func seedBuckets(ctx context.Context, cfg aws.Config) error {
	own := SourceOwnerS3(cfg)
	demo := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.Credentials = credentials.NewStaticCredentialsProvider(DemoAccessKeyID, DemoSecretAccessKey, "")
	})
	buckets := []struct {
		name, region string
		client       *s3.Client
		files        []demoFile
	}{
		{DemoBucket, Region, own, DemoFiles},
		{DemoKeysBucket, Region, demo, DemoFiles[:4]}, // the demo user's keys fill it: they can
		{DemoEUBucket, "eu-west-1", own, DemoFiles[:3]},
		{DemoOptInBucket, "eu-south-1", own, DemoFiles[:3]},
		{DemoRequesterPaysBucket, Region, own, DemoFiles[:3]},
	}
	for _, b := range buckets {
		if err := EnsureBucket(ctx, own, b.name, b.region); err != nil {
			return err
		}
		inRegion := func(o *s3.Options) { o.Region = b.region }
		list, err := b.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), MaxKeys: aws.Int32(1)}, inRegion)
		if err != nil {
			return fmt.Errorf("list demo bucket %s: %w", b.name, err)
		}
		if len(list.Contents) > 0 {
			continue // seeded by an earlier start
		}
		if b.name == DemoRequesterPaysBucket {
			if _, err := own.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: aws.String(b.name),
				RequestPaymentConfiguration: &s3types.RequestPaymentConfiguration{Payer: s3types.PayerRequester}}); err != nil {
				return fmt.Errorf("make %s Requester Pays: %w", b.name, err)
			}
		}
		for _, f := range b.files {
			in := &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(f.key), Body: bytes.NewReader([]byte(f.body)), StorageClass: f.class}
			if strings.HasSuffix(f.key, ".csv") || strings.HasSuffix(f.key, ".tsv") {
				in.ContentType = aws.String("text/csv")
			}
			if _, err := b.client.PutObject(ctx, in, inRegion); err != nil {
				return fmt.Errorf("seed s3://%s/%s: %w", b.name, f.key, err)
			}
		}
	}
	return nil
}

// demoConnections are DemoUser's connections made at start, by name: one
// through the bucket's policy, one through the owner's role.
func demoConnections() map[string]map[string]any {
	return map[string]map[string]any{
		DemoConnection: {"S3Bucket": DemoBucket, "ConnectionAccessType": "bucket_policy", "S3BucketOwner": SourceAccount,
			"Description": "the demo bucket through its bucket policy, made at start"},
		DemoRoleConnection: {"S3Bucket": DemoBucket, "ConnectionAccessType": "assume_role", "RoleArn": DemoRoleARN(),
			"Description": "the demo bucket through its owner's role, made at start"},
	}
}

// DemoRoleARN is the source owner's role DemoRoleConnection assumes.
func DemoRoleARN() string { return "arn:aws:iam::" + SourceAccount + ":role/" + DemoRole }

// seedDemoConnections makes DemoUser's demo connections (once) and
// attaches their policies, as the bucket's owner would.
func (p *Platform) seedDemoConnections(ctx context.Context, owner Owner) error {
	token, err := p.Token(DemoUser)
	if err != nil {
		return err
	}
	var page struct {
		Connections []struct{ ConnectionId, ConnectionName string }
	}
	if err := getJSON(ctx, p.APIURL+"/connections?limit=100", token, &page); err != nil {
		return err
	}
	ids := map[string]string{}
	for _, c := range page.Connections {
		ids[c.ConnectionName] = c.ConnectionId
	}
	for name, body := range demoConnections() {
		id := ids[name]
		if id == "" {
			body["ConnectionName"] = name
			if id, err = createConnection(ctx, p.APIURL, token, body); err != nil {
				return err
			}
		}
		if _, err := AttachConnectionPolicy(ctx, p.APIURL, token, id, owner); err != nil {
			return fmt.Errorf("demo connection %s: %w", name, err)
		}
	}
	return nil
}

func createConnection(ctx context.Context, apiURL, token string, body map[string]any) (string, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/connections", bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ ConnectionId, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create the demo connection %s: %d %s %v", body["ConnectionName"], resp.StatusCode, out.Message, err)
	}
	return out.ConnectionId, nil
}
