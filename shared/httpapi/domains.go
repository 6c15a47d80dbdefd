package httpapi

import (
	"context"
	"net/http"

	"github.com/datalake-platform/s3connections/shared/dataset"
)

// Domains is the domain use cases the API calls.
type Domains interface {
	Get(ctx context.Context, caller, name string) (dataset.DomainView, error)
	Update(ctx context.Context, caller, name string, in dataset.DomainUpdateInput) (dataset.DomainView, error)
}

// domainParam is the path parameter of the domain routes: a domain's name,
// not a UUID, which the use cases check against the rule of domain names.
const domainParam = "name"

var fixedDomainFields = []string{"Domain", "CreatedBy", "CreatedAt", "UpdatedAt"}

func (a *API) addDomains(s Domains) {
	a.add(Route{Method: "GET", Path: "/domains/{name}"}, func(ctx context.Context, r request) (int, any, error) {
		v, err := s.Get(ctx, r.caller, r.PathParameters[domainParam])
		return http.StatusOK, v, err
	})
	a.add(Route{Method: "PUT", Path: "/domains/{name}"}, func(ctx context.Context, r request) (int, any, error) {
		if err := dataset.CheckDomainName(r.PathParameters[domainParam]); err != nil {
			return 0, nil, err // a name no domain has: 404, whatever the body
		}
		var in dataset.DomainUpdateInput
		if err := decode(r, &in, fixedDomainFields...); err != nil {
			return 0, nil, err
		}
		v, err := s.Update(ctx, r.caller, r.PathParameters[domainParam], in)
		return http.StatusOK, v, err
	})
}
