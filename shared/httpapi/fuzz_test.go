package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// The fuzz targets drive Handle with the real use cases (so their
// validation runs too) over a fixed, in-memory world: one owner, alice, with
// an access-keys connection at 1.7 (upgraded from 1.6), a bucket-policy
// connection at 1.8, a dataset on the latter, a schedule on the dataset and
// a run of it; bob may use them all. Every store write succeeds and changes
// nothing, so every call is independent of the others.
const (
	worldOwner     = "alice"
	worldUser      = "bob"
	worldKeysConn  = "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e11"
	worldConn      = "0198f5d2-7c1e-7a51-9a3e-2f4c1b0d9e12"
	worldDataset   = "0198f5d2-8a2b-7c3d-9e4f-5a6b7c8d9e01"
	worldSchedule  = "0198f5d2-9b3c-7d4e-8f5a-6b7c8d9e0f12"
	worldRun       = "0198f5d2-ac4d-7e5f-9a6b-7c8d9e0f1a23"
	worldStranger  = "mallory"
	worldCreatedAt = "2026-01-02T03:04:05Z"
)

var worldTime, _ = time.Parse(time.RFC3339, worldCreatedAt)

type world struct{}

func (world) connection(id string) (connection.Connection, error) {
	c := connection.Connection{
		ConnectionId: id, ConnectionType: connection.TypeS3, CreatedBy: worldOwner,
		AuthorizedUsers: []string{worldOwner, worldUser}, CreatedAt: worldTime, UpdatedAt: worldTime, Revision: 3,
	}
	switch id {
	case worldKeysConn:
		c.ConnectionName, c.S3Bucket, c.ConnectionAccessType = "keys", "keys-bucket", connection.AccessKeys
		c.AccessKeyId, c.SecretCiphertext = "AKIAIOSFODNN7EXAMPLE", []byte("sealed")
		c.Version, c.PreviousVersions = rules.V1_7, []rules.Version{rules.V1_6}
	case worldConn:
		c.ConnectionName, c.S3Bucket, c.ConnectionAccessType = "policy", "policy-bucket", connection.BucketPolicy
		c.Version = rules.V1_8
	default:
		return connection.Connection{}, connection.NotFound(id)
	}
	return c, nil
}

// connection.Store, Sealer, Tester
func (w world) CreateConnection(context.Context, connection.Connection) error { return nil }
func (w world) GetConnection(_ context.Context, id string) (connection.Connection, error) {
	return w.connection(id)
}
func (w world) ListConnections(context.Context, string, int, string) ([]connection.Connection, string, error) {
	c, _ := w.connection(worldConn)
	return []connection.Connection{c}, "", nil
}
func (world) UpdateConnection(context.Context, connection.Connection, connection.Connection) error {
	return nil
}
func (world) DeleteConnection(context.Context, connection.Connection) error { return nil }
func (world) DatasetsOfConnection(context.Context, string) ([]connection.DatasetRef, error) {
	return []connection.DatasetRef{{DatasetId: worldDataset, DatasetName: "orders", Domain: "sales"}}, nil
}
func (world) Seal(context.Context, string, string) ([]byte, error) { return []byte("sealed"), nil }
func (world) TestConnection(context.Context, string) (connection.TestResult, error) {
	return connection.TestResult{Ok: true, Detail: "listed"}, nil
}

