package connection

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// The policies grant reads of an inventory only where a dataset uses one
// outside the source bucket: list of its configuration folder (s3:prefix)
// and read under it, for this connection's sessions; a key policy that lets
// S3 decrypt its reports; nothing for an inventory in the source bucket,
// which the source's grants cover.
func TestInventoryGrants(t *testing.T) {
	const reader = "arn:aws:iam::000000000000:role/s3connections-source-reader"
	c := Connection{ConnectionId: "0b6c-42", S3Bucket: "acme-src", ConnectionAccessType: BucketPolicy}
	same := inventory.Location{Bucket: "acme-src", Prefix: "inv/acme-src/daily/"}
	other := inventory.Location{Bucket: "acme-inv", Prefix: "reports/acme-src/daily/"}

	if p := PoliciesFor(c, reader, same); p.InventoryBucketPolicies != nil || !slices.Equal(PoliciesFor(c, reader).BucketPolicy.Statement[0].Action, p.BucketPolicy.Statement[0].Action) {
		t.Fatalf("an inventory in the source bucket added grants: %+v", p.InventoryBucketPolicies)
	}
	p := PoliciesFor(c, reader, other, same, other)
	doc, ok := p.InventoryBucketPolicies["acme-inv"]
	if !ok || len(p.InventoryBucketPolicies) != 1 {
		t.Fatalf("inventory bucket policies %v", p.InventoryBucketPolicies)
	}
	raw, _ := json.Marshal(doc)
	sts := iamDocument(t, "inventory bucket policy", raw)
	if len(sts) != 2 {
		t.Fatalf("%d statements, want list and read", len(sts))
	}
	list, read := doc.Statement[0], doc.Statement[1]
	tag := policy.Strings{"0b6c-42"}
	switch {
	case !slices.Equal(list.Action, policy.Strings{"s3:ListBucket"}) || !slices.Equal(list.Resource, policy.Strings{"arn:aws:s3:::acme-inv"}):
		t.Errorf("list %+v", list)
	case !slices.Equal(list.Condition["StringLike"]["s3:prefix"], policy.Strings{other.Prefix, other.Prefix + "*"}):
		t.Errorf("list of more than the inventory's folder: %v", list.Condition)
	case !slices.Equal(read.Action, policy.Strings{"s3:GetObject"}) || !slices.Equal(read.Resource, policy.Strings{"arn:aws:s3:::acme-inv/" + other.Prefix + "*"}):
		t.Errorf("read %+v", read)
	case !slices.Equal(list.Condition["StringEquals"]["aws:PrincipalTag/"+policy.ConnectionTag], tag) ||
		!slices.Equal(read.Condition["StringEquals"]["aws:PrincipalTag/"+policy.ConnectionTag], tag):
		t.Errorf("grants not limited to this connection's sessions: %v %v", list.Condition, read.Condition)
	}
	arns := p.KmsKeyPolicy.Statement[0].Condition["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
	if !slices.Contains(arns, "arn:aws:s3:::acme-inv/*") {
		t.Errorf("key policy does not let S3 decrypt the inventory's reports: %v", arns)
	}

	c.ConnectionAccessType, c.ExternalId = AssumeRole, "ext"
	role := RolePoliciesFor(c, reader, other)
	base := RolePoliciesFor(c, reader)
	added := role.PermissionsPolicy.Statement[len(base.PermissionsPolicy.Statement):]
	if len(added) != 2 || added[0].Principal != nil || !slices.Equal(added[1].Resource, policy.Strings{"arn:aws:s3:::acme-inv/" + other.Prefix + "*"}) ||
		role.InventoryBucketPolicies != nil {
		t.Fatalf("role grants %+v", added)
	}
}
