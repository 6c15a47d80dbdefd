package connection

import (
	"slices"
	"strconv"
	"strings"

	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// A dataset planned from S3 Inventory reports reads them with the
// connection's access. An inventory in the source bucket is covered by the
// source's grants; one in another bucket needs grants there, only as long
// as a dataset of the connection uses it: list its configuration folder
// (s3:prefix) and read the objects under it, for the reader sessions of
// this connection only. S3 decrypts its reports for the same sessions.

// withInventories adds to p the grants of c's inventories outside its
// bucket: a bucket policy per inventory bucket (bucket_policy), or
// statements of the role's permissions policy (assume_role).
func withInventories(p Policies, c Connection, readerRoleARN string, inventories []inventory.Location) Policies {
	others := otherBuckets(c, inventories)
	if len(others) == 0 {
		return p
	}
	partition := Partition(c.S3BucketRegion)
	sid := strings.ReplaceAll(c.ConnectionId, "-", "")
	if c.ConnectionAccessType == AssumeRole {
		for i, inv := range others {
			p.PermissionsPolicy.Statement = append(p.PermissionsPolicy.Statement, inventoryGrants(inv, partition, sid, i, nil, nil)...)
		}
		return p
	}
	principal := policy.Principal{"AWS": {readerRoleARN}}
	thisConnection := map[string]policy.Strings{"aws:PrincipalTag/" + policy.ConnectionTag: {c.ConnectionId}}
	p.InventoryBucketPolicies = map[string]policy.Document{}
	for i, inv := range others {
		doc := p.InventoryBucketPolicies[inv.Bucket]
		doc.Version = policy.Version
		doc.Statement = append(doc.Statement, inventoryGrants(inv, partition, sid, i, principal, thisConnection)...)
		p.InventoryBucketPolicies[inv.Bucket] = doc
	}
	return p
}

// inventoryGrants are the list and read statements of inv: identity
// statements without principal, bucket-policy ones with it.
func inventoryGrants(inv inventory.Location, partition, sid string, i int, principal policy.Principal, thisConnection map[string]policy.Strings) policy.Statements {
	arn := "arn:" + partition + ":s3:::" + inv.Bucket
	n := strconv.Itoa(i + 1)
	list := policy.Conditions{"StringLike": {"s3:prefix": {inv.Prefix, inv.Prefix + "*"}}}
	read := policy.Conditions(nil)
	if thisConnection != nil {
		list["StringEquals"] = thisConnection
		read = policy.Conditions{"StringEquals": thisConnection}
	}
	return policy.Statements{
		{Sid: "S3ConnectionsInventoryList" + sid + "N" + n, Effect: policy.Allow, Principal: principal,
			Action: policy.Strings{"s3:ListBucket"}, Resource: policy.Strings{arn}, Condition: list},
		{Sid: "S3ConnectionsInventoryRead" + sid + "N" + n, Effect: policy.Allow, Principal: principal,
			Action: policy.Strings{"s3:GetObject"}, Resource: policy.Strings{arn + "/" + inv.Prefix + "*"}, Condition: read},
	}
}

// otherBuckets are the inventories outside c's bucket, each once, in order.
func otherBuckets(c Connection, inventories []inventory.Location) []inventory.Location {
	var others []inventory.Location
	for _, inv := range inventories {
		if inv.Bucket != c.S3Bucket && !slices.Contains(others, inv) {
			others = append(others, inv)
		}
	}
	slices.SortFunc(others, func(a, b inventory.Location) int {
		return strings.Compare(a.Bucket+"/"+a.Prefix, b.Bucket+"/"+b.Prefix)
	})
	return others
}

// inventoryARNs are the ARNs S3 names when it decrypts an inventory's
// objects with the owner's key, for the key policy's condition.
func inventoryARNs(c Connection, inventories []inventory.Location) policy.Strings {
	var arns policy.Strings
	for _, inv := range otherBuckets(c, inventories) {
		arn := "arn:" + Partition(c.S3BucketRegion) + ":s3:::" + inv.Bucket
		if !slices.Contains(arns, arn) {
			arns = append(arns, arn, arn+"/*")
		}
	}
	return arns
}
