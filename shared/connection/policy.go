package connection

// Policies are the documents the owner of a source bucket attaches so that
// the platform's ingestion role can read it.
type Policies struct {
	BucketPolicy PolicyDocument
	KmsKeyPolicy PolicyDocument
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string
	Statement []Statement
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid       string
	Effect    string
	Principal map[string][]string
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string `json:",omitempty"`
}

// PoliciesFor builds least-privilege policies that let roleARNs list the
// bucket, find its region and read its objects (nothing else), and decrypt
// with the bucket owner's key only when S3 asks on that bucket's behalf.
func PoliciesFor(c Connection, roleARNs []string) Policies {
	partition := Partition(c.S3BucketRegion)
	arn := "arn:" + partition + ":s3:::" + c.S3Bucket
	// kms:ViaService names the service by its endpoint host, whose domain
	// differs in the China partition (s3.cn-north-1.amazonaws.com.cn).
	s3Hosts := "s3.*.amazonaws.com"
	if partition == "aws-cn" {
		s3Hosts += ".cn"
	}
	principal := map[string][]string{"AWS": roleARNs}
	return Policies{
		BucketPolicy: PolicyDocument{
			Version: "2012-10-17",
			Statement: []Statement{
				{
					Sid:       "S3ConnectionsListBucket",
					Effect:    "Allow",
					Principal: principal,
					Action:    []string{"s3:ListBucket", "s3:GetBucketLocation"},
					Resource:  []string{arn},
				},
				{
					Sid:       "S3ConnectionsReadObjects",
					Effect:    "Allow",
					Principal: principal,
					Action:    []string{"s3:GetObject"},
					Resource:  []string{arn + "/*"},
				},
			},
		},
		KmsKeyPolicy: PolicyDocument{
			Version: "2012-10-17",
			Statement: []Statement{{
				Sid:       "S3ConnectionsDecryptBucketObjects",
				Effect:    "Allow",
				Principal: principal,
				Action:    []string{"kms:Decrypt"},
				Resource:  []string{"*"}, // in a key policy, "*" is the key itself
				Condition: map[string]map[string][]string{
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
