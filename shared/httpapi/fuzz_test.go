package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
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

// dataset.DomainStore
func (world) domain() dataset.Domain {
	return dataset.Domain{Domain: "sales", CreatedBy: worldOwner, AuthorizedUsers: []string{worldOwner, worldUser},
		CreatedAt: worldTime, UpdatedAt: worldTime, Revision: 1}
}
func (w world) GetDomain(_ context.Context, name string) (dataset.Domain, error) {
	if !strings.EqualFold(name, "sales") {
		return dataset.Domain{}, dataset.DomainNotFound(name)
	}
	return w.domain(), nil
}
func (world) UpdateDomain(context.Context, dataset.Domain, dataset.Domain) error { return nil }

// isDomainName says whether the event's path names a domain with a valid
// name, which the domain routes look up (ids elsewhere are UUIDs).
func isDomainName(ev events.APIGatewayV2HTTPRequest, name string) bool {
	_, ok := ev.PathParameters["name"]
	return ok && regexp.MustCompile(`^[A-Za-z0-9_-]{2,64}$`).MatchString(name)
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
func (world) ListRestores(context.Context, string, int, string) ([]dataset.PendingRestore, string, error) {
	return nil, "", nil
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

// BindUser binds every user name to the sub the tests' tokens give it
// ("sub-of-<name>"): any other sub is a later user of the name.
func (world) BindUser(_ context.Context, user, sub string) (bool, error) {
	if user == "bind-fails" {
		return false, errors.New("dynamodb unreachable at 10.0.0.1")
	}
	return sub == "sub-of-"+user, nil
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
	schedules := &schedule.Service{Store: w, Scheduler: w, Datasets: datasets, Upstream: w, Log: log, Now: now}
	return New(UseCases{
		Connections: &connection.Service{Store: w, Sealer: w, Tester: w, SourceReaderRoleARN: "arn:aws:iam::123456789012:role/reader", Now: now},
		Datasets:    datasets,
		Schedules:   schedules,
		Runs:        &run.Service{Store: w, Schedules: schedules, Upstream: w, Planner: plannerStarter{}, Log: log, Now: now},
		Domains:     &dataset.Domains{Store: w, Now: now},
		Identities:  w,
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
// as is. The caller is 0 the owner, 1 an authorized user, 2 a stranger,
// 3 no token, 4 a token whose user name (cognito:username) is sub, any string: a 401 exactly
// when it is not a user id (validSub), with a message that never holds a
// control character nor, when long, the sub. Without -fuzz it runs the
// seeds below as a normal test.
func FuzzHandle(f *testing.F) {
	routes := Routes()
	index := map[string]uint8{}
	for i, r := range routes {
		index[r.Key()] = uint8(i)
	}
	for _, s := range slices.Concat(connectionSeeds(), resourceSeeds(), domainSeeds(), callerSeeds()) {
		i, ok := index[s.route]
		if !ok {
			f.Fatalf("seed for unknown route %s", s.route)
		}
		f.Add(i, []byte(s.body), s.id, s.mode, s.caller, s.limit, s.sub)
	}
	statuses, readsBody := documented(f)
	api, logs := newWorldAPI()
	f.Fuzz(func(t *testing.T, routeIndex uint8, body []byte, id string, mode, caller uint8, limit, sub string) {
		in := fuzzInput{rt: routes[int(routeIndex)%len(routes)], body: body, id: id, mode: mode, caller: caller, limit: limit, sub: sub}
		ev := in.event()
		logs.Reset()
		resp, err := api.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		key := in.rt.Key()
		checkAnswer(t, in, ev, resp, fuzzSpec{statuses[key], readsBody[key], logs.String()})
	})
}

// The seeds' bodies: valid ones, which seeds vary.
const (
	seedConn     = `{"ConnectionName":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`
	seedKeys     = `{"ConnectionName":"acme-keys","S3Bucket":"acme-bucket","ConnectionAccessType":"access_keys","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Version":"1.6","AuthorizedUsers":["bob","bob"]}`
	seedDataset  = `{"DatasetName":"orders","Domain":"sales","ConnectionId":"` + worldConn + `","FileType":"CSV","DirectoryPath":"/sales/2026","SkipLZ":true}`
	seedSchedule = `{"ScheduleName":"nightly","DatasetId":"` + worldDataset + `","ScheduleExpression":"cron(0 2 * * ? *)","ScheduleExpressionTimezone":"Europe/Rome"}`
)

// fuzzSeed is one seed of FuzzHandle: a route key and the other arguments.
type fuzzSeed struct {
	route, body, id string
	mode, caller    uint8
	limit, sub      string
}

// connectionSeeds are the seeds of the health and connection routes.
func connectionSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"GET /health", "", "", 0, 0, "", ""},
		{"POST /connections", seedConn, "", 0, 0, "", ""},
		{"POST /connections", seedConn, "", 1, 0, "", ""},
		{"POST /connections", seedKeys, "", 0, 0, "", ""},
		{"POST /connections", "%%%", "", 2, 0, "", ""},
		{"POST /connections", seedConn, "", 0, 3, "", ""},
		{"POST /connections", `{"ConnectionName":"x"}`, "", 0, 0, "", ""},
		{"POST /connections", `{"S3Bucket":1}`, "", 0, 0, "", ""},
		{"POST /connections", `{"Bucket":"x"}`, "", 0, 0, "", ""},
		{"POST /connections", `{"Quoted\"Key":1}`, "", 0, 0, "", ""},
		{"POST /connections", `{"":1}`, "", 0, 0, "", ""},
		{"POST /connections", `{"AuthorizedUsers":[1]}`, "", 0, 0, "", ""},
		{"POST /connections", seedConn + "]", "", 0, 0, "", ""},
		{"POST /connections", seedConn + "}", "", 0, 0, "", ""},
		{"POST /connections", seedConn + seedConn, "", 0, 0, "", ""},
		{"POST /connections", `{"ConnectionName":"acme","connectionname":"acme","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`, "", 0, 0, "", ""},
		{"POST /connections", `{"ConnectionName":"acme","Description":"caf` + "\xe9" + `","S3Bucket":"acme-bucket","ConnectionAccessType":"bucket_policy"}`, "", 1, 0, "", ""},
		{"POST /connections", "null", "", 0, 0, "", ""},
		{"POST /connections", "[]", "", 0, 0, "", ""},
		{"POST /connections", `{"S3Bucket":`, "", 0, 0, "", ""},
		{"POST /connections", strings.Repeat("[", 20000), "", 0, 0, "", ""},
		{"POST /connections", "\xef\xbb\xbf" + seedConn, "", 0, 0, "", ""},
		{"GET /connections", "", "", 0, 0, "10", ""},
		{"GET /connections", "", "", 0, 0, "0", ""},
		{"GET /connections", "", "", 0, 0, "1e2", ""},
		{"GET /connections/{id}", "", worldConn, 0, 0, "", ""},
		{"GET /connections/{id}", "", worldConn, 0, 2, "", ""},
		{"GET /connections/{id}", "", strings.ToUpper(worldConn), 0, 0, "", ""},
		{"GET /connections/{id}", "", strings.Repeat("a", 4096), 0, 0, "", ""},
		{"GET /connections/{id}", "", "../../etc/passwd", 0, 0, "", ""},
		{"PUT /connections/{id}", `{"Description":"new"}`, worldConn, 0, 0, "", ""},
		{"PUT /connections/{id}", `{"Description":"new"}`, worldConn, 0, 1, "", ""},
		{"PUT /connections/{id}", `{"AccessKeyId":"AKIAIOSFODNN7EXAMPLF","SecretAccessKey":"0123456789abcdef0123"}`, worldKeysConn, 0, 0, "", ""},
		{"PUT /connections/{id}", `{"S3Bucket":"other"}`, worldConn, 0, 0, "", ""},
		{"PUT /connections/{id}", `{}`, worldConn, 0, 0, "", ""},
		{"PUT /connections/{id}", `{"Description":"a","Description":"b"}`, worldConn, 0, 0, "", ""},
		{"DELETE /connections/{id}", "", worldConn, 0, 0, "", ""},
		{"DELETE /connections/{id}", "", worldKeysConn, 0, 0, "", ""},
		{"GET /connections/{id}/policies", "", worldConn, 0, 0, "", ""},
		{"GET /connections/{id}/policies", "", worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/test", "", worldConn, 0, 0, "", ""},
		{"POST /connections/{id}/upgrade", "", worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/upgrade", `{"Version":"1.8"}`, worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/upgrade", `{"Version":"1.6"}`, worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/upgrade", "null", worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/upgrade", " ", worldConn, 0, 0, "", ""},
		{"POST /connections/{id}/downgrade", "", worldKeysConn, 0, 0, "", ""},
		{"POST /connections/{id}/downgrade", "", worldConn, 0, 0, "", ""},
	}
}

// domainSeeds are the seeds of the domain routes.
func domainSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"GET /domains/{name}", "", "sales", 0, 0, "", ""},
		{"GET /domains/{name}", "", "SALES", 0, 1, "", ""},
		{"GET /domains/{name}", "", "sales", 0, 2, "", ""},
		{"GET /domains/{name}", "", "a/../b", 0, 0, "", ""},
		{"PUT /domains/{name}", `{"AuthorizedUsers":["carol","carol"]}`, "sales", 0, 0, "", ""},
		{"PUT /domains/{name}", `{"AuthorizedUsers":["carol"]}`, "sales", 0, 1, "", ""},
		{"PUT /domains/{name}", `{"CreatedBy":"mallory"}`, "sales", 0, 0, "", ""},
		{"PUT /domains/{name}", `{"AuthorizedUsers":["bad user"]}`, "sales", 0, 0, "", ""},
		{"PUT /domains/{name}", `{}`, "nowhere", 0, 2, "", ""},
	}
}