// dataset.Store
func (world) dataset() dataset.Dataset {
	return dataset.Dataset{
		DatasetId: worldDataset, DatasetName: "orders", Domain: "sales", ConnectionId: worldConn, FileType: dataset.CSV,
		DirectoryPath: "sales/", CreatedBy: worldOwner, AuthorizedUsers: []string{worldOwner, worldUser},
		CreatedAt: worldTime, UpdatedAt: worldTime, Revision: 1,
	}
}
func (world) CreateDataset(context.Context, dataset.Dataset) error { return nil }
func (w world) GetDataset(_ context.Context, id string) (dataset.Dataset, error) {
	if id != worldDataset {
		return dataset.Dataset{}, dataset.NotFound(id)
	}
	return w.dataset(), nil
}
func (w world) ListDatasets(context.Context, string, int, string) ([]dataset.Dataset, string, error) {
	return []dataset.Dataset{w.dataset()}, "", nil
}
func (world) UpdateDataset(context.Context, dataset.Dataset, dataset.Dataset) error { return nil }
func (world) DeleteDataset(context.Context, dataset.Dataset) error                  { return nil }
func (world) SchedulesOfDataset(context.Context, string) ([]dataset.ScheduleRef, error) {
	return []dataset.ScheduleRef{{ScheduleId: worldSchedule, ScheduleName: "nightly"}}, nil
}
func (world) ListFiles(context.Context, string, int, string) ([]dataset.File, string, error) {
	return []dataset.File{{Name: "a.csv", SourceKey: "sales/a.csv", Size: 3, State: dataset.InDLZ}}, "", nil
}

// schedule.Store, Scheduler
func (world) schedule() schedule.Schedule {
	return schedule.Schedule{
		ScheduleId: worldSchedule, ScheduleName: "nightly", ScheduleType: schedule.TypeDataIngestion, DatasetId: worldDataset,
		ScheduleExpression: "rate(5 minutes)", IsEnabled: true, CreatedBy: worldOwner,
		AuthorizedUsers: []string{worldOwner, worldUser}, CreatedAt: worldTime, UpdatedAt: worldTime, Revision: 1,
	}
}
func (world) CreateSchedule(context.Context, schedule.Schedule) error { return nil }
func (w world) GetSchedule(_ context.Context, id string) (schedule.Schedule, error) {
	if id != worldSchedule {
		return schedule.Schedule{}, schedule.NotFound(id)
	}
	return w.schedule(), nil
}
func (w world) ListSchedules(context.Context, string, int, string) ([]schedule.Schedule, string, error) {
	return []schedule.Schedule{w.schedule()}, "", nil
}
func (world) UpdateSchedule(context.Context, schedule.Schedule, schedule.Schedule) error { return nil }
func (world) DeleteSchedule(context.Context, schedule.Schedule) error                    { return nil }
func (world) Put(context.Context, schedule.Schedule) error                               { return nil }
func (world) Delete(context.Context, string) error                                       { return nil }

// run.Store, PlannerStarter
func (world) run() run.Run {
	return run.Run{
		RunId: worldRun, ScheduleId: worldSchedule, DatasetId: worldDataset, Trigger: run.OnDemand, TriggeredBy: worldOwner,
		State: run.Succeeded, CreatedBy: worldOwner, AuthorizedUsers: []string{worldOwner, worldUser}, CreatedAt: worldTime,
	}
}
func (world) StartRun(context.Context, run.Run, time.Time) error { return nil }
func (world) RecordRun(context.Context, run.Run) error           { return nil }
func (w world) GetRun(_ context.Context, id string) (run.Run, error) {
	if id != worldRun {
		return run.Run{}, run.NotFound(id)
	}
	return w.run(), nil
}
func (w world) ListRuns(context.Context, string, int, string) ([]run.Run, string, error) {
	return []run.Run{w.run()}, "", nil
}
func (world) FinishRun(context.Context, run.Run, run.State, string) error { return nil }
func (world) RunFiles(context.Context, string, int) ([]run.FileOutcome, []run.FileOutcome, bool, error) {
	return nil, nil, false, nil
}

// plannerStarter is run.PlannerStarter: its method's name is taken by run.Store.
type plannerStarter struct{}

func (plannerStarter) StartRun(context.Context, string, string) error { return nil }

