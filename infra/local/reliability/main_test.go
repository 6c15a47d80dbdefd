package reliability

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/datalake-platform/s3connections/infra/local/faults"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/platform"
)

var (
	plat      *platformlocal.Platform
	logs      = &syncBuffer{}
	responses = &syncBuffer{} // every API response body, for the secret scan
	// tally sums what the tests checked, for the summary TestMain prints.
	tally struct {
		sync.Mutex
		runs, files, lost, duplicated int
	}
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	var err error
	plat, err = platformlocal.Start(context.Background(), platformlocal.Options{
		Seed: true, Faults: true,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// Multipart copies for the 6 MiB files, and one listing page per
		// planner invocation: every run is a continuation chain.
		PartSize: 5 << 20, CopyThreshold: 5 << 20, PlannerBudget: time.Nanosecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local platform:", err)
		os.Exit(1)
	}
	code := m.Run()
	plat.Close()
	var injected faults.Counts
	for _, in := range []*faults.Injector{plat.Faults.S3, plat.Faults.DynamoDB, plat.Faults.SQS} {
		c := in.Counts()
		injected.Requests += c.Requests
		injected.Delayed += c.Delayed
		for f, n := range c.Injected {
			if injected.Injected == nil {
				injected.Injected = map[faults.Fault]int64{}
			}
			injected.Injected[f] += n
		}
	}
	fmt.Printf("reliability: %d function requests, %d faults injected %v, %d delayed; %d runs checked, %d files, %d lost, %d duplicated\n",
		injected.Requests, injected.Total(), injected.Injected, injected.Delayed, tally.runs, tally.files, tally.lost, tally.duplicated)
	for _, secret := range []string{platformlocal.DemoSecretAccessKey, platformlocal.SecretAccessKey} {
		if strings.Contains(logs.String(), secret) || strings.Contains(responses.String(), secret) {
			fmt.Fprintln(os.Stderr, "a log line or response body holds a secret access key")
			code = 1
		}
	}
	if code != 0 || os.Getenv("S3C_DUMP_LOGS") != "" {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
	os.Exit(code)
}

// noFaults restores a healthy platform after a test.
func noFaults(t *testing.T) {
	t.Cleanup(func() {
		plat.Faults.Set(faults.Config{})
		plat.SetDuplicateDeliveries(false)
	})
}

// api sends one request as user and decodes the JSON answer.
func api(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, plat.APIURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := plat.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	responses.Write(raw)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

func s3As(t *testing.T, keyID, secret string) *s3.Client {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.Credentials = credentials.NewStaticCredentialsProvider(keyID, secret, "")
	})
}

// s3c is an S3 client of the tests themselves: the injectors leave it alone.
func s3c(t *testing.T) *s3.Client {
	return s3As(t, platformlocal.AccessKeyID, platformlocal.SecretAccessKey)
}

// fixture is a source of CSV files with a dataset and an on-demand
// schedule over it, and what the source holds now.
type fixture struct {
	user, bucket, prefix   string
	datasetID, datasetName string
	scheduleID             string
	files                  map[string][]byte // name (key without prefix) -> content
	source                 *s3.Client
}

var seq struct {
	sync.Mutex
	n int
}

func next() int {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return seq.n
}

// smallCSV is file i's content: a few valid CSV lines.
func smallCSV(i int) []byte {
	return []byte(fmt.Sprintf("id,name,amount\n%d,name %d,%d.25\n", i, i, i%97))
}

// bigCSV is a valid CSV above the 5 MiB multipart threshold.
func bigCSV(i int) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,amount\n")
	for n := 0; b.Len() < 6<<20; n++ {
		fmt.Fprintf(&b, "%d,file %d row %d,%d.50\n", n, i, n, n%1000)
	}
	return b.Bytes()
}

