package dataset

import (
	"errors"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/inventory"
)

// The Inventory option is checked like a source: a bucket name by S3's
// rules, a prefix by DirectoryPath's, the configuration's folder of the
// connection's bucket, never a platform bucket; each refusal names its field.
func TestInventoryOption(t *testing.T) {
	conn := connection.Connection{S3Bucket: "acme-src"}
	s := &Service{PlatformBuckets: []string{"s3connections-dlz-000000000000-us-east-1"}}
	cases := []struct {
		name          string
		in            inventory.Location
		field, prefix string
	}{
		{"good", inventory.Location{Bucket: "acme-inv", Prefix: "/reports/acme-src/daily"}, "", "reports/acme-src/daily/"},
		{"no destination prefix", inventory.Location{Bucket: "acme-inv", Prefix: "acme-src/daily/"}, "", "acme-src/daily/"},
		{"no bucket", inventory.Location{Prefix: "acme-src/daily/"}, "Inventory.Bucket", ""},
		{"bad bucket", inventory.Location{Bucket: "Acme_Inv", Prefix: "acme-src/daily/"}, "Inventory.Bucket", ""},
		{"platform bucket", inventory.Location{Bucket: "s3connections-dlz-000000000000-us-east-1", Prefix: "acme-src/daily/"}, "Inventory.Bucket", ""},
		{"no prefix", inventory.Location{Bucket: "acme-inv"}, "Inventory.Prefix", ""},
		{"another bucket's", inventory.Location{Bucket: "acme-inv", Prefix: "reports/other/daily/"}, "Inventory.Prefix", ""},
		{"no configuration", inventory.Location{Bucket: "acme-inv", Prefix: "reports/acme-src/"}, "Inventory.Prefix", ""},
		{"unsafe prefix", inventory.Location{Bucket: "acme-inv", Prefix: "reports/../acme-src/daily/"}, "Inventory.Prefix", ""},
		{"long prefix", inventory.Location{Bucket: "acme-inv", Prefix: strings.Repeat("a/", 600) + "acme-src/d/"}, "Inventory.Prefix", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Dataset
			err := s.updateInventory(&d, &tc.in, conn)
			var e *apperr.Error
			switch {
			case tc.field == "" && (err != nil || d.Inventory == nil || d.Inventory.Prefix != tc.prefix || d.Inventory.Bucket != tc.in.Bucket):
				t.Fatalf("got %+v, %v; want prefix %q", d.Inventory, err, tc.prefix)
			case tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field || e.Kind != apperr.KindInvalid):
				t.Fatalf("got %v, want a 400 naming %s", err, tc.field)
			}
		})
	}
	d := Dataset{Inventory: &inventory.Location{Bucket: "acme-inv", Prefix: "acme-src/daily/"}}
	if err := s.updateInventory(&d, &inventory.Location{}, conn); err != nil || d.Inventory != nil {
		t.Fatalf("{} did not remove the inventory: %+v %v", d.Inventory, err)
	}
}
