package connection

import (
	"slices"
	"strings"

	"github.com/datalake-platform/s3connections/shared/policy"
)

// A dataset that restores archived files (RestoreArchived) sends
// RestoreObject with the connection's access: the owner grants
// s3:RestoreObject on the DirectoryPath of each such dataset only, for this
// connection's sessions only, and pays for the restores (or, on a
// Requester Pays bucket, the platform's account does: RestoresPaidBy).

// RestorePrefixes are the DirectoryPaths of the datasets in refs that
// restore archived files, each once, sorted ("" is the whole bucket).
func RestorePrefixes(refs []DatasetRef) []string {
	var prefixes []string
	for _, r := range refs {
		if r.RestoreArchived && !slices.Contains(prefixes, r.DirectoryPath) {
			prefixes = append(prefixes, r.DirectoryPath)
		}
	}
	slices.Sort(prefixes)
	return prefixes
}

// withRestores adds to p the grant of s3:RestoreObject on prefixes of c's
// bucket: to the bucket policy (bucket_policy) or the role's permissions
// (assume_role), and says who pays.
func withRestores(p Policies, c Connection, readerRoleARN string, prefixes []string) Policies {
	if len(prefixes) == 0 {
		return p
	}
	arn := "arn:" + Partition(c.S3BucketRegion) + ":s3:::" + c.S3Bucket
	var objects policy.Strings
	for _, prefix := range prefixes {
		objects = append(objects, arn+"/"+prefix+"*")
	}
	grant := policy.Statement{
		Sid: "S3ConnectionsRestore" + strings.ReplaceAll(c.ConnectionId, "-", ""), Effect: policy.Allow,
		Action: policy.Strings{"s3:RestoreObject"}, Resource: objects,
	}
	if c.ConnectionAccessType == AssumeRole {
		p.PermissionsPolicy.Statement = append(p.PermissionsPolicy.Statement, grant)
	} else {
		grant.Principal = policy.Principal{"AWS": {readerRoleARN}}
		grant.Condition = policy.Conditions{"StringEquals": {"aws:PrincipalTag/" + policy.ConnectionTag: {c.ConnectionId}}}
		p.BucketPolicy.Statement = append(p.BucketPolicy.Statement, grant)
	}
	p.RestoresPaidBy = "the bucket owner's account: S3 bills restore requests and retrievals to it"
	if c.RequesterPays {
		p.RestoresPaidBy = "the platform's account: the bucket is Requester Pays (RequesterPays), so S3 bills the requester"
	}
	return p
}