// newFixture puts small and big CSV files in a new source and creates a
// 1.8 connection (bucket policy, or the demo access keys with keys=true),
// a dataset that goes through the LZ unless skipLZ, and a schedule.
func newFixture(t *testing.T, small, big int, skipLZ, keys bool) *fixture {
	t.Helper()
	n := next()
	f := &fixture{user: fmt.Sprintf("reliability-%d", n), files: map[string][]byte{}, prefix: "in/"}
	ctx := context.Background()
	conn := map[string]any{"ConnectionName": fmt.Sprintf("rel-%d", n), "Version": "1.8"}
	if keys {
		f.bucket, f.prefix = platformlocal.DemoKeysBucket, fmt.Sprintf("reliability-%d/", n)
		f.source = s3As(t, platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey)
		conn["ConnectionAccessType"], conn["AccessKeyId"], conn["SecretAccessKey"] = "access_keys", platformlocal.DemoAccessKeyID, platformlocal.DemoSecretAccessKey
	} else {
		// A bucket of the source account, whose owner attaches the
		// connection's policy once it exists.
		f.bucket, f.source = fmt.Sprintf("reliability-source-%d", n), s3As(t, platformlocal.SourceAccessKeyID, platformlocal.SourceSecretAccessKey)
		if _, err := f.source.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(f.bucket)}); err != nil {
			t.Fatal(err)
		}
		conn["ConnectionAccessType"] = "bucket_policy"
	}
	conn["S3Bucket"] = f.bucket
	for i := range small {
		f.files[fmt.Sprintf("f%05d.csv", i)] = smallCSV(i)
	}
	for i := range big {
		f.files[fmt.Sprintf("big/b%02d.csv", i)] = bigCSV(i)
	}
	f.putAll(t)

	status, c := api(t, f.user, "POST", "/connections", conn)
	if status != http.StatusCreated {
		t.Fatalf("connection: %d %v", status, c)
	}
	if !keys {
		token, err := plat.Token(f.user)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := platformlocal.AttachConnectionPolicy(ctx, plat.APIURL, token, c["ConnectionId"].(string), platformlocal.Owner{S3: f.source}); err != nil {
			t.Fatal(err)
		}
	}
	f.datasetName = fmt.Sprintf("reliability%d", n)
	status, ds := api(t, f.user, "POST", "/datasets", map[string]any{
		"DatasetName": f.datasetName, "Domain": f.domain(), "ConnectionId": c["ConnectionId"], "FileType": "csv",
		"DirectoryPath": f.prefix, "SkipLZ": skipLZ,
	})
	if status != http.StatusCreated {
		t.Fatalf("dataset: %d %v", status, ds)
	}
	f.datasetID = ds["DatasetId"].(string)
	status, sch := api(t, f.user, "POST", "/schedules", map[string]any{"ScheduleName": "on-demand", "DatasetId": f.datasetID})
	if status != http.StatusCreated {
		t.Fatalf("schedule: %d %v", status, sch)
	}
	f.scheduleID = sch["ScheduleId"].(string)
	return f
}

// domain is the fixture's own domain: a domain belongs to the user who
// made its first dataset, and each fixture has its own user.
func (f *fixture) domain() string { return "reliability-" + f.user }

// putAll writes the fixture's files, 16 at a time.
func (f *fixture) putAll(t *testing.T) {
	t.Helper()
	names := make(chan string)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range names {
				if err := f.put(n, f.files[n]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for n := range f.files {
		names <- n
	}
	close(names)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	nextSecond() // a run started now sees them (rules.Deferred)
}

// nextSecond waits for the start of the next second: a run ingests what
// was written before the second it started in.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

func (f *fixture) put(name string, body []byte) error {
	_, err := f.source.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(f.bucket), Key: aws.String(f.prefix + name), Body: bytes.NewReader(body),
	})
	return err
}

// start triggers a run and returns its id.
func (f *fixture) start(t *testing.T) string {
	t.Helper()
	status, out := api(t, f.user, "POST", "/schedules/"+f.scheduleID+"/run", nil)
	if status != http.StatusAccepted {
		t.Fatalf("run: %d %v", status, out)
	}
	return out["RunId"].(string)
}

