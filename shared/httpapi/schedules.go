package httpapi

import (
	"context"
	"net/http"

	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// Schedules is the schedule use cases the API calls.
type Schedules interface {
	Create(ctx context.Context, caller string, in schedule.CreateInput) (schedule.View, error)
	Get(ctx context.Context, caller, id string) (schedule.View, error)
	List(ctx context.Context, caller string, limit int, next string) ([]schedule.View, string, error)
	Update(ctx context.Context, caller, id string, in schedule.UpdateInput) (schedule.View, error)
	Delete(ctx context.Context, caller, id string) error
}

// Runs is the run use cases the API calls.
type Runs interface {
	RunNow(ctx context.Context, caller, scheduleID string) (run.Run, error)
	Get(ctx context.Context, caller, runID string) (run.View, error)
	List(ctx context.Context, caller, scheduleID string, limit int, next string) ([]run.Run, string, error)
	// ReportURL is a short-lived URL of an ended run's report.
	ReportURL(ctx context.Context, caller, runID, format string) (string, error)
}

var fixedScheduleFields = []string{"ScheduleId", "ScheduleName", "ScheduleType", "DatasetId", "CreatedBy", "CreatedAt", "UpdatedAt"}

func (a *API) addSchedules(s Schedules, runs Runs) {
	a.add(Route{Method: "POST", Path: "/schedules"}, func(ctx context.Context, r request) (int, any, error) {
		var in schedule.CreateInput
		if err := decode(r, &in); err != nil {
			return 0, nil, err
		}
		v, err := s.Create(ctx, r.caller, in)
		return http.StatusCreated, v, err
	})
	a.add(Route{Method: "GET", Path: "/schedules"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		page, next, err := s.List(ctx, r.caller, limit, r.QueryStringParameters["next"])
		return http.StatusOK, struct {
			Schedules []schedule.View
			Next      string `json:",omitempty"`
		}{nonNil(page), next}, err
	})
	a.add(Route{Method: "GET", Path: "/schedules/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := s.Get(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "PUT", Path: "/schedules/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		var in schedule.UpdateInput
		if err := decode(r, &in, fixedScheduleFields...); err != nil {
			return 0, nil, err
		}
		v, err := s.Update(ctx, r.caller, r.PathParameters["id"], in)
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "DELETE", Path: "/schedules/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		return http.StatusNoContent, nil, s.Delete(ctx, r.caller, r.PathParameters["id"])
	})
	a.addRuns(runs)
}

// addRuns adds the routes of a schedule's runs: start one, list them, read
// one and its report.
func (a *API) addRuns(runs Runs) {
	a.add(Route{Method: "POST", Path: "/schedules/{id}/run"}, func(ctx context.Context, r request) (int, any, error) {
		if r.Body != "" { // no body, or an object with no fields: any field is a mistake worth naming
			if err := decode(r, &struct{}{}); err != nil {
				return 0, nil, err
			}
		}
		started, err := runs.RunNow(ctx, r.caller, r.PathParameters["id"])
		return http.StatusAccepted, struct{ RunId string }{started.RunId}, err
	})
	a.add(Route{Method: "GET", Path: "/schedules/{id}/runs"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		page, next, err := runs.List(ctx, r.caller, r.PathParameters["id"], limit, r.QueryStringParameters["next"])
		return http.StatusOK, struct {
			Runs []run.Run
			Next string `json:",omitempty"`
		}{nonNil(page), next}, err
	})
	a.add(Route{Method: "GET", Path: "/runs/{runId}"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := runs.Get(ctx, r.caller, r.PathParameters["runId"])
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "GET", Path: "/runs/{runId}/report"}, func(ctx context.Context, r request) (int, any, error) {
		url, err := runs.ReportURL(ctx, r.caller, r.PathParameters["runId"], r.QueryStringParameters["format"])
		return http.StatusFound, redirect{Location: url}, err
	})
}