// resourceSeeds are the seeds of the dataset, schedule and run routes.
func resourceSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"POST /datasets", seedDataset, "", 0, 0, "", ""},
		{"POST /datasets", strings.Replace(seedDataset, worldConn, strings.Repeat("c", 3000), 1), "", 0, 0, "", ""},
		{"POST /datasets", strings.Replace(seedDataset, worldConn, worldKeysConn, 1), "", 0, 0, "", ""},
		{"POST /datasets", strings.Replace(seedDataset, "/sales/2026", "a/../b", 1), "", 0, 0, "", ""},
		{"GET /datasets", "", "", 0, 0, "100", ""},
		{"GET /datasets/{id}", "", worldDataset, 0, 0, "", ""},
		{"PUT /datasets/{id}", `{"SkipLZ":false,"AuthorizedUsers":["carol"]}`, worldDataset, 0, 0, "", ""},
		{"DELETE /datasets/{id}", "", worldDataset, 0, 0, "", ""},
		{"GET /datasets/{id}/files", "", worldDataset, 0, 0, "-1", ""},
		{"GET /datasets/{id}/restores", "", worldDataset, 0, 0, "5", ""},
		{"PUT /datasets/{id}", `{"RestoreArchived":{"Tier":"bulk","Days":31}}`, worldDataset, 0, 0, "", ""},
		{"POST /schedules", seedSchedule, "", 0, 0, "", ""},
		{"POST /schedules", strings.Replace(seedSchedule, "cron(0 2 * * ? *)", "rate(0 minutes)", 1), "", 0, 0, "", ""},
		{"POST /schedules", strings.Replace(seedSchedule, "Europe/Rome", "../../../etc/passwd", 1), "", 0, 0, "", ""},
		{"POST /schedules", strings.Replace(seedSchedule, worldDataset, "nope", 1), "", 0, 0, "", ""},
		{"GET /schedules", "", "", 0, 0, "", ""},
		{"GET /schedules/{id}", "", worldSchedule, 0, 0, "", ""},
		{"PUT /schedules/{id}", `{"ScheduleExpression":"","IsEnabled":false}`, worldSchedule, 0, 0, "", ""},
		{"PUT /schedules/{id}", `{"ScheduleExpressionTimezone":"Asia/Kolkata"}`, worldSchedule, 0, 0, "", ""},
		{"DELETE /schedules/{id}", "", worldSchedule, 0, 0, "", ""},
		{"POST /schedules/{id}/run", "", worldSchedule, 0, 1, "", ""},
		{"GET /schedules/{id}/runs", "", worldSchedule, 0, 0, "5", ""},
		{"GET /runs/{runId}", "", worldRun, 0, 0, "", ""},
		{"GET /runs/{runId}", "", worldRun, 0, 2, "", ""},
		{"GET /runs/{runId}", "", "anything", 0, 0, "", ""},
	}
}