// newWorldAPI returns the API over the real use cases and the world, and
// the buffer its log goes to.
func newWorldAPI() (*API, *bytes.Buffer) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := world{}
	now := func() time.Time { return worldTime.Add(time.Hour) }
	datasets := &dataset.Service{Store: w, Connections: w, Now: now}
	schedules := &schedule.Service{Store: w, Scheduler: w, Datasets: datasets, Log: log, Now: now}
	return New(UseCases{
		Connections: &connection.Service{Store: w, Sealer: w, Tester: w, SourceReaderRoleARN: "arn:aws:iam::123456789012:role/reader", Now: now},
		Datasets:    datasets,
		Schedules:   schedules,
		Runs:        &run.Service{Store: w, Schedules: schedules, Planner: plannerStarter{}, Log: log, Now: now},
	}, log), &logs
}

// documented returns, per route key, the statuses openapi.json documents
// for it and whether it takes a request body.
func documented(t testing.TB) (statuses map[string][]int, readsBody map[string]bool) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	statuses, readsBody = map[string][]int{}, map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Responses   map[string]json.RawMessage
				RequestBody json.RawMessage
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			for code := range op.Responses {
				n, _ := strconv.Atoi(code)
				statuses[key] = append(statuses[key], n)
			}
			readsBody[key] = op.RequestBody != nil
		}
	}
	return statuses, readsBody
}

