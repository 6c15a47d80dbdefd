package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/policy"
	"github.com/datalake-platform/s3connections/shared/run"
)

// srcFile is one object of a test source bucket.
type srcFile struct {
	key   string
	body  []byte
	class s3types.StorageClass
}

func s3client(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// sourceS3 is the source owner's S3 client: test sources are buckets of
// the source account, as users' sources are buckets of other accounts.
func sourceS3(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return platformlocal.SourceOwnerS3(cfg)
}

// sourceOwner is the source account's S3 and IAM clients.
func sourceOwner(t *testing.T) platformlocal.Owner {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return platformlocal.SourceOwner(cfg)
}

// attach attaches connection id's bucket policy to its bucket, as the
// bucket's owner does once user sends it.
func attach(t *testing.T, user, id string) {
	t.Helper()
	token, err := plat.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platformlocal.AttachConnectionPolicy(context.Background(), plat.APIURL, token, id, sourceOwner(t)); err != nil {
		t.Fatal(err)
	}
}

// connect creates a bucket-policy connection whose policy its bucket's
// owner has attached.
func connect(t *testing.T, user string, body map[string]any) string {
	t.Helper()
	id := mustCreate(t, user, body)
	attach(t, user, id)
	return id
}

// putFiles puts files into bucket (made if need be) as the source owner,
// then waits for the next second, so that a run started now sees them: a
// run ingests what was written before the second it started in
// (rules.Deferred).
func putFiles(t *testing.T, bucket string, files []srcFile) {
	t.Helper()
	putObjects(t, bucket, files)
	if len(files) > 0 {
		nextSecond()
	}
}

// nextSecond waits for the start of the next second.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

// putObjects is putFiles without the wait.
func putObjects(t *testing.T, bucket string, files []srcFile) {
	t.Helper()
	c, ctx := sourceS3(t), context.Background()
	if err := platformlocal.EnsureBucket(ctx, c, bucket, platformlocal.Region); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.key),
			Body: bytes.NewReader(f.body), StorageClass: f.class}); err != nil {
			t.Fatal(err)
		}
	}
}

// keys lists a bucket's keys under prefix.
func keys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	var out []string
	p := s3.NewListObjectsV2Paginator(s3client(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		}
	}
	return out
}

// bigCSV is a valid CSV over the test multipart threshold.
func bigCSV() []byte {
	var b bytes.Buffer
	b.WriteString("id,name,amount\n")
	for i := 0; b.Len() < 6<<20; i++ {
		fmt.Fprintf(&b, "%d,customer %d,%d.50\n", i, i, i%1000)
	}
	return b.Bytes()
}

func sourceFiles() []srcFile {
	csv := func(s string) []byte { return []byte("id,name\n" + s + "\n") }
	return []srcFile{
		{"data/", nil, ""},
		{"data/a.csv", csv("1,a"), ""},
		{"data/sub/b.csv", csv("2,b"), ""},
		{"data/sub dir/ü ñ.csv", csv("3,ü"), ""},
		{"data/empty.csv", nil, ""},
		{"data/ragged.csv", []byte("id,name\n1,a\n2,b,c\n"), ""},
		{"data/notes.txt", []byte("not a csv"), ""},
		{"data/big.csv", bigCSV(), ""},
		{"data/glacier.csv", csv("4,g"), s3types.StorageClassGlacier},
		{"data/deep.CSV", csv("5,d"), s3types.StorageClassDeepArchive},
		{"data/restored.csv", csv("6,r"), s3types.StorageClassGlacier},
	}
}

// runToEnd starts a run of schedule as user and waits for its final record.
func runToEnd(t *testing.T, user, scheduleID string) map[string]any {
	t.Helper()
	status, out := call(t, user, "POST", "/schedules/"+scheduleID+"/run", nil)
	if status != http.StatusAccepted {
		t.Fatalf("run: %d %v", status, out)
	}
	return waitRun(t, user, out["RunId"].(string))
}

