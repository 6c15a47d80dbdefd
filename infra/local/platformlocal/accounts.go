package platformlocal

import (
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// The local platform has two accounts, as a real deployment and its users
// have: the platform's own, and a source owner's whose buckets users
// connect. endpoints.env gives any S3 tool the source owner's keys.
const (
	// SourceAccount owns the demo buckets and whatever an S3 tool creates
	// with endpoints.env: give it as S3BucketOwner.
	SourceAccount = "111122223333"
	// SourceAccessKeyID and SourceSecretAccessKey are the source owner's
	// administrator keys.
	SourceAccessKeyID     = "AKIASOURCEOWNER00001"
	SourceSecretAccessKey = "source-owner-secret-key-00000000000000000"
)

// FunctionsARN is the identity the local functions share: locally they
// stand for the planner's, worker's and API's roles, with the platform
// account's full access (their own roles are not modelled here; the
// source reader role and the accounts are).
func FunctionsARN() string {
	return platform.RoleARN("aws", Account, platform.Prefix+"-local-functions")
}

// reader is the source reader role as deployed: the same Go definition the
// CDK stack renders (shared/policy).
func (p *Platform) reader() policy.Reader {
	return policy.Reader{
		Partition: "aws", Region: Region, Account: Account,
		Zones: []string{p.Names.LZBucket, p.Names.DLZBucket}, KeyARN: p.Config.KMSKeyID,
	}
}

// ReaderRoleARN is the source reader role's ARN.
func (p *Platform) ReaderRoleARN() string {
	return platform.RoleARN("aws", Account, p.Names.SourceReaderRole)
}

// registerIdentities gives the local IAM the accounts' keys and the source
// reader role, with the policies the stack deploys.
func (p *Platform) registerIdentities() {
	p.IAM.AddKey(AccessKeyID, SecretAccessKey, iamlocal.Principal{
		Account: Account, ARN: FunctionsARN(), Policies: []policy.Document{iamlocal.Admin()},
	})
	p.IAM.AddKey(SourceAccessKeyID, SourceSecretAccessKey, iamlocal.Principal{
		Account: SourceAccount, ARN: "arn:aws:iam::" + SourceAccount + ":user/source-owner", Policies: []policy.Document{iamlocal.Admin()},
	})
	bucket := "arn:aws:s3:::" + DemoKeysBucket
	p.IAM.AddKey(DemoAccessKeyID, DemoSecretAccessKey, iamlocal.Principal{
		Account: SourceAccount, ARN: "arn:aws:iam::" + SourceAccount + ":user/demo-reader",
		Policies: []policy.Document{{Version: policy.Version, Statement: policy.Statements{
			{Sid: "ListDemoKeysBucket", Effect: policy.Allow, Action: policy.Strings{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: policy.Strings{bucket}},
			{Sid: "ReadAndWriteItsObjects", Effect: policy.Allow, Action: policy.Strings{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, Resource: policy.Strings{bucket + "/*"}},
		}}},
	})
}

// registerReader adds the source reader role once the platform key exists.
func (p *Platform) registerReader() {
	r := p.reader()
	p.IAM.AddRole(iamlocal.Role{
		ARN:      p.ReaderRoleARN(),
		Trust:    r.Trust([]string{FunctionsARN()}),
		Policies: []policy.Document{r.Identity()},
	})
}