// callerSeeds are the seeds of caller 4: a token with any user name.
func callerSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"POST /connections", seedConn, "", 0, 4, "", strings.Repeat("a", 3000)},
		{"POST /connections", seedConn, "", 0, 4, "", "carol\x00"},
		{"POST /connections", seedConn, "", 0, 4, "", "carol\n"},
		{"POST /connections", seedConn, "", 0, 4, "", "carol "},
		{"POST /connections", seedConn, "", 0, 4, "", "carol#1"},
		{"POST /connections", seedConn, "", 0, 4, "", ""},
		{"POST /connections", seedConn, "", 0, 4, "", "carol"},
		{"POST /connections", seedConn, "", 0, 4, "", strings.Repeat("c", 128)},
		{"GET /connections/{id}", "", worldConn, 0, 4, "", worldOwner},
		{"GET /connections/{id}", "", "nope", 0, 4, "", "x\r\ny"},
		{"POST /datasets", seedDataset, "", 0, 4, "", strings.Repeat("d", 129)},
	}
}

// fuzzInput is one input of FuzzHandle, its route chosen.
type fuzzInput struct {
	rt           Route
	body         []byte
	id           string
	mode, caller uint8
	limit, sub   string
}

// user is the token's user name, "" for no token.
func (in fuzzInput) user() string {
	return []string{worldOwner, worldUser, worldStranger, "", in.sub}[in.caller%5]
}

