package connection

import (
	"strings"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// Policies are the documents the owner of a source bucket attaches so that
// the platform can read it for this connection, and for no other.
type Policies struct {
	BucketPolicy policy.Document
	KmsKeyPolicy policy.Document
}

// PoliciesFor builds least-privilege policies that let the source reader
// role's sessions made for c (tagged with c's ConnectionId) list the
// bucket, find its region and read its objects (nothing else), and
// decrypt with the bucket owner's key only when S3 asks on that bucket's
// behalf. Another connection to the same bucket is refused by the bucket
// itself: its sessions carry another tag.
func PoliciesFor(c Connection, readerRoleARN string) Policies {
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
	return Policies{
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
						"kms:EncryptionContext:aws:s3:arn": {arn, arn + "/*"},
					},
				},
			}},
		},
	}
}
