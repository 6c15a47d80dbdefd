package httpapi

import (
	"context"
	"net/http"

	"github.com/datalake-platform/s3connections/shared/dataset"
)

// Datasets is the dataset use cases the API calls.
type Datasets interface {
	Create(ctx context.Context, caller string, in dataset.CreateInput) (dataset.View, error)
	Get(ctx context.Context, caller, id string) (dataset.View, error)
	List(ctx context.Context, caller string, limit int, next string) ([]dataset.View, string, error)
	Update(ctx context.Context, caller, id string, in dataset.UpdateInput) (dataset.View, error)
	Delete(ctx context.Context, caller, id string) error
	Files(ctx context.Context, caller, id string, limit int, next string) ([]dataset.File, string, error)
	Restores(ctx context.Context, caller, id string, limit int, next string) ([]dataset.PendingRestore, string, error)
	OnConnection(ctx context.Context, caller, connectionID string) ([]dataset.Built, error)
}

var fixedDatasetFields = []string{
	"DatasetId", "DatasetName", "Domain", "ConnectionId", "FileType", "DirectoryPath", "CreatedBy", "CreatedAt", "UpdatedAt",
}

func (a *API) addDatasets(s Datasets) {
	a.add(Route{Method: "GET", Path: "/connections/{id}/datasets"}, func(ctx context.Context, r request) (int, any, error) {
		built, err := s.OnConnection(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, struct{ Datasets []dataset.Built }{nonNil(built)}, err
	})
	a.add(Route{Method: "POST", Path: "/datasets"}, func(ctx context.Context, r request) (int, any, error) {
		var in dataset.CreateInput
		if err := decode(r, &in); err != nil {
			return 0, nil, err
		}
		v, err := s.Create(ctx, r.caller, in)
		return http.StatusCreated, v, err
	})
	a.add(Route{Method: "GET", Path: "/datasets"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		page, next, err := s.List(ctx, r.caller, limit, r.QueryStringParameters["next"])
		return http.StatusOK, struct {
			Datasets []dataset.View
			Next     string `json:",omitempty"`
		}{nonNil(page), next}, err
	})
	a.add(Route{Method: "GET", Path: "/datasets/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := s.Get(ctx, r.caller, r.PathParameters["id"])
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "PUT", Path: "/datasets/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		var in dataset.UpdateInput
		if err := decode(r, &in, fixedDatasetFields...); err != nil {
			return 0, nil, err
		}
		v, err := s.Update(ctx, r.caller, r.PathParameters["id"], in)
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "DELETE", Path: "/datasets/{id}"}, func(ctx context.Context, r request) (int, any, error) {
		return http.StatusNoContent, nil, s.Delete(ctx, r.caller, r.PathParameters["id"])
	})
	a.addDatasetContents(s)
}

// addDatasetContents adds the routes that list what a dataset holds: its
// catalog of files and its pending restores.
func (a *API) addDatasetContents(s Datasets) {
	a.add(Route{Method: "GET", Path: "/datasets/{id}/files"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		files, next, err := s.Files(ctx, r.caller, r.PathParameters["id"], limit, r.QueryStringParameters["next"])
		return http.StatusOK, struct {
			Files []dataset.File
			Next  string `json:",omitempty"`
		}{nonNil(files), next}, err
	})
	a.add(Route{Method: "GET", Path: "/datasets/{id}/restores"}, func(ctx context.Context, r request) (int, any, error) {
		limit, err := limitParam(r)
		if err != nil {
			return 0, nil, err
		}
		pending, next, err := s.Restores(ctx, r.caller, r.PathParameters["id"], limit, r.QueryStringParameters["next"])
		return http.StatusOK, struct {
			Restores []dataset.PendingRestore
			Next     string `json:",omitempty"`
		}{nonNil(pending), next}, err
	})
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