func waitRun(t *testing.T, user, runID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, r := call(t, user, "GET", "/runs/"+runID, nil)
		switch r["State"] {
		case "succeeded", "failed", "skipped":
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not end: %v", runID, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// setup creates a connection (at version), a dataset and an on-demand schedule.
func setup(t *testing.T, user, bucket, version, fileType, dir string, skipLZ bool) (datasetID, scheduleID string) {
	t.Helper()
	conn := policyConn(bucket)
	conn["Version"] = version
	cid := mustCreate(t, user, conn)
	if bucket != "no-such-source-bucket" {
		attach(t, user, cid)
	}
	status, ds := call(t, user, "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("ds"), "Domain": uniqueName("tests"), "ConnectionId": cid, "FileType": fileType,
		"DirectoryPath": dir, "SkipLZ": skipLZ,
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	status, sch := call(t, user, "POST", "/schedules", map[string]any{"ScheduleName": "on-demand", "DatasetId": ds["DatasetId"]})
	if status != http.StatusCreated {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	return ds["DatasetId"].(string), sch["ScheduleId"].(string)
}

func counts(r map[string]any) map[string]int {
	out := map[string]int{}
	for _, k := range []string{"Listed", "Matched", "Copied", "SkippedUnchanged", "SkippedStorageClass", "SkippedUnsafeKey", "FailedValidation", "Failed", "Deferred", "Vanished", "TasksPlanned", "TasksDone"} {
		if v, ok := r[k].(float64); ok {
			out[k] = int(v)
		}
	}
	return out
}

func names(list any) []string {
	var out []string
	for _, f := range list.([]any) {
		out = append(out, f.(map[string]any)["Name"].(string))
	}
	slices.Sort(out)
	return out
}

func wantCounts(t *testing.T, r map[string]any, want map[string]int) {
	t.Helper()
	got := counts(r)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (run %v)", k, got[k], v, r)
		}
	}
}

// The engine end to end, for each version, over a bucket with every kind of
// object: exact counts, what landed where, and the reasons.
func TestIngestionByVersion(t *testing.T) {
	bucket := "ingest-by-version"
	putFiles(t, bucket, sourceFiles())
	if err := plat.S3.MarkRestored(bucket, "data/restored.csv"); err != nil {
		t.Fatal(err)
	}
	lz, dlz := plat.Config.LZBucket, plat.Config.DLZBucket

	t.Run("1.6 fails before copying when files are archived", func(t *testing.T) {
		dsID, sch := setup(t, "ingester", bucket, "1.6", "csv", "/data", false)
		r := runToEnd(t, "ingester", sch)
		if r["State"] != "failed" || !strings.Contains(r["Reason"].(string), "3 matched files are in other classes") {
			t.Fatalf("run: %v", r)
		}
		// It listed everything before it failed, and says so.
		wantCounts(t, r, map[string]int{"Listed": 11, "Matched": 9, "TasksPlanned": 0, "Copied": 0})
		if got := names(r["FailedFiles"]); !slices.Equal(got, []string{"deep.CSV", "glacier.csv", "restored.csv"}) {
			t.Errorf("failed files %v", got)
		}
		_, files := call(t, "ingester", "GET", "/datasets/"+dsID+"/files", nil)
		if len(files["Files"].([]any)) != 0 {
			t.Errorf("1.6 run copied files: %v", files)
		}
	})
	t.Run("1.6 copies when every file is Standard", func(t *testing.T) {
		_, sch := setup(t, "ingester", bucket, "1.6", "csv", "data/sub", false)
		r := runToEnd(t, "ingester", sch)
		if r["State"] != "succeeded" {
			t.Fatalf("run: %v", r)
		}
		wantCounts(t, r, map[string]int{"Listed": 1, "Matched": 1, "Copied": 1})
	})

	var dataset17, schedule17 string
	t.Run("1.7 skips archived files and validates the rest", func(t *testing.T) {
		dataset17, schedule17 = setup(t, "ingester", bucket, "1.7", "csv", "data/", false)
		r := runToEnd(t, "ingester", schedule17)
		wantCounts(t, r, map[string]int{"Listed": 11, "Matched": 9, "Copied": 5, "SkippedStorageClass": 2,
			"FailedValidation": 2, "Failed": 0, "SkippedUnchanged": 0, "TasksPlanned": 9, "TasksDone": 9})
		if r["State"] != "succeeded" {
			t.Errorf("state %v: %v", r["State"], r["Reason"])
		}
		if got := names(r["SkippedFiles"]); !slices.Equal(got, []string{"deep.CSV", "glacier.csv"}) {
			t.Errorf("skipped %v", got)
		}
		if got := names(r["FailedFiles"]); !slices.Equal(got, []string{"empty.csv", "ragged.csv"}) {
			t.Errorf("failed %v", got)
		}
		prefix := fmt.Sprintf("%s/upload_date=", datasetName(t, dataset17))
		inDLZ, inLZ := stripPartition(keys(t, dlz, prefix)), stripPartition(keys(t, lz, prefix))
		if want := []string{"a.csv", "big.csv", "restored.csv", "sub dir/ü ñ.csv", "sub/b.csv"}; !slices.Equal(inDLZ, want) {
			t.Errorf("DLZ holds %v, want %v", inDLZ, want)
		}
		if want := []string{"empty.csv", "ragged.csv"}; !slices.Equal(inLZ, want) {
			t.Errorf("LZ holds %v, want %v", inLZ, want)
		}
		// BytesCopied is the size of the Copied files, not of those that
		// failed validation (ragged.csv is 17 bytes).
		var copiedBytes int
		for _, f := range sourceFiles() {
			if slices.Contains(inDLZ, strings.TrimPrefix(f.key, "data/")) {
				copiedBytes += len(f.body)
			}
		}
		if r["BytesCopied"] != float64(copiedBytes) {
			t.Errorf("BytesCopied %v, want %d, the size of the 5 copied files", r["BytesCopied"], copiedBytes)
		}
		wantRunEndedLogged(t, r)
	})
	t.Run("1.7 re-run copies nothing", func(t *testing.T) {
		r := runToEnd(t, "ingester", schedule17)
		wantCounts(t, r, map[string]int{"Matched": 9, "SkippedUnchanged": 7, "Copied": 0, "SkippedStorageClass": 2})
	})
	t.Run("1.7 changed and renamed files are copied again", func(t *testing.T) {
		putFiles(t, bucket, []srcFile{{"data/a.csv", []byte("id,name\n1,changed\n"), ""}, {"data/a-copy.csv", []byte("id,name\n1,a\n"), ""}})
		r := runToEnd(t, "ingester", schedule17)
		wantCounts(t, r, map[string]int{"Matched": 10, "SkippedUnchanged": 6, "Copied": 2, "SkippedStorageClass": 2})
		_, files := call(t, "ingester", "GET", "/datasets/"+dataset17+"/files", nil)
		for _, f := range files["Files"].([]any) {
			f := f.(map[string]any)
			if f["Name"] == "a.csv" && (f["Size"].(float64) != 18 || f["State"] != "in_dlz") {
				t.Errorf("catalog has the old a.csv: %v", f)
			}
		}
	})
	t.Run("1.8 skip-LZ goes straight to the DLZ", func(t *testing.T) {
		dsID, sch := setup(t, "ingester", bucket, "1.8", "csv", "data/", true)
		r := runToEnd(t, "ingester", sch)
		wantCounts(t, r, map[string]int{"Matched": 10, "Copied": 8, "SkippedStorageClass": 2, "FailedValidation": 0})
		prefix := fmt.Sprintf("%s/", datasetName(t, dsID))
		if got := keys(t, lz, prefix); len(got) != 0 {
			t.Errorf("skip-LZ dataset wrote to the LZ: %v", got)
		}
		if got := keys(t, dlz, prefix); len(got) != 8 {
			t.Errorf("DLZ holds %d files, want 8: %v", len(got), got)
		}
	})
}

func datasetName(t *testing.T, id string) string {
	t.Helper()
	_, d := call(t, "ingester", "GET", "/datasets/"+id, nil)
	return d["Domain"].(string) + "/" + d["DatasetName"].(string)
}

// stripPartition drops the upload_date=<n>/ part of keys and sorts them.
func stripPartition(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k[strings.Index(k, "/")+1:]
	}
	slices.Sort(out)
	return out
}

// Two run requests at once for one dataset start exactly one run.
func TestConcurrentRunRequestsStartOneRun(t *testing.T) {
	putFiles(t, "concurrent-runs", []srcFile{{"x/1.csv", []byte("a\n1\n"), ""}})
	_, sch := setup(t, "racer", "concurrent-runs", "1.8", "csv", "x/", false)
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = call(t, "racer", "POST", "/schedules/"+sch+"/run", nil)
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[202] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v, want one 202 and %d 409", count, n-1)
	}
	_, runs := call(t, "racer", "GET", "/schedules/"+sch+"/runs", nil)
	if len(runs["Runs"].([]any)) != 1 {
		t.Fatalf("runs: %v", runs)
	}
	waitRun(t, "racer", runs["Runs"].([]any)[0].(map[string]any)["RunId"].(string))
}