// unauthorized says whether the input must get a 401.
func (in fuzzInput) unauthorized() bool { return !in.rt.Public && !validSub(in.user()) }

// event is the API Gateway event of the input.
func (in fuzzInput) event() events.APIGatewayV2HTTPRequest {
	rt := in.rt
	ev := events.APIGatewayV2HTTPRequest{RouteKey: rt.Key(), RawPath: rt.Path, Body: string(in.body)}
	ev.RequestContext.RequestID = "req-fuzz"
	switch in.mode % 3 {
	case 1:
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(in.body), true
	case 2:
		ev.IsBase64Encoded = true
	}
	if user := in.user(); user != "" {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"cognito:username": user, "sub": "sub-of-" + user}},
		}
	}
	for _, name := range []string{"id", "runId", "name"} {
		if strings.Contains(rt.Path, "{"+name+"}") {
			ev.PathParameters = map[string]string{name: in.id}
			ev.RawPath = strings.Replace(rt.Path, "{"+name+"}", in.id, 1)
		}
	}
	if in.limit != "" {
		ev.QueryStringParameters = map[string]string{"limit": in.limit}
	}
	return ev
}

// fuzzSpec is what an answer is checked against: the statuses openapi.json
// documents for the route, whether it reads a body, and the log of the call.
type fuzzSpec struct {
	statuses  []int
	readsBody bool
	log       string
}

