package connection

import (
	"strings"

	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// Policies are the documents the owner of a source bucket attaches so that
// the platform can read it for this connection, and for no other: a bucket
// policy and a key policy statement (bucket_policy), or a role's trust and
// permissions policies (assume_role).
type Policies struct {
	BucketPolicy      policy.Document `json:",omitzero"`
	KmsKeyPolicy      policy.Document `json:",omitzero"`
	TrustPolicy       policy.Document `json:",omitzero"`
	PermissionsPolicy policy.Document `json:",omitzero"`
	// InventoryBucketPolicies are the bucket policies of the inventory
	// buckets (other than the source) of the connection's datasets, by
	// bucket (bucket_policy).
	InventoryBucketPolicies map[string]policy.Document `json:",omitempty"`
	// RestoresPaidBy says who pays for the restores the grants of datasets
	// with RestoreArchived allow; absent when no dataset restores.
	RestoresPaidBy string `json:",omitempty"`
	// Events is what the bucket's owner configures for the connection's
	// event-driven datasets (any access type), nil without one.
	Events *EventsSetup `json:",omitempty"`
}

// PoliciesFor builds least-privilege policies that let the source reader
// role's sessions made for c (tagged with c's ConnectionId) list the
// bucket, find its region and read its objects (nothing else), and
// decrypt with the bucket owner's key only when S3 asks on that bucket's
// behalf. Another connection to the same bucket is refused by the bucket
// itself: its sessions carry another tag. The inventories of the
// connection's datasets add their grants (withInventories).
func PoliciesFor(c Connection, readerRoleARN string, inventories ...inventory.Location) Policies {
	partition := Partition(c.S3BucketRegion)
	arn := "arn:" + partition + ":s3:::" + c.S3Bucket
	// kms:ViaService names the service by its endpoint host, whose domain
	// differs in the China partition (s3.cn-north-1.amazonaws.com.cn).
	s3Hosts := "s3.*.amazonaws.com"
	if partition == "aws-cn" {
		s3Hosts += ".cn"
	}
	principal := policy.Principal{"AWS": {readerRoleARN}}
	thisConnection := map[string]policy.Strings{"aws:PrincipalTag/" + policy.ConnectionTag: {c.ConnectionId}}
	sid := strings.ReplaceAll(c.ConnectionId, "-", "")
	p := Policies{
		BucketPolicy: policy.Document{
			Version: policy.Version,
			Statement: policy.Statements{
				{
					Sid:       "S3ConnectionsList" + sid,
					Effect:    policy.Allow,
					Principal: principal,
					Action:    policy.Strings{"s3:ListBucket", "s3:GetBucketLocation"},
					Resource:  policy.Strings{arn},
					Condition: policy.Conditions{"StringEquals": thisConnection},
				},
				{
					Sid:       "S3ConnectionsRead" + sid,
					Effect:    policy.Allow,
					Principal: principal,
					Action:    policy.Strings{"s3:GetObject"},
					Resource:  policy.Strings{arn + "/*"},
					Condition: policy.Conditions{"StringEquals": thisConnection},
				},
			},
		},
		KmsKeyPolicy: policy.Document{
			Version: policy.Version,
			Statement: policy.Statements{{
				Sid:       "S3ConnectionsDecrypt" + sid,
				Effect:    policy.Allow,
				Principal: principal,
				Action:    policy.Strings{"kms:Decrypt"},
				Resource:  policy.Strings{"*"}, // in a key policy, "*" is the key itself
				Condition: policy.Conditions{
					"StringEquals": thisConnection,
					"StringLike": {
						"kms:ViaService": {s3Hosts},
						// S3 passes the object ARN, or the bucket ARN with bucket keys.
						"kms:EncryptionContext:aws:s3:arn": append(policy.Strings{arn, arn + "/*"}, inventoryARNs(c, inventories)...),
					},
				},
			}},
		},
	}
	return withInventories(p, c, readerRoleARN, inventories)
}

// RolePoliciesFor builds the trust and permissions policies of c's role.
// The trust admits the source reader role only with c's ExternalId, and
// only from the session the platform made for c (its ConnectionId tag);
// the permissions are list, locate and read of c's bucket, and decryption
// by S3 of its objects (the same grants as PoliciesFor's, as an identity
// policy), with the grants of the connection's inventories.
func RolePoliciesFor(c Connection, readerRoleARN string, inventories ...inventory.Location) Policies {
	partition := Partition(c.S3BucketRegion)
	bucket := "arn:" + partition + ":s3:::" + c.S3Bucket
	sid := strings.ReplaceAll(c.ConnectionId, "-", "")
	viaS3 := PoliciesFor(c, readerRoleARN, inventories...).KmsKeyPolicy.Statement[0].Condition["StringLike"]
	p := Policies{
		TrustPolicy: policy.Document{Version: policy.Version, Statement: policy.Statements{{
			Sid: "S3ConnectionsAssume" + sid, Effect: policy.Allow,
			Principal: policy.Principal{"AWS": {readerRoleARN}},
			Action:    policy.Strings{"sts:AssumeRole"},
			Condition: policy.Conditions{"StringEquals": {
				"sts:ExternalId": {c.ExternalId},
				"aws:PrincipalTag/" + policy.ConnectionTag: {c.ConnectionId},
			}},
		}}},
		PermissionsPolicy: policy.Document{Version: policy.Version, Statement: policy.Statements{
			{Sid: "S3ConnectionsList" + sid, Effect: policy.Allow, Action: policy.Strings{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: policy.Strings{bucket}},
			{Sid: "S3ConnectionsRead" + sid, Effect: policy.Allow, Action: policy.Strings{"s3:GetObject"}, Resource: policy.Strings{bucket + "/*"}},
			{Sid: "S3ConnectionsDecrypt" + sid, Effect: policy.Allow, Action: policy.Strings{"kms:Decrypt"},
				Resource: policy.Strings{"arn:" + partition + ":kms:*:*:key/*"}, Condition: policy.Conditions{"StringLike": viaS3}},
		}},
	}
	return withInventories(p, c, readerRoleARN, inventories)
}