// FuzzHandle sends any body, path id, caller and limit to any route through
// Handle, and checks what every answer must be: never a panic or a 5xx; a
// status that openapi.json documents for the route; a JSON body; a 4xx
// that carries a message, names the member at fault when it is one of the
// body's, and a 404 for any id that is not a UUID; a 2xx to a route that
// reads a body only for one JSON object in UTF-8 without repeated members.
// The body mode is 0 plain, 1 base64-encoded, 2 claimed base64 but sent
// as is. Without -fuzz it runs the seeds below as a normal test.
func FuzzHandle(f *testing.F) {
	routes := Routes()
	index := map[string]uint8{}
	for i, r := range routes {
		index[r.Key()] = uint8(i)
	}
	type seed struct {
		route, body, id string
		mode, caller    uint8
		limit           string
	}
	conn := `{"ConnectionName":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`
	keys := `{"ConnectionName":"acme-keys","S3Bucket":"acme-bucket","ConnectionAccessType":"access_keys","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Version":"1.6","AuthorizedUsers":["bob","bob"]}`
	ds := `{"DatasetName":"orders","Domain":"sales","ConnectionId":"` + worldConn + `","FileType":"CSV","DirectoryPath":"/sales/2026","SkipLZ":true}`
	sch := `{"ScheduleName":"nightly","DatasetId":"` + worldDataset + `","ScheduleExpression":"cron(0 2 * * ? *)","ScheduleExpressionTimezone":"Europe/Rome"}`
	seeds := []seed{
		{"GET /health", "", "", 0, 0, ""},
		{"POST /connections", conn, "", 0, 0, ""},
		{"POST /connections", conn, "", 1, 0, ""},
		{"POST /connections", keys, "", 0, 0, ""},
		{"POST /connections", "%%%", "", 2, 0, ""},
		{"POST /connections", conn, "", 0, 3, ""},
		{"POST /connections", `{"ConnectionName":"x"}`, "", 0, 0, ""},
		{"POST /connections", `{"S3Bucket":1}`, "", 0, 0, ""},
		{"POST /connections", `{"Bucket":"x"}`, "", 0, 0, ""},
		{"POST /connections", `{"Quoted\"Key":1}`, "", 0, 0, ""},
		{"POST /connections", `{"":1}`, "", 0, 0, ""},
		{"POST /connections", `{"AuthorizedUsers":[1]}`, "", 0, 0, ""},
		{"POST /connections", conn + "]", "", 0, 0, ""},
		{"POST /connections", conn + "}", "", 0, 0, ""},
		{"POST /connections", conn + conn, "", 0, 0, ""},
		{"POST /connections", `{"ConnectionName":"acme","connectionname":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`, "", 0, 0, ""},
		{"POST /connections", `{"ConnectionName":"acme","Description":"caf` + "\xe9" + `","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`, "", 1, 0, ""},
		{"POST /connections", "null", "", 0, 0, ""},
		{"POST /connections", "[]", "", 0, 0, ""},
		{"POST /connections", `{"S3Bucket":`, "", 0, 0, ""},
		{"POST /connections", strings.Repeat("[", 20000), "", 0, 0, ""},
		{"POST /connections", "\xef\xbb\xbf" + conn, "", 0, 0, ""},
		{"GET /connections", "", "", 0, 0, "10"},
		{"GET /connections", "", "", 0, 0, "0"},
		{"GET /connections", "", "", 0, 0, "1e2"},
		{"GET /connections/{id}", "", worldConn, 0, 0, ""},
		{"GET /connections/{id}", "", worldConn, 0, 2, ""},
		{"GET /connections/{id}", "", strings.ToUpper(worldConn), 0, 0, ""},
		{"GET /connections/{id}", "", strings.Repeat("a", 4096), 0, 0, ""},
		{"GET /connections/{id}", "", "../../etc/passwd", 0, 0, ""},
		{"PUT /connections/{id}", `{"Description":"new"}`, worldConn, 0, 0, ""},
		{"PUT /connections/{id}", `{"Description":"new"}`, worldConn, 0, 1, ""},
		{"PUT /connections/{id}", `{"AccessKeyId":"AKIAIOSFODNN7EXAMPLF","SecretAccessKey":"0123456789abcdef0123"}`, worldKeysConn, 0, 0, ""},
		{"PUT /connections/{id}", `{"S3Bucket":"other"}`, worldConn, 0, 0, ""},
		{"PUT /connections/{id}", `{}`, worldConn, 0, 0, ""},
		{"PUT /connections/{id}", `{"Description":"a","Description":"b"}`, worldConn, 0, 0, ""},
		{"DELETE /connections/{id}", "", worldConn, 0, 0, ""},
		{"DELETE /connections/{id}", "", worldKeysConn, 0, 0, ""},
		{"GET /connections/{id}/policies", "", worldConn, 0, 0, ""},
		{"GET /connections/{id}/policies", "", worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/test", "", worldConn, 0, 0, ""},
		{"POST /connections/{id}/upgrade", "", worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/upgrade", `{"Version":"1.8"}`, worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/upgrade", `{"Version":"1.6"}`, worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/upgrade", "null", worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/upgrade", " ", worldConn, 0, 0, ""},
		{"POST /connections/{id}/downgrade", "", worldKeysConn, 0, 0, ""},
		{"POST /connections/{id}/downgrade", "", worldConn, 0, 0, ""},
		{"POST /datasets", ds, "", 0, 0, ""},
		{"POST /datasets", strings.Replace(ds, worldConn, strings.Repeat("c", 3000), 1), "", 0, 0, ""},
		{"POST /datasets", strings.Replace(ds, worldConn, worldKeysConn, 1), "", 0, 0, ""},
		{"POST /datasets", strings.Replace(ds, "/sales/2026", "a/../b", 1), "", 0, 0, ""},
		{"GET /datasets", "", "", 0, 0, "100"},
		{"GET /datasets/{id}", "", worldDataset, 0, 0, ""},
		{"PUT /datasets/{id}", `{"SkipLZ":false,"AuthorizedUsers":["carol"]}`, worldDataset, 0, 0, ""},
		{"DELETE /datasets/{id}", "", worldDataset, 0, 0, ""},
		{"GET /datasets/{id}/files", "", worldDataset, 0, 0, "-1"},
		{"POST /schedules", sch, "", 0, 0, ""},
		{"POST /schedules", strings.Replace(sch, "cron(0 2 * * ? *)", "rate(0 minutes)", 1), "", 0, 0, ""},
		{"POST /schedules", strings.Replace(sch, "Europe/Rome", "../../../etc/passwd", 1), "", 0, 0, ""},
		{"POST /schedules", strings.Replace(sch, worldDataset, "nope", 1), "", 0, 0, ""},
		{"GET /schedules", "", "", 0, 0, ""},
		{"GET /schedules/{id}", "", worldSchedule, 0, 0, ""},
		{"PUT /schedules/{id}", `{"ScheduleExpression":"","IsEnabled":false}`, worldSchedule, 0, 0, ""},
		{"PUT /schedules/{id}", `{"ScheduleExpressionTimezone":"Asia/Kolkata"}`, worldSchedule, 0, 0, ""},
		{"DELETE /schedules/{id}", "", worldSchedule, 0, 0, ""},
		{"POST /schedules/{id}/run", "", worldSchedule, 0, 1, ""},
		{"GET /schedules/{id}/runs", "", worldSchedule, 0, 0, "5"},
		{"GET /runs/{runId}", "", worldRun, 0, 0, ""},
		{"GET /runs/{runId}", "", worldRun, 0, 2, ""},
		{"GET /runs/{runId}", "", "anything", 0, 0, ""},
	}
	for _, s := range seeds {
		i, ok := index[s.route]
		if !ok {
			f.Fatalf("seed for unknown route %s", s.route)
		}
		f.Add(i, []byte(s.body), s.id, s.mode, s.caller, s.limit)
	}
	statuses, readsBody := documented(f)
	api, logs := newWorldAPI()
	f.Fuzz(func(t *testing.T, routeIndex uint8, body []byte, id string, mode, caller uint8, limit string) {
		rt := routes[int(routeIndex)%len(routes)]
		ev := events.APIGatewayV2HTTPRequest{RouteKey: rt.Key(), RawPath: rt.Path, Body: string(body)}
		ev.RequestContext.RequestID = "req-fuzz"
		switch mode % 3 {
		case 1:
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		case 2:
			ev.IsBase64Encoded = true
		}
		if user := []string{worldOwner, worldUser, worldStranger, ""}[caller%4]; user != "" {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": user}},
			}
		}
		for _, name := range []string{"id", "runId"} {
			if strings.Contains(rt.Path, "{"+name+"}") {
				ev.PathParameters = map[string]string{name: id}
				ev.RawPath = strings.Replace(rt.Path, "{"+name+"}", id, 1)
			}
		}
		if limit != "" {
			ev.QueryStringParameters = map[string]string{"limit": limit}
		}
		logs.Reset()

		resp, err := api.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		st, out := resp.StatusCode, resp.Body
		if st >= 500 {
			t.Fatalf("%s: %d %s\nlog: %s", rt.Key(), st, out, logs.String())
		}
		if !slices.Contains(statuses[rt.Key()], st) {
			t.Fatalf("%s: status %d is not one openapi.json documents (%v): %s", rt.Key(), st, statuses[rt.Key()], out)
		}
		if resp.Headers["content-type"] != "application/json" {
			t.Fatalf("%s: content-type %q", rt.Key(), resp.Headers["content-type"])
		}
		if st == http.StatusNoContent {
			if out != "" {
				t.Fatalf("%s: 204 with a body %q", rt.Key(), out)
			}
			return
		}
		if !json.Valid([]byte(out)) || !utf8.ValidString(out) {
			t.Fatalf("%s: %d, body not JSON: %q", rt.Key(), st, out)
		}
		if st >= 400 {
			var e map[string]any
			if err := json.Unmarshal([]byte(out), &e); err != nil {
				t.Fatalf("%s: %d, body not a JSON object: %s", rt.Key(), st, out)
			}
			msg, _ := e["Message"].(string)
			field, hasField := e["Field"].(string)
			if msg == "" {
				t.Fatalf("%s: %d without a message: %s", rt.Key(), st, out)
			}
			if _, ok := e["Field"]; ok && !hasField {
				t.Fatalf("%s: Field is not a string: %s", rt.Key(), out)
			}
			switch msg {
			case "is not a known field", "cannot be changed", "is given more than once":
				if !hasMember(ev, field) {
					t.Fatalf("%s: %q names %q, which the body %q does not hold", rt.Key(), msg, field, body)
				}
			}
			if strings.HasPrefix(msg, "must be a JSON ") && field == "" {
				t.Fatalf("%s: a wrongly typed member not named: %s", rt.Key(), out)
			}
		}
		if st == http.StatusUnauthorized != (caller%4 == 3 && !rt.Public) {
			t.Fatalf("%s as caller %d: %d", rt.Key(), caller%4, st)
		}
		if len(ev.PathParameters) > 0 && !isID(id) && caller%4 != 3 && st != http.StatusNotFound {
			t.Fatalf("%s with id %q: %d %s, want 404", rt.Key(), id, st, out)
		}
		if st < 300 && readsBody[rt.Key()] && ev.Body != "" {
			raw := body
			if mode%3 == 2 {
				raw, _ = base64.StdEncoding.DecodeString(string(body))
			}
			raw = bytes.TrimSpace(raw)
			if !utf8.Valid(raw) || !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' || !eachMemberOnce(raw) {
				t.Fatalf("%s: %d for the body %q: want one JSON object in UTF-8, each member once", rt.Key(), st, raw)
			}
		}
		if strings.Contains(logs.String(), "request failed") {
			t.Fatalf("%s: an internal error was logged: %s", rt.Key(), logs.String())
		}
	})
}