// checkAnswer checks the answer to one input (see FuzzHandle).
func checkAnswer(t *testing.T, in fuzzInput, ev events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse, spec fuzzSpec) {
	t.Helper()
	key, st, out := in.rt.Key(), resp.StatusCode, resp.Body
	if st >= 500 {
		t.Fatalf("%s: %d %s\nlog: %s", key, st, out, spec.log)
	}
	if !slices.Contains(spec.statuses, st) {
		t.Fatalf("%s: status %d is not one openapi.json documents (%v): %s", key, st, spec.statuses, out)
	}
	if st == http.StatusNoContent { // no content, and no content type to announce one
		if out != "" || len(resp.Headers) != 0 {
			t.Fatalf("%s: 204 with a body %q or headers %v", key, out, resp.Headers)
		}
		return
	}
	if resp.Headers["content-type"] != "application/json" {
		t.Fatalf("%s: content-type %q", key, resp.Headers["content-type"])
	}
	if !json.Valid([]byte(out)) || !utf8.ValidString(out) {
		t.Fatalf("%s: %d, body not JSON: %q", key, st, out)
	}
	if st >= 400 {
		checkError(t, in, ev, st, out)
	}
	if st == http.StatusUnauthorized != in.unauthorized() {
		t.Fatalf("%s as caller %d (sub %.40q): %d %s", key, in.caller%5, in.user(), st, out)
	}
	if in.unauthorized() {
		checkUnauthorizedFuzz(t, out, in.user())
	}
	if len(ev.PathParameters) > 0 && !isID(in.id) && !isDomainName(ev, in.id) && !in.unauthorized() && st != http.StatusNotFound {
		t.Fatalf("%s with id %q: %d %s, want 404", key, in.id, st, out)
	}
	if st < 300 && spec.readsBody && ev.Body != "" {
		raw := in.body
		if in.mode%3 == 2 {
			raw, _ = base64.StdEncoding.DecodeString(string(in.body))
		}
		raw = bytes.TrimSpace(raw)
		if !utf8.Valid(raw) || !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' || !eachMemberOnce(raw) {
			t.Fatalf("%s: %d for the body %q: want one JSON object in UTF-8, each member once", key, st, raw)
		}
	}
	if strings.Contains(spec.log, "request failed") {
		t.Fatalf("%s: an internal error was logged: %s", key, spec.log)
	}
}

// checkError checks a 4xx's body: a JSON object with a message, and a
// Field, when there is one, that names a member of the body when the
// message says it is at fault.
func checkError(t *testing.T, in fuzzInput, ev events.APIGatewayV2HTTPRequest, st int, out string) {
	t.Helper()
	key := in.rt.Key()
	var e map[string]any
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("%s: %d, body not a JSON object: %s", key, st, out)
	}
	msg, _ := e["Message"].(string)
	field, hasField := e["Field"].(string)
	if msg == "" {
		t.Fatalf("%s: %d without a message: %s", key, st, out)
	}
	if _, ok := e["Field"]; ok && !hasField {
		t.Fatalf("%s: Field is not a string: %s", key, out)
	}
	switch msg {
	case "is not a known field", "cannot be changed", "is given more than once":
		if !hasMember(ev, field) {
			t.Fatalf("%s: %q names %q, which the body %q does not hold", key, msg, field, in.body)
		}
	}
	if strings.HasPrefix(msg, "must be a JSON ") && field == "" {
		t.Fatalf("%s: a wrongly typed member not named: %s", key, out)
	}
}

// validSub says whether sub is a user id: 1 to 128 letters, digits or
// _.@+-, checked here byte by byte rather than with access.ValidUser's
// pattern, so that the target checks the rule instead of repeating it.
func validSub(sub string) bool {
	if len(sub) == 0 || len(sub) > 128 {
		return false
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.@+-", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// checkUnauthorizedFuzz checks a 401's message: no control character, and
// no echo of a sub long enough that it cannot be there by chance.
func checkUnauthorizedFuzz(t *testing.T, out, sub string) {
	t.Helper()
	var e errorBody
	_ = json.Unmarshal([]byte(out), &e)
	if strings.ContainsFunc(e.Message, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Fatalf("a control character in the 401's message %q", e.Message)
	}
	if len(sub) >= 16 && strings.Contains(e.Message, sub) {
		t.Fatalf("the 401's message echoes the sub: %q", e.Message)
	}
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
