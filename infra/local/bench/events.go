package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// EventLatency is the event-to-DLZ latency of an event-driven dataset: the
// time from each PutObject's answer to the object's first appearance in
// the DLZ (the source's S3 event, the owner's rule, the inbound bus, the
// events function, the task queue, a worker), with no run started.
type EventLatency struct {
	Objects int     `json:"objects"`
	Rate    int     `json:"objects_per_second"`
	P50     float64 `json:"p50_seconds"`
	P99     float64 `json:"p99_seconds"`
	Max     float64 `json:"max_seconds"`
}

// EventsBucket is the source of the event-driven dataset.
const EventsBucket = "bench-events"

// measureEvents writes n objects into an event-driven dataset's source, a
// few at a time, and watches the DLZ for each.
func (e *comparison) measureEvents(ctx context.Context, n int) (*EventLatency, error) {
	prefix, err := e.eventDataset(ctx)
	if err != nil {
		return nil, err
	}
	put := map[string]time.Time{}
	var mu sync.Mutex
	errs := make(chan error, 1)
	go func() {
		errs <- e.putPaced(ctx, n, func(key string, at time.Time) {
			mu.Lock()
			put[key] = at
			mu.Unlock()
		})
	}()
	seen := map[string]time.Time{}
	deadline := time.Now().Add(5*time.Minute + time.Duration(n)*50*time.Millisecond)
	for len(seen) < n && time.Now().Before(deadline) {
		keys, err := e.dlzKeys(ctx, prefix)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		for _, k := range keys {
			if _, ok := seen[k]; !ok {
				seen[k] = now
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-errs; err != nil {
		return nil, err
	}
	var lat []float64
	for k, at := range seen {
		if p, ok := put[k]; ok {
			lat = append(lat, at.Sub(p).Seconds())
		}
	}
	if len(lat) < n {
		return nil, fmt.Errorf("event latency: %d of %d objects reached the DLZ", len(lat), n)
	}
	slices.Sort(lat)
	return &EventLatency{Objects: n, Rate: eventRate, P50: round4(quantile(lat, 0.50)), P99: round4(quantile(lat, 0.99)), Max: round4(lat[len(lat)-1])}, nil
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// eventDataset makes the event-driven dataset of EventsBucket (its owner
// forwarding the bucket's events) and returns its DLZ prefix.
func (e *comparison) eventDataset(ctx context.Context) (string, error) {
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return "", err
	}
	owner := platformlocal.SourceOwner(cfg)
	if err := platformlocal.EnsureBucket(ctx, owner.S3, EventsBucket, platformlocal.Region); err != nil {
		return "", err
	}
	if err := platformlocal.SourceEvents(ctx, owner, EventsBucket, e.plat.InboundBusARN(), platformlocal.SourceAccount); err != nil {
		return "", err
	}
	conn, err := e.api.Call(ctx, "POST", "/connections", map[string]any{"ConnectionName": EventsBucket, "S3Bucket": EventsBucket,
		"ConnectionAccessType": "bucket_policy", "S3BucketOwner": platformlocal.SourceAccount})
	if err != nil {
		return "", err
	}
	id := conn["ConnectionId"].(string)
	if _, err := platformlocal.AttachConnectionPolicy(ctx, e.plat.APIURL, e.api.token, id, owner); err != nil {
		return "", err
	}
	if _, err := e.api.Call(ctx, "POST", "/datasets", map[string]any{"DatasetName": "events", "Domain": datasetDom,
		"ConnectionId": id, "FileType": "others", "DirectoryPath": Prefix, "Trigger": "events"}); err != nil {
		return "", err
	}
	return datasetDom + "/events/", nil
}

// eventRate is how many objects a second the latency is measured at:
// one writer's steady stream, not a burst (a burst measures the backlog).
const eventRate = 25

// putPaced writes n small objects under Prefix at eventRate a second,
// reporting when each PutObject answered.
func (e *comparison) putPaced(ctx context.Context, n int, done func(name string, at time.Time)) error {
	keys := make(chan int)
	var wg sync.WaitGroup
	var first error
	var mu sync.Mutex
	for range 8 {
		wg.Go(func() {
			for i := range keys {
				name := fmt.Sprintf("event-%05d.csv", i)
				_, err := e.s3.Owner.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(EventsBucket), Key: aws.String(Prefix + name),
					Body: bytes.NewReader([]byte("id\n" + name + "\n"))})
				if err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					continue
				}
				done(name, time.Now())
			}
		})
	}
	tick := time.NewTicker(time.Second / eventRate)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		keys <- i
	}
	close(keys)
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// dlzKeys are the file names in the DLZ under prefix (any upload_date).
func (e *comparison) dlzKeys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(e.s3.C, &s3.ListObjectsV2Input{Bucket: aws.String(e.plat.Config.DLZBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			out = append(out, k[strings.LastIndex(k, "/")+1:])
		}
	}
	return out, nil
}
