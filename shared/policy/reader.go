package policy

// ConnectionTag is the session tag that names the connection a source
// reader session reads for; generated bucket and key policies require it
// as aws:PrincipalTag/ConnectionId, so a policy admits one connection only.
const ConnectionTag = "ConnectionId"

// SourceRead are the only actions a source-reader session may take on a
// source bucket: read it, and restore its archived objects for datasets
// that ask (which the bucket's own policy grants on their prefixes only).
var SourceRead = []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:RestoreObject"}

// Reader describes the platform's source-reader role: the identity every
// bucket-policy read goes through, one session per connection. It can read
// buckets outside the platform's account only, and write (never read) the
// zone buckets, so a server-side copy from a source into the LZ or DLZ
// works while nothing of the platform's own account can be read through a
// connection.
type Reader struct {
	Partition string   // "aws", "aws-cn", ...
	Region    string   // the platform's region
	Account   string   // the platform's account id
	Zones     []string // the LZ and DLZ bucket names
	KeyARN    string   // the platform key the zone objects are written with
}

// Identity is the source-reader role's identity policy.
func (r Reader) Identity() Document {
	s3 := "arn:" + r.Partition + ":s3:::"
	var zones Strings
	for _, z := range r.Zones {
		zones = append(zones, s3+z+"/*")
	}
	notPlatform := Conditions{"StringNotEquals": {"s3:ResourceAccount": {r.Account}}}
	return Document{Version: Version, Statement: Statements{
		{
			Sid: "ReadSourcesOutsideThePlatformAccount", Effect: Allow,
			Action: SourceRead, Resource: Strings{s3 + "*", s3 + "*/*"}, Condition: notPlatform,
		},
		{
			// An explicit deny also beats any grant a bucket policy of the
			// platform's own account might ever give this role.
			Sid: "NeverReadThePlatformAccount", Effect: Deny,
			Action: SourceRead, Resource: Strings{s3 + "*", s3 + "*/*"},
			Condition: Conditions{"StringEquals": {"s3:ResourceAccount": {r.Account}}},
		},
		{
			// assume_role connections: the owner's role, in its own account
			// (never one of the platform's), which its trust policy admits
			// only with the connection's ExternalId and tag.
			Sid: "AssumeOwnersRolesOutsideThePlatformAccount", Effect: Allow,
			Action: Strings{"sts:AssumeRole"}, Resource: Strings{"arn:" + r.Partition + ":iam::*:role/*"},
			Condition: Conditions{"StringNotEquals": {"aws:ResourceAccount": {r.Account}}},
		},
		{
			Sid: "WriteZoneObjects", Effect: Allow,
			Action: Strings{"s3:PutObject", "s3:AbortMultipartUpload"}, Resource: zones,
		},
		{
			// Zone objects are SSE-KMS with the platform key; multipart
			// copies need Decrypt as well as GenerateDataKey.
			Sid: "EncryptZoneObjectsViaS3", Effect: Allow,
			Action: Strings{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: Strings{r.KeyARN},
			Condition: Conditions{"StringEquals": {"kms:ViaService": {"s3." + r.Region + "." + dnsSuffix(r.Partition)}}},
		},
		{
			Sid: "DecryptSourceObjectsViaS3", Effect: Allow,
			Action: Strings{"kms:Decrypt"}, Resource: Strings{"arn:" + r.Partition + ":kms:*:*:key/*"},
			Condition: Conditions{
				"StringLike":      {"kms:ViaService": {"s3.*." + dnsSuffix(r.Partition)}},
				"StringNotEquals": {"aws:ResourceAccount": {r.Account}},
			},
		},
	}}
}

// Trust is the source-reader role's trust policy: only callers (the
// ingestion functions' roles) may start sessions, and tag them.
func (r Reader) Trust(callers []string) Document {
	return Document{Version: Version, Statement: Statements{{
		Sid: "IngestionFunctionsStartTaggedSessions", Effect: Allow,
		Principal: Principal{"AWS": callers},
		Action:    Strings{"sts:AssumeRole", "sts:TagSession"},
	}}}
}

// Assume is what a caller's identity policy needs to start reader sessions.
func (r Reader) Assume(roleARN string) Statement {
	return Statement{Sid: "StartSourceReaderSessions", Effect: Allow,
		Action: Strings{"sts:AssumeRole", "sts:TagSession"}, Resource: Strings{roleARN}}
}

// dnsSuffix is the domain of a partition's service endpoints.
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}