// A schedule fires by itself at the time its expression says.
func TestScheduleFiresByItself(t *testing.T) {
	putFiles(t, "fires-by-itself", []srcFile{{"in/1.json", []byte(`{"a":1}`), ""}})
	conn := connect(t, "timer", policyConn("fires-by-itself"))
	_, ds := call(t, "timer", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("timed"), "Domain": uniqueName("tests"), "ConnectionId": conn, "FileType": "json", "DirectoryPath": "in/",
	})
	// An at() one to two seconds ahead. Set after its time (a slow
	// machine), it would never fire, and the API refuses it (400): then
	// set a later one.
	at := func() (time.Time, string) {
		at := time.Now().Truncate(time.Second).Add(2 * time.Second)
		return at, "at(" + at.UTC().Format("2006-01-02T15:04:05") + ")"
	}
	var when time.Time
	status, sch := call(t, "timer", "POST", "/schedules", map[string]any{"ScheduleName": "soon", "DatasetId": ds["DatasetId"]})
	if status != 201 {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	for try := 1; ; try++ {
		if try > 10 {
			t.Fatalf("no at() set before its time in %d tries", try-1)
		}
		var expr string
		when, expr = at()
		status, out := call(t, "timer", "PUT", "/schedules/"+sch["ScheduleId"].(string), map[string]any{"ScheduleExpression": expr})
		if status == http.StatusOK && time.Now().Before(when) {
			break
		}
		if status != http.StatusOK && (status != http.StatusBadRequest || out["Field"] != "ScheduleExpression") {
			t.Fatalf("schedule update: %d %v", status, out)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, runs := call(t, "timer", "GET", "/schedules/"+sch["ScheduleId"].(string)+"/runs", nil)
		// The first firing (an at() replaced too late may have fired too).
		if list := runs["Runs"].([]any); len(list) > 0 {
			r := waitRun(t, "timer", list[len(list)-1].(map[string]any)["RunId"].(string))
			if r["Trigger"] != "schedule" || r["State"] != "succeeded" {
				t.Fatalf("scheduled run: %v", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no run appeared")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// A run of more objects than one listing page, with one page per planner
// invocation: the continuation chain plans every object exactly once.
func TestContinuationChainPlansEveryObjectOnce(t *testing.T) {
	const n = 1000 + 234 // two listing pages
	files := make([]srcFile, n)
	for i := range files {
		files[i] = srcFile{key: fmt.Sprintf("many/%05d.txt", i), body: []byte(fmt.Sprint(i))}
	}
	putFilesParallel(t, "continuation-chain", files)
	_, sch := setup(t, "chainer", "continuation-chain", "1.8", "txt", "many/", true)
	r := runToEnd(t, "chainer", sch)
	wantCounts(t, r, map[string]int{"Listed": n, "Matched": n, "TasksPlanned": n, "TasksDone": n, "Copied": n})
	if r["State"] != "succeeded" {
		t.Fatalf("run: %v", r)
	}
	r = runToEnd(t, "chainer", sch)
	wantCounts(t, r, map[string]int{"Listed": n, "SkippedUnchanged": n, "TasksPlanned": 0, "Copied": 0})
}

func putFilesParallel(t *testing.T, bucket string, files []srcFile) {
	t.Helper()
	putObjects(t, bucket, nil)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []srcFile
			for i := w; i < len(files); i += 16 {
				mine = append(mine, files[i])
			}
			putObjects(t, bucket, mine)
		}()
	}
	wg.Wait()
	nextSecond()
}

// A scheduled firing while a run of the dataset is in progress is recorded
// as skipped, naming the run; once that run ends, the next firing runs.
func TestScheduledFiringDuringARunIsSkipped(t *testing.T) {
	ctx := context.Background()
	_, sch := setup(t, "skipper", platformlocal.DemoBucket, "1.8", "json", "events/", false)
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := metadata.New(dynamodb.NewFromConfig(awsCfg), plat.Config.Table)
	s, err := store.GetSchedule(ctx, sch)
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := run.New(s, run.OnDemand, "skipper", time.Now())
	if err := store.StartRun(ctx, holder, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fire := func() {
		if _, err := plat.Runtime.Invoke(ctx, plat.Names.PlannerFunction,
			loadFixture(t, "planner", "scheduled-run", map[string]string{fixtureSchedule: sch})); err != nil {
			t.Fatal(err)
		}
	}
	fire()
	_, runs := call(t, "skipper", "GET", "/schedules/"+sch+"/runs", nil)
	newest := runs["Runs"].([]any)[0].(map[string]any)
	if newest["State"] != "skipped" || !strings.Contains(newest["Reason"].(string), holder.RunId) {
		t.Fatalf("firing during a run: %v", newest)
	}
	if err := store.FinishRun(ctx, holder, run.Failed, "test over"); err != nil {
		t.Fatal(err)
	}
	fire()
	_, runs = call(t, "skipper", "GET", "/schedules/"+sch+"/runs", nil)
	if list := runs["Runs"].([]any); len(list) != 3 || waitRun(t, "skipper", list[0].(map[string]any)["RunId"].(string))["State"] != "succeeded" {
		t.Fatalf("runs: %v", runs)
	}
}

// An access-keys connection copies by streaming with the source's keys (a
// multipart upload for a file over the part size): the platform's own
// credentials cannot read that bucket.
func TestAccessKeysConnectionStreams(t *testing.T) {
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.Credentials = credentials.NewStaticCredentialsProvider(platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey, "")
	})
	// The source account's owner creates the bucket and lets the demo
	// IAM user of that account read and write it: no one else may.
	const bucket = "keys-only-source"
	if err := platformlocal.EnsureBucket(ctx, sourceS3(t), bucket, platformlocal.Region); err != nil {
		t.Fatal(err)
	}
	user := "arn:aws:iam::" + platformlocal.SourceAccount + ":user/demo-reader"
	if err := platformlocal.MergeBucketPolicy(ctx, sourceS3(t), bucket, policy.Document{Version: policy.Version, Statement: policy.Statements{
		{Sid: "DemoUserLists", Effect: policy.Allow, Principal: policy.Principal{"AWS": {user}}, Action: policy.Strings{"s3:ListBucket"}, Resource: policy.Strings{"arn:aws:s3:::" + bucket}},
		{Sid: "DemoUserReadsAndWrites", Effect: policy.Allow, Principal: policy.Principal{"AWS": {user}}, Action: policy.Strings{"s3:GetObject", "s3:PutObject"}, Resource: policy.Strings{"arn:aws:s3:::" + bucket + "/*"}},
	}}); err != nil {
		t.Fatal(err)
	}
	big := bigCSV()
	for key, body := range map[string][]byte{"in/small.csv": []byte("a,b\n1,2\n"), "in/big.csv": big} {
		if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	nextSecond()
	cid := mustCreate(t, "streamer", keysConn(bucket, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey))
	_, ds := call(t, "streamer", "POST", "/datasets", map[string]any{
		"DatasetName": uniqueName("streamed"), "Domain": uniqueName("tests"), "ConnectionId": cid, "FileType": "csv", "DirectoryPath": "in/",
	})
	_, sch := call(t, "streamer", "POST", "/schedules", map[string]any{"ScheduleName": "s", "DatasetId": ds["DatasetId"]})
	r := runToEnd(t, "streamer", sch["ScheduleId"].(string))
	wantCounts(t, r, map[string]int{"Matched": 2, "Copied": 2, "Failed": 0})
	if r["BytesCopied"].(float64) != float64(len(big)+8) {
		t.Errorf("bytes copied %v, want %d", r["BytesCopied"], len(big)+8)
	}
	prefix := fmt.Sprintf("%s/%s/", ds["Domain"], ds["DatasetName"])
	got := keys(t, plat.Config.DLZBucket, prefix)
	if len(got) != 2 {
		t.Fatalf("DLZ holds %v", got)
	}
	// Streamed copies (one PutObject, a multipart upload for big.csv) are
	// recorded with the source's checksum.
	sums := sourceChecksums(t, bucket, []srcFile{{key: "in/small.csv"}, {key: "in/big.csv"}})
	_, listing := call(t, "streamer", "GET", "/datasets/"+ds["DatasetId"].(string)+"/files", nil)
	for _, e := range listing["Files"].([]any) {
		e := e.(map[string]any)
		if want := sums["in/"+fmt.Sprint(e["Name"])]; want == "" || e["Checksum"] != want {
			t.Errorf("streamed %v: Checksum %v, want the source's %s", e["Name"], e["Checksum"], want)
		}
	}
	for _, k := range got {
		if strings.HasSuffix(k, "big.csv") {
			out, err := s3client(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(plat.Config.DLZBucket), Key: aws.String(prefix + k)})
			if err != nil {
				t.Fatal(err)
			}
			copied, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(copied, big) {
				t.Fatalf("big.csv arrived with %d bytes, want %d identical", len(copied), len(big))
			}
		}
	}
}

// A source that cannot be reached for good (a bucket that does not exist)
// fails the run at once with the reason; only transient errors are left
// to Lambda's retries.
func TestRunOnAMissingBucketFailsWithTheReason(t *testing.T) {
	_, sch := setup(t, "missing", "no-such-source-bucket", "1.8", "csv", "", false)
	start := time.Now()
	r := runToEnd(t, "missing", sch)
	reason, _ := r["Reason"].(string)
	if r["State"] != "failed" || !strings.Contains(reason, "no-such-source-bucket") {
		t.Fatalf("run %v %q, want failed naming the bucket", r["State"], reason)
	}
	// Taken for a transient error, it would have failed only after Lambda's
	// retries of the planner. (Not a bound on the time the run took, which
	// a loaded machine stretches, and which with the local one-second
	// retry delay tells little.)
	if strings.Contains(reason, "planner invocations in a row") {
		t.Errorf("the run failed after Lambda's retries (%q): retried as if transient", reason)
	}
	t.Logf("the run failed in %s", time.Since(start).Round(time.Millisecond))
}