// wait polls a run until it ends and returns its final record.
func (f *fixture) wait(t *testing.T, runID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		_, r := api(t, f.user, "GET", "/runs/"+runID, nil)
		switch r["State"] {
		case "succeeded", "failed", "skipped":
			tally.Lock()
			tally.runs++
			tally.Unlock()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s did not end: %v", runID, r)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (f *fixture) run(t *testing.T) map[string]any {
	t.Helper()
	return f.wait(t, f.start(t))
}

// wantCounts compares a run's counts (absent counts are 0).
func wantCounts(t *testing.T, r map[string]any, want map[string]int) {
	t.Helper()
	for k, v := range want {
		got, _ := r[k].(float64)
		if int(got) != v {
			t.Errorf("run %s = %v, want %d (run %v)", k, r[k], v, r)
		}
	}
}

// checkFirstRun requires the run that first ingested the fixture to have
// succeeded with exact counts, and the dataset to hold exactly the source's
// files: one catalog entry and one DLZ object per file, with the source's
// bytes, and nothing left in the LZ.
func (f *fixture) checkFirstRun(t *testing.T, r map[string]any) {
	t.Helper()
	n := len(f.files)
	if r["State"] != "succeeded" {
		t.Errorf("run %v, want succeeded", r)
	}
	wantCounts(t, r, map[string]int{"Listed": n, "Matched": n, "TasksPlanned": n, "TasksDone": n, "Copied": n, "Failed": 0, "SkippedUnchanged": 0})
	f.checkDataset(t)
}

// checkDataset compares the catalog and the DLZ with the source, file by file.
func (f *fixture) checkDataset(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	catalog := f.catalog(t)
	dlz := map[string][]string{} // name -> DLZ keys
	prefix := f.domain() + "/" + f.datasetName + "/"
	for _, k := range listKeys(t, plat.Config.DLZBucket, prefix) {
		_, name, _ := strings.Cut(strings.TrimPrefix(k, prefix), "/") // upload_date=…/<name>
		dlz[name] = append(dlz[name], k)
	}
	lost, duplicated := 0, 0
	for name, body := range f.files {
		sum := md5.Sum(body)
		entry, ok := catalog[name]
		switch {
		case !ok || len(dlz[name]) == 0:
			lost++
			t.Errorf("%s: lost (catalog %v, DLZ %v)", name, ok, dlz[name])
			continue
		case entry["SourceETag"] != hex.EncodeToString(sum[:]) || int(entry["Size"].(float64)) != len(body):
			t.Errorf("%s: catalog holds %v, want size %d ETag %x", name, entry, len(body), sum)
		}
		key := entry["Key"].(string)
		out, err := s3c(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(plat.Config.DLZBucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("%s: catalog key %s: %v", name, key, err)
			continue
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("%s: the DLZ holds %d bytes (%v), not the source's %d", name, len(got), err, len(body))
		}
	}
	for name, ks := range dlz {
		if _, ok := f.files[name]; !ok || len(ks) > 1 {
			duplicated += len(ks)
			if ok {
				duplicated--
			}
			t.Errorf("%s: %d DLZ objects %v for %d source file(s)", name, len(ks), ks, min(1, len(f.files[name])))
		}
	}
	for name := range catalog {
		if _, ok := f.files[name]; !ok {
			duplicated++
			t.Errorf("%s: in the catalog, not in the source", name)
		}
	}
	// A late duplicate delivery may still be at work when the run ends: it
	// moves its copy on, or a redelivery clears it, within seconds (a
	// minute for a loaded machine).
	left := listKeys(t, plat.Config.LZBucket, prefix)
	for deadline := time.Now().Add(time.Minute); len(left) > 0 && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		left = listKeys(t, plat.Config.LZBucket, prefix)
	}
	if len(left) > 0 {
		t.Errorf("the LZ still holds %d files: %v", len(left), left[:min(5, len(left))])
	}
	tally.Lock()
	tally.files += len(f.files)
	tally.lost += lost
	tally.duplicated += duplicated
	tally.Unlock()
}

// catalog reads the dataset's files through the API, page by page.
func (f *fixture) catalog(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	next := ""
	for {
		path := "/datasets/" + f.datasetID + "/files?limit=100"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		status, page := api(t, f.user, "GET", path, nil)
		if status != http.StatusOK {
			t.Fatalf("files: %d %v", status, page)
		}
		for _, e := range page["Files"].([]any) {
			file := e.(map[string]any)
			if _, dup := out[file["Name"].(string)]; dup {
				t.Errorf("catalog lists %s twice", file["Name"])
			}
			out[file["Name"].(string)] = file
		}
		if next, _ = page["Next"].(string); next == "" {
			return out
		}
	}
}

func listKeys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	var out []string
	p := s3.NewListObjectsV2Paginator(s3c(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	slices.Sort(out)
	return out
}

// setVisibility changes the task queue's visibility timeout for one test.
func setVisibility(t *testing.T, d time.Duration) {
	t.Helper()
	cfg, err := platform.LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	set := func(d time.Duration) error {
		_, err := c.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{
			QueueUrl: aws.String(plat.Config.TaskQueueURL), Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(int(d.Seconds()))},
		})
		return err
	}
	if err := set(d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = set(time.Minute) })
}
