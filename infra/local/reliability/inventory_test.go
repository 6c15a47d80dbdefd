package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/inventorygen"
	"github.com/datalake-platform/s3connections/shared/inventory"
)

// A dataset with an Inventory is planned from its source's newest complete
// inventory report, CSV or Parquet, with no listing of the source at all
// (counted at the local S3, by bucket): every file of the report under its
// DirectoryPath is copied, those outside it are not, nor one written after
// the report (the next report has it). The report is in its own bucket,
// which the owner opens to the connection with the policy the platform
// generates for it. A report that does not match its checksum fails the
// run with the reason; an inventory bucket of the platform's own account
// is refused, by name at the API and by ownership at the run's start.
func TestInventoryDrivenRun(t *testing.T) {
	noFaults(t)
	t.Run("Parquet", func(t *testing.T) { inventoryDrivenRun(t, "Parquet", 300) })
	f, invBucket, loc, folder := inventoryDrivenRun(t, "CSV", 2000)
	ctx := context.Background()

	// A manifest that does not match its checksum fails the run, saying so.
	if _, err := f.source.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(invBucket), Key: aws.String(folder + "manifest.checksum"),
		Body: strings.NewReader(strings.Repeat("0", 32))}); err != nil {
		t.Fatal(err)
	}
	if r := f.run(t); r["State"] != "failed" || !strings.Contains(fmt.Sprint(r["Reason"]), "does not match manifest.checksum") {
		t.Errorf("run on a bad manifest: %v", r)
	}

	// The platform's buckets: by name at the API, by owner at the run.
	status, out := api(t, f.user, "PUT", "/datasets/"+f.datasetID, map[string]any{"Inventory": map[string]any{"Bucket": plat.Config.DLZBucket, "Prefix": loc.Prefix}})
	if status != http.StatusBadRequest || out["Field"] != "Inventory.Bucket" {
		t.Errorf("inventory in the DLZ bucket: %d %v", status, out)
	}
	owned := fmt.Sprintf("reliability-platform-owned-%d", next())
	if _, err := s3c(t).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(owned)}); err != nil {
		t.Fatal(err)
	}
	f.setInventory(t, inventory.Location{Bucket: owned, Prefix: loc.Prefix}, http.StatusOK)
	if r := f.run(t); r["State"] != "failed" || !strings.Contains(fmt.Sprint(r["Reason"]), "platform's own account") {
		t.Errorf("run on a platform-owned inventory bucket: %v", r)
	}
}

// inventoryDrivenRun delivers a report in format of a dataset of n files,
// runs the dataset and checks the run planned from it alone.
func inventoryDrivenRun(t *testing.T, format string, n int) (*fixture, string, inventory.Location, string) {
	t.Helper()
	f := newFixture(t, n, 0, true, false)
	ctx := context.Background()
	invBucket := strings.Replace(f.bucket, "source", "inventory", 1)
	if _, err := f.source.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(invBucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.source.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String("elsewhere/x.csv"), Body: strings.NewReader("a\n1\n")}); err != nil {
		t.Fatal(err)
	}
	loc := inventorygen.Location(invBucket, "inventory", f.bucket, "daily")
	folder, listed, err := inventorygen.GenerateFormat(ctx, f.source, f.bucket, loc, time.Now().UTC(), format)
	if err != nil || listed != n+1 {
		t.Fatalf("%s inventory of %d objects: %v", format, listed, err)
	}
	if err := f.put("late.csv", smallCSV(n+1)); err != nil { // after the report: the next one has it
		t.Fatal(err)
	}
	f.setInventory(t, loc, http.StatusOK)
	f.attachInventoryPolicy(t, invBucket)

	before := plat.Faults.S3.Counts().ByBucket
	r := f.run(t)
	after := plat.Faults.S3.Counts().ByBucket
	f.checkFirstRun(t, r)
	if d := after["ListObjectsV2 "+f.bucket] - before["ListObjectsV2 "+f.bucket]; d != 0 {
		t.Errorf("%d ListObjectsV2 calls on the source bucket, want 0", d)
	}
	if after["ListObjectsV2 "+invBucket] == before["ListObjectsV2 "+invBucket] || after["GetObject "+invBucket] == before["GetObject "+invBucket] {
		t.Errorf("the inventory was not read: %v", after)
	}
	if _, ok := f.catalog(t)["late.csv"]; ok {
		t.Error("late.csv, written after the report, was ingested")
	}
	return f, invBucket, loc, folder
}

// setInventory sets the dataset's Inventory through the API.
func (f *fixture) setInventory(t *testing.T, loc inventory.Location, want int) {
	t.Helper()
	status, out := api(t, f.user, "PUT", "/datasets/"+f.datasetID, map[string]any{"Inventory": loc})
	if status != want {
		t.Fatalf("set inventory %+v: %d %v", loc, status, out)
	}
}

// attachInventoryPolicy plays the owner: it sets the inventory bucket's
// policy that the platform generates for the connection.
func (f *fixture) attachInventoryPolicy(t *testing.T, bucket string) {
	t.Helper()
	_, ds := api(t, f.user, "GET", "/datasets/"+f.datasetID, nil)
	_, pols := api(t, f.user, "GET", "/connections/"+ds["ConnectionId"].(string)+"/policies", nil)
	doc, ok := pols["InventoryBucketPolicies"].(map[string]any)[bucket]
	if !ok {
		t.Fatalf("no policy for inventory bucket %s: %v", bucket, pols)
	}
	raw, _ := json.Marshal(doc)
	if _, err := f.source.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(raw))}); err != nil {
		t.Fatal(err)
	}
}
