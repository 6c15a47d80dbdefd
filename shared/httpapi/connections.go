package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// Connections is the connection use cases the API calls.
type Connections interface {
	Create(ctx context.Context, caller string, in connection.CreateInput) (connection.View, error)
	Get(ctx context.Context, caller, id string) (connection.View, error)
	List(ctx context.Context, caller string, limit int, next string) ([]connection.View, string, error)
	Update(ctx context.Context, caller, id string, in connection.UpdateInput) (connection.View, error)
	Delete(ctx context.Context, caller, id string) error
	Policies(ctx context.Context, caller, id string) (connection.Policies, error)
	Test(ctx context.Context, caller, id string) (connection.TestResult, error)
	Upgrade(ctx context.Context, caller, id string, target rules.Version) (connection.View, error)
	Downgrade(ctx context.Context, caller, id string) (connection.View, error)
}

// fixedConnectionFields may be set on create but not changed by PUT.
var fixedConnectionFields = []string{
	"ConnectionId", "ConnectionName", "ConnectionType", "S3Bucket", "S3BucketRegion",
	"ConnectionAccessType", "RoleArn", "ExternalId", "Version", "CreatedBy", "CreatedAt", "UpdatedAt",
}

// addConnections adds the routes of connections.
func (a *API) addConnections(s Connections) {
	a.add(Route{Method: "POST", Path: "/connections"}, func(ctx context.Context, r request) (int, any, error) {
		var in connection.CreateInput
		if err := decode(r, &in); err != nil {
			return 0, nil, err
		}
		v, err := s.Create(ctx, r.caller, in)
		return http.StatusCreated, v, err
	})
	a.add(Route{Method: "GET", Path: "/connections"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		page, next, err := s.List(ctx, r.caller, limit, r.QueryStringParameters["next"])
		if page == nil {
			page = []connection.View{}
		}
		return http.StatusOK, struct {
			Connections []connection.View
			Next        string `json:",omitempty"`
		}{page, next}, err
	})
	a.add(Route{Method: "GET", Path: "/connections/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := s.Get(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "PUT", Path: "/connections/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		var in connection.UpdateInput
		if err := decode(r, &in, fixedConnectionFields...); err != nil {
			return 0, nil, err
		}
		v, err := s.Update(ctx, r.caller, r.PathParameters["id"], in)
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "DELETE", Path: "/connections/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		return http.StatusNoContent, nil, s.Delete(ctx, r.caller, r.PathParameters["id"])
	})
	a.addConnectionActions(s)
}

// addConnectionActions adds the routes that act on a connection: its
// policies, its test, and its version's upgrade and downgrade.
func (a *API) addConnectionActions(s Connections) {
	a.add(Route{Method: "GET", Path: "/connections/{id}/policies"}, func(ctx context.Context, r request) (int, any, error) {
		p, err := s.Policies(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, p, err
	})
	a.add(Route{Method: "POST", Path: "/connections/{id}/test"}, func(ctx context.Context, r request) (int, any, error) {
		res, err := s.Test(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, res, err
	})
	a.add(Route{Method: "POST", Path: "/connections/{id}/upgrade"}, func(ctx context.Context, r request) (int, any, error) {
		var in struct{ Version rules.Version }
		if r.Body != "" { // the body is optional: no Version means the latest
			if err := decode(r, &in); err != nil {
				return 0, nil, err
			}
		}
		v, err := s.Upgrade(ctx, r.caller, r.PathParameters["id"], in.Version)
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "POST", Path: "/connections/{id}/downgrade"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := s.Downgrade(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, v, err
	})
}

// limitParam reads ?limit=, 0 when absent.
func limitParam(r request) (int, error) {
	raw, ok := r.QueryStringParameters["limit"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 100 {
		return 0, apperr.Invalid("limit", "must be a whole number from 1 to 100")
	}
	return n, nil
}