// eachMemberOnce says whether no object in the valid JSON text raw names a
// member twice, ignoring case as encoding/json does when it matches fields.
func eachMemberOnce(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return true
	}
	var names []string
	for dec.More() {
		if tok == json.Delim('{') {
			t, _ := dec.Token()
			name, _ := t.(string)
			for _, n := range names {
				if strings.EqualFold(n, name) {
					return false
				}
			}
			names = append(names, name)
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil || !eachMemberOnce(v) {
			return false
		}
	}
	return true
}

// hasMember says whether the event's JSON body holds an object member
// named name, at any depth.
func hasMember(ev events.APIGatewayV2HTTPRequest, name string) bool {
	raw := []byte(ev.Body)
	if ev.IsBase64Encoded {
		raw, _ = base64.StdEncoding.DecodeString(ev.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && (s == name || clipped(s, name)) {
			return true // a string value equal to name is close enough
		}
	}
}

// clipped says whether echo is s as apperr clips a long value: its first
// bytes, then "…(N bytes)" with N = len(s).
func clipped(s, echo string) bool {
	prefix, size, ok := strings.Cut(echo, "…(")
	return ok && strings.HasPrefix(s, prefix) && size == fmt.Sprintf("%d bytes)", len(s))
}

// The world's use cases answer valid requests: the fuzz target's 4xx are
// the input's fault, not the fixture's.
func TestWorldAnswersValidRequests(t *testing.T) {
	api, logs := newWorldAPI()
	testCases := []struct {
		route, id, body string
		status          int
	}{
		{"POST /connections", "", `{"ConnectionName":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`, 201},
		{"POST /connections/{id}/upgrade", worldKeysConn, "", 200},
		{"POST /connections/{id}/downgrade", worldKeysConn, "", 200},
		{"GET /connections/{id}/policies", worldConn, "", 200},
		{"POST /datasets", "", `{"DatasetName":"orders","Domain":"sales","ConnectionId":"` + worldConn + `","FileType":"csv"}`, 201},
		{"PUT /datasets/{id}", worldDataset, `{"Description":"x"}`, 200},
		{"POST /schedules", "", `{"ScheduleName":"n","DatasetId":"` + worldDataset + `","ScheduleExpression":"rate(1 hour)"}`, 201},
		{"PUT /schedules/{id}", worldSchedule, `{"IsEnabled":false}`, 200},
		{"POST /schedules/{id}/run", worldSchedule, "", 202},
		{"GET /runs/{runId}", worldRun, "", 200},
		{"DELETE /schedules/{id}", worldSchedule, "", 204},
	}
	for _, tc := range testCases {
		ev := event(tc.route, worldOwner, tc.body, false)
		if tc.id != "" {
			ev.PathParameters = map[string]string{"id": tc.id, "runId": tc.id}
		}
		resp, err := api.Handle(context.Background(), ev)
		if err != nil || resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s %v, want %d; log %s", tc.route, resp.StatusCode, resp.Body, err, tc.status, logs.String())
		}
	}
}
