package httpapi

import (
	_ "embed"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

//go:embed openapi.json
var openAPI []byte

// The document and the router must list the same routes: a route added to
// one and not the other fails here.
func TestOpenAPIListsExactlyTheServedRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var served []string
	for _, r := range Routes() {
		served = append(served, r.Key())
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("OpenAPI documents %v\nrouter serves %v", documented, served)
	}
}
