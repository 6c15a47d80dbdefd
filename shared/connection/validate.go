package connection

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// MaxDescription limits descriptions, as the API documents.
const MaxDescription = 1024

var (
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{3,64}$`)
	keyIDPattern  = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountID     = regexp.MustCompile(`^[0-9]{12}$`)
)

// CreateInput is the body of POST /connections.
type CreateInput struct {
	ConnectionName       string
	ConnectionType       string
	Description          string
	AuthorizedUsers      []string
	S3Bucket             string
	S3BucketRegion       string
	S3BucketOwner        string
	ConnectionAccessType AccessType
	AccessKeyId          string
	SecretAccessKey      Secret
	Version              rules.Version
}

// UpdateInput is the body of PUT /connections/{id}: only these fields change.
type UpdateInput struct {
	Description     *string
	AuthorizedUsers *[]string
	S3BucketOwner   *string // "" stops checking the owner
	AccessKeyId     *string
	SecretAccessKey *Secret
}

// normalize fills defaults and validates every field, returning the first
// problem found with the field that has it.
func (in *CreateInput) normalize() error {
	if !namePattern.MatchString(in.ConnectionName) {
		if in.ConnectionName == "" {
			return apperr.Invalid("ConnectionName", "is required")
		}
		return apperr.Invalid("ConnectionName", "must be 3 to 64 characters of letters, digits, '_' or '-'")
	}
	switch strings.ToLower(in.ConnectionType) {
	case "", TypeS3:
		in.ConnectionType = TypeS3
	default:
		return apperr.Invalid("ConnectionType", "unsupported connection type %q: only \"s3\" is supported", in.ConnectionType)
	}
	if err := validateDescription(in.Description); err != nil {
		return err
	}
	if err := validateBucket(in.S3Bucket); err != nil {
		return err
	}
	if in.S3BucketRegion != "" && !ValidRegion(in.S3BucketRegion) {
		return apperr.Invalid("S3BucketRegion", "%q is not an AWS region code such as eu-west-1", in.S3BucketRegion)
	}
	if err := validateOwner(in.S3BucketOwner); err != nil {
		return err
	}
	switch in.ConnectionAccessType {
	case AccessKeys:
		if err := validateKeys(in.AccessKeyId, in.SecretAccessKey); err != nil {
			return err
		}
	case BucketPolicy:
		if in.AccessKeyId != "" {
			return apperr.Invalid("AccessKeyId", "must be empty for a bucket_policy connection")
		}
		if in.SecretAccessKey != "" {
			return apperr.Invalid("SecretAccessKey", "must be empty for a bucket_policy connection")
		}
	case "":
		return apperr.Invalid("ConnectionAccessType", "is required: access_keys or bucket_policy")
	default:
		return apperr.Invalid("ConnectionAccessType", "must be access_keys or bucket_policy")
	}
	if in.Version == "" {
		in.Version = rules.Latest
	}
	if !in.Version.Known() {
		return apperr.Invalid("Version", "must be one of %s", versionList())
	}
	users, err := access.NormalizeUsers(in.AuthorizedUsers)
	if err != nil {
		return err
	}
	in.AuthorizedUsers = users
	return nil
}

func (in *UpdateInput) validate(accessType AccessType) error {
	if in.Description == nil && in.AuthorizedUsers == nil && in.S3BucketOwner == nil && in.AccessKeyId == nil && in.SecretAccessKey == nil {
		return apperr.Invalid("", "nothing to update: give Description, AuthorizedUsers, S3BucketOwner, or AccessKeyId with SecretAccessKey")
	}
	if in.S3BucketOwner != nil {
		if err := validateOwner(*in.S3BucketOwner); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
	}
	if in.AuthorizedUsers != nil {
		users, err := access.NormalizeUsers(*in.AuthorizedUsers)
		if err != nil {
			return err
		}
		*in.AuthorizedUsers = users
	}
	if in.AccessKeyId == nil && in.SecretAccessKey == nil {
		return nil
	}
	if accessType != AccessKeys {
		field := "AccessKeyId"
		if in.AccessKeyId == nil {
			field = "SecretAccessKey"
		}
		return apperr.Invalid(field, "a bucket_policy connection has no access keys")
	}
	if in.AccessKeyId == nil {
		return apperr.Invalid("AccessKeyId", "is required with a new SecretAccessKey: keys are rotated as a pair")
	}
	if in.SecretAccessKey == nil {
		return apperr.Invalid("SecretAccessKey", "is required with a new AccessKeyId: keys are rotated as a pair")
	}
	return validateKeys(*in.AccessKeyId, *in.SecretAccessKey)
}

func validateDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxDescription {
		return apperr.Invalid("Description", "must be at most %d characters", MaxDescription)
	}
	return nil
}

// validateBucket applies S3's general purpose bucket naming rules.
func validateBucket(b string) error {
	switch {
	case b == "":
		return apperr.Invalid("S3Bucket", "is required")
	case len(b) < 3 || len(b) > 63:
		return apperr.Invalid("S3Bucket", "must be 3 to 63 characters long")
	case !bucketPattern.MatchString(b):
		return apperr.Invalid("S3Bucket", "must be lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
	case strings.Contains(b, ".."), strings.Contains(b, ".-"), strings.Contains(b, "-."):
		return apperr.Invalid("S3Bucket", "must not have two adjacent periods or a period next to a hyphen")
	case isIPv4(b):
		return apperr.Invalid("S3Bucket", "must not be formatted as an IP address")
	case strings.HasPrefix(b, "xn--"), strings.HasPrefix(b, "sthree-"), strings.HasPrefix(b, "amzn-s3-demo-"):
		return apperr.Invalid("S3Bucket", "uses a prefix that S3 reserves")
	case strings.HasSuffix(b, "-s3alias"), strings.HasSuffix(b, "--ol-s3"), strings.HasSuffix(b, ".mrap"),
		strings.HasSuffix(b, "--x-s3"), strings.HasSuffix(b, "--table-s3"):
		return apperr.Invalid("S3Bucket", "uses a suffix that S3 reserves")
	}
	return nil
}

// validateOwner accepts an AWS account id, or "" for no check.
func validateOwner(owner string) error {
	if owner != "" && !accountID.MatchString(owner) {
		return apperr.Invalid("S3BucketOwner", "must be the 12-digit AWS account id of the bucket's owner")
	}
	return nil
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func validateKeys(id string, secret Secret) error {
	switch {
	case id == "":
		return apperr.Invalid("AccessKeyId", "is required for an access_keys connection")
	case !keyIDPattern.MatchString(id):
		return apperr.Invalid("AccessKeyId", "must be 16 to 128 uppercase letters and digits, like AKIAIOSFODNN7EXAMPLE")
	case strings.HasPrefix(id, "ASIA"):
		return apperr.Invalid("AccessKeyId", "is a temporary key (ASIA…) that expires: use a long-term IAM user access key (AKIA…)")
	case secret == "":
		return apperr.Invalid("SecretAccessKey", "is required for an access_keys connection")
	case len(secret.Reveal()) < 16 || len(secret.Reveal()) > 128 || strings.ContainsAny(secret.Reveal(), " \t\r\n"):
		// The message must not echo the secret.
		return apperr.Invalid("SecretAccessKey", "must be 16 to 128 characters without spaces")
	}
	return nil
}

func versionList() string {
	s := make([]string, len(rules.Versions))
	for i, v := range rules.Versions {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
