package metadata

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

// CatalogNames reads the catalog entries of names (those that have one),
// keyed by name, by key in batches: for an inventory's page, whose names
// are spread over the whole catalog, a range (CatalogRange) would read it
// all for every page.
func (s *Store) CatalogNames(ctx context.Context, datasetID string, names []string) (map[string]dataset.File, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		sk := filePrefix + fileNameKey(n)
		if seen[sk] {
			continue // BatchGetItem refuses a key twice
		}
		seen[sk] = true
		keys = append(keys, key(filesPrefix+datasetID, sk))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read catalog of dataset %s: %w", datasetID, err)
	}
	files := make(map[string]dataset.File, len(items))
	for _, it := range items {
		var f dataset.File
		if err := attributevalue.UnmarshalMap(it, &f); err != nil {
			return nil, fmt.Errorf("decode catalog entry of dataset %s: %w", datasetID, err)
		}
		if f.Name != "" { // not a gate-only entry
			files[f.Name] = f
		}
	}
	return files, nil
}
