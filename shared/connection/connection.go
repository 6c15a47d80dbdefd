// Package connection holds the S3 Connection: its fields and rules, the
// version upgrades and downgrades, the generated access policies, and the use
// cases the REST API runs on it.
package connection

import (
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// AccessType says how the platform reaches the source bucket.
type AccessType string

const (
	// AccessKeys: the platform uses an IAM user's keys that the connection stores encrypted.
	AccessKeys AccessType = "access_keys"
	// BucketPolicy: the bucket owner's policy admits the platform's source
	// reader sessions made for this connection only.
	BucketPolicy AccessType = "bucket_policy"
	// AssumeRole: the platform assumes the owner's role (RoleArn) with the
	// ExternalId it generated for this connection; no key is stored.
	AssumeRole AccessType = "assume_role"
)

// TypeS3 is the only connection type this service knows.
const TypeS3 = "s3"

// Connection is a user's access to one source bucket.
type Connection struct {
	ConnectionId    string
	ConnectionName  string
	ConnectionType  string
	Description     string
	CreatedBy       string   // the owner: the only one who may change or delete it
	AuthorizedUsers []string // who may see and use it; always holds CreatedBy
	S3Bucket        string
	S3BucketRegion  string
	// S3BucketOwner is the account that must own S3Bucket ("" for any):
	// every source request carries it as the expected bucket owner.
	S3BucketOwner string
	// RequesterPays: S3Bucket is a Requester Pays bucket, so every source
	// request says the platform's account pays (x-amz-request-payer).
	RequesterPays        bool
	ConnectionAccessType AccessType
	AccessKeyId          string
	// RoleArn is the owner's role an assume_role connection assumes, and
	// ExternalId the unguessable value its trust policy must require: the
	// platform makes it, so no other connection can present it.
	RoleArn    string
	ExternalId string
	// SecretCiphertext is the KMS ciphertext of the secret access key, bound to
	// ConnectionId by the encryption context. Only ingestion functions decrypt it.
	SecretCiphertext []byte
	Version          rules.Version
	// PreviousVersions is a stack: each upgrade pushes the version it left,
	// each downgrade pops the version to return to.
	PreviousVersions []rules.Version
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Revision grows on every change; updates are conditional on it.
	Revision int64
}

// CanSee says whether user may see and use the connection.
func (c Connection) CanSee(user string) bool {
	return access.CanSee(c.CreatedBy, c.AuthorizedUsers, user)
}

// Owner is who may change or delete the connection.
func (c Connection) Owner() string { return c.CreatedBy }

// Describe names the connection in messages.
func (c Connection) Describe() string { return "connection " + c.ConnectionName }

// DowngradeTarget is the version a downgrade returns to, if any.
func (c Connection) DowngradeTarget() (rules.Version, bool) {
	if len(c.PreviousVersions) == 0 {
		return "", false
	}
	return c.PreviousVersions[len(c.PreviousVersions)-1], true
}

// View is a connection as the API shows it: never the secret.
type View struct {
	ConnectionId         string
	ConnectionName       string
	ConnectionType       string
	Description          string
	CreatedBy            string
	AuthorizedUsers      []string
	S3Bucket             string
	S3BucketRegion       string `json:",omitempty"`
	S3BucketOwner        string `json:",omitempty"`
	RequesterPays        bool   `json:",omitempty"`
	ConnectionAccessType AccessType
	AccessKeyId          string `json:",omitempty"`
	RoleArn              string `json:",omitempty"`
	ExternalId           string `json:",omitempty"`
	Version              rules.Version
	// DowngradeVersion is where a downgrade would go; empty when the
	// connection was never upgraded.
	DowngradeVersion rules.Version `json:",omitempty"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// View returns what the API may show of c.
func (c Connection) View() View {
	down, _ := c.DowngradeTarget()
	return View{
		ConnectionId:         c.ConnectionId,
		ConnectionName:       c.ConnectionName,
		ConnectionType:       c.ConnectionType,
		Description:          c.Description,
		CreatedBy:            c.CreatedBy,
		AuthorizedUsers:      c.AuthorizedUsers,
		S3Bucket:             c.S3Bucket,
		S3BucketRegion:       c.S3BucketRegion,
		S3BucketOwner:        c.S3BucketOwner,
		RequesterPays:        c.RequesterPays,
		ConnectionAccessType: c.ConnectionAccessType,
		AccessKeyId:          c.AccessKeyId,
		RoleArn:              c.RoleArn,
		ExternalId:           c.ExternalId,
		Version:              c.Version,
		DowngradeVersion:     down,
		CreatedAt:            c.CreatedAt,
		UpdatedAt:            c.UpdatedAt,
	}
}

// DatasetRef names a dataset that uses a connection, for 409 messages and
// downgrade checks.
type DatasetRef struct {
	DatasetId   string
	DatasetName string
	Domain      string
	SkipLZ      bool
	// RestoreArchived says the dataset restores archived files: the
	// policies grant s3:RestoreObject on its DirectoryPath.
	RestoreArchived bool `dynamodbav:",omitempty"`
	// Inventory is the dataset's, for the policies that grant its reads.
	Inventory *inventory.Location `dynamodbav:",omitempty"`
	// Trigger and DirectoryPath are the dataset's, for the events rule
	// the bucket's owner configures ("events"; "" means scheduled) and
	// the restore grants (written with either option, so every reference
	// that has one names its path).
	Trigger       string `dynamodbav:",omitempty"`
	DirectoryPath string `dynamodbav:",omitempty"`
}
