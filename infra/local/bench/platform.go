package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/run"
)

// API calls the local platform's REST API as a user would, through the
// gateway and its JWT authorizer.
type API struct {
	Plat *platformlocal.Platform
	User string
	// Records, if set, is how Run watches a run (see Run).
	Records RunRecords
	token   string
}

// Call sends body (JSON) and decodes the JSON answer; a status of 300 or
// more is an error.
func (a *API) Call(ctx context.Context, method, path string, body any) (map[string]any, error) {
	if a.token == "" {
		tok, err := a.Plat.Token(a.User)
		if err != nil {
			return nil, err
		}
		a.token = tok
	}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Plat.APIURL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		return out, fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out, nil
}

// Connect creates a bucket-policy connection to bucket, has the source
// owner attach its policy, and returns its id.
func (a *API) Connect(ctx context.Context, name, bucket string) (string, error) {
	out, err := a.Call(ctx, "POST", "/connections", map[string]any{
		"ConnectionName": name, "S3Bucket": bucket, "ConnectionAccessType": "bucket_policy",
	})
	if err != nil {
		return "", err
	}
	id := out["ConnectionId"].(string)
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return "", err
	}
	_, err = platformlocal.AttachConnectionPolicy(ctx, a.Plat.APIURL, a.token, id, platformlocal.SourceOwner(cfg))
	return id, err
}

// Dataset creates a dataset of every file under Prefix on connection, and
// an on-demand schedule of it; it returns the schedule's id.
func (a *API) Dataset(ctx context.Context, connection, domain, name string) (string, error) {
	ds, err := a.Call(ctx, "POST", "/datasets", map[string]any{
		"DatasetName": name, "Domain": domain, "ConnectionId": connection, "FileType": "others", "DirectoryPath": Prefix,
	})
	if err != nil {
		return "", err
	}
	sch, err := a.Call(ctx, "POST", "/schedules", map[string]any{"ScheduleName": name, "DatasetId": ds["DatasetId"]})
	if err != nil {
		return "", err
	}
	return sch["ScheduleId"].(string), nil
}

// RunTiming is one run as the benchmark saw it.
type RunTiming struct {
	Record map[string]any // the run as GET /runs/{id} shows it at its end
	Took   time.Duration  // from the trigger to the first poll that saw the run ended
	// Planned is when a poll first saw the run's planning done (from the
	// trigger); 0 if the run ended before any poll saw it planned.
	Planned time.Duration
	// PagesSeen is, for each listing page the planner saved, when a poll
	// first saw it (seconds from the trigger; only with a.Records).
	PagesSeen []float64
	Polls     int
}

// RunRecords reads a run's own record (metadata.Store does, with one
// GetItem).
type RunRecords interface {
	GetRunRecord(ctx context.Context, id string) (run.Run, error)
}

// Run triggers the schedule through the API ("run now"), then watches the
// run every poll until it ends, and reads it through the API once it has.
// With a.Records the watch is one DynamoDB GetItem per poll: the API's
// GET /runs/{id} makes four reads (record, counters, skipped and failed
// files), which at 50 polls a second would load DynamoDB Local more than
// the run's own writes do. Without it the watch polls the API.
func (a *API) Run(ctx context.Context, schedule string, poll time.Duration) (RunTiming, error) {
	start := time.Now()
	out, err := a.Call(ctx, "POST", "/schedules/"+schedule+"/run", nil)
	if err != nil {
		return RunTiming{}, err
	}
	id, _ := out["RunId"].(string)
	var t RunTiming
	for {
		t.Polls++
		var planned, ended bool
		if a.Records != nil {
			r, err := a.Records.GetRunRecord(ctx, id)
			if err != nil {
				return t, err
			}
			planned, ended = r.PlanningDone, r.State.Ended()
			for int64(len(t.PagesSeen)) < r.Pages {
				t.PagesSeen = append(t.PagesSeen, round4(time.Since(start).Seconds()))
			}
		} else {
			r, err := a.Call(ctx, "GET", "/runs/"+id, nil)
			if err != nil {
				return t, err
			}
			planned, _ = r["PlanningDone"].(bool)
			state, _ := r["State"].(string)
			ended = run.State(state).Ended()
		}
		if planned && t.Planned == 0 {
			t.Planned = time.Since(start)
		}
		if ended {
			t.Took = time.Since(start)
			t.Record, err = a.Call(ctx, "GET", "/runs/"+id, nil)
			return t, err
		}
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Num reads a number of a run record.
func Num(r map[string]any, field string) int64 {
	f, _ := r[field].(float64)
	return int64(f)
}
