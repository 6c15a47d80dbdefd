package connection

import (
	"errors"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/rules"
)

func validCreate() CreateInput {
	return CreateInput{
		ConnectionName:       "sales-archive",
		ConnectionType:       "s3",
		S3Bucket:             "acme-sales",
		ConnectionAccessType: AccessKeys,
		AccessKeyId:          "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey:      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	}
}

// assumeRole makes an input an assume_role connection to role.
func assumeRole(role string) func(*CreateInput) {
	return func(in *CreateInput) {
		in.ConnectionAccessType, in.AccessKeyId, in.SecretAccessKey, in.RoleArn = AssumeRole, "", "", role
	}
}

func TestCreateInputNormalizeNamesTheField(t *testing.T) {
	testCases := []struct {
		name   string
		change func(*CreateInput)
		field  string // "" = valid
	}{
		{"valid access keys", func(*CreateInput) {}, ""},
		{"valid bucket policy", func(in *CreateInput) {
			in.ConnectionAccessType, in.AccessKeyId, in.SecretAccessKey = BucketPolicy, "", ""
		}, ""},
		{"valid assume role", assumeRole("arn:aws:iam::111122223333:role/s3c-reader"), ""},
		{"assume role with a path", assumeRole("arn:aws:iam::111122223333:role/data/s3c-reader"), ""},
		{"assume role in China", assumeRole("arn:aws-cn:iam::111122223333:role/r"), ""},
		{"assume role without role", assumeRole(""), "RoleArn"},
		{"assume role with a user", assumeRole("arn:aws:iam::111122223333:user/bob"), "RoleArn"},
		{"assume role short account", assumeRole("arn:aws:iam::1111:role/r"), "RoleArn"},
		{"assume role not an arn", assumeRole("s3c-reader"), "RoleArn"},
		{"assume role with keys", func(in *CreateInput) {
			in.ConnectionAccessType, in.RoleArn, in.SecretAccessKey = AssumeRole, "arn:aws:iam::111122223333:role/r", ""
		}, "AccessKeyId"},
		{"external id sent", func(in *CreateInput) {
			assumeRole("arn:aws:iam::111122223333:role/r")(in)
			in.ExternalId = "mine"
		}, "ExternalId"},
		{"role on bucket policy", func(in *CreateInput) {
			in.ConnectionAccessType, in.AccessKeyId, in.SecretAccessKey, in.RoleArn = BucketPolicy, "", "", "arn:aws:iam::111122223333:role/r"
		}, "RoleArn"},
		{"role on access keys", func(in *CreateInput) { in.RoleArn = "arn:aws:iam::111122223333:role/r" }, "RoleArn"},
		{"owner ok", func(in *CreateInput) { in.S3BucketOwner = "111122223333" }, ""},
		{"owner short", func(in *CreateInput) { in.S3BucketOwner = "1111" }, "S3BucketOwner"},
		{"name missing", func(in *CreateInput) { in.ConnectionName = "" }, "ConnectionName"},
		{"name too short", func(in *CreateInput) { in.ConnectionName = "ab" }, "ConnectionName"},
		{"name too long", func(in *CreateInput) { in.ConnectionName = strings.Repeat("a", 65) }, "ConnectionName"},
		{"name with space", func(in *CreateInput) { in.ConnectionName = "my conn" }, "ConnectionName"},
		{"name of 64", func(in *CreateInput) { in.ConnectionName = strings.Repeat("a", 64) }, ""},
		{"type other", func(in *CreateInput) { in.ConnectionType = "jdbc" }, "ConnectionType"},
		{"type upper case", func(in *CreateInput) { in.ConnectionType = "S3" }, ""},
		{"type defaulted", func(in *CreateInput) { in.ConnectionType = "" }, ""},
		{"description too long", func(in *CreateInput) { in.Description = strings.Repeat("é", 1025) }, "Description"},
		{"description of 1024 runes", func(in *CreateInput) { in.Description = strings.Repeat("é", 1024) }, ""},
		{"bucket missing", func(in *CreateInput) { in.S3Bucket = "" }, "S3Bucket"},
		{"bucket upper case", func(in *CreateInput) { in.S3Bucket = "Acme" }, "S3Bucket"},
		{"bucket too short", func(in *CreateInput) { in.S3Bucket = "ab" }, "S3Bucket"},
		{"bucket too long", func(in *CreateInput) { in.S3Bucket = strings.Repeat("a", 64) }, "S3Bucket"},
		{"bucket double dot", func(in *CreateInput) { in.S3Bucket = "a..b" }, "S3Bucket"},
		{"bucket dot dash", func(in *CreateInput) { in.S3Bucket = "a.-b" }, "S3Bucket"},
		{"bucket ip", func(in *CreateInput) { in.S3Bucket = "192.168.5.4" }, "S3Bucket"},
		{"bucket ends with dash", func(in *CreateInput) { in.S3Bucket = "acme-" }, "S3Bucket"},
		{"bucket reserved prefix", func(in *CreateInput) { in.S3Bucket = "xn--acme" }, "S3Bucket"},
		{"bucket reserved suffix", func(in *CreateInput) { in.S3Bucket = "acme-s3alias" }, "S3Bucket"},
		{"bucket with dots", func(in *CreateInput) { in.S3Bucket = "logs.acme.com" }, ""},
		{"region bad", func(in *CreateInput) { in.S3BucketRegion = "Europe" }, "S3BucketRegion"},
		{"region opt-in", func(in *CreateInput) { in.S3BucketRegion = "eu-south-1" }, ""},
		{"access type missing", func(in *CreateInput) { in.ConnectionAccessType = "" }, "ConnectionAccessType"},
		{"access type other", func(in *CreateInput) { in.ConnectionAccessType = "role" }, "ConnectionAccessType"},
		{"key id missing", func(in *CreateInput) { in.AccessKeyId = "" }, "AccessKeyId"},
		{"key id lower case", func(in *CreateInput) { in.AccessKeyId = "akiaiosfodnn7example" }, "AccessKeyId"},
		{"key id temporary", func(in *CreateInput) { in.AccessKeyId = "ASIAIOSFODNN7EXAMPLE" }, "AccessKeyId"},
		{"secret missing", func(in *CreateInput) { in.SecretAccessKey = "" }, "SecretAccessKey"},
		{"secret short", func(in *CreateInput) { in.SecretAccessKey = "short" }, "SecretAccessKey"},
		{"secret with space", func(in *CreateInput) { in.SecretAccessKey = "wJalrXUtnFEMI K7MDENG" }, "SecretAccessKey"},
		{"keys on bucket policy", func(in *CreateInput) { in.ConnectionAccessType = BucketPolicy; in.SecretAccessKey = "" }, "AccessKeyId"},
		{"secret on bucket policy", func(in *CreateInput) { in.ConnectionAccessType = BucketPolicy; in.AccessKeyId = "" }, "SecretAccessKey"},
		{"version unknown", func(in *CreateInput) { in.Version = "2.0" }, "Version"},
		{"version 1.6", func(in *CreateInput) { in.Version = rules.V1_6 }, ""},
		{"user bad", func(in *CreateInput) { in.AuthorizedUsers = []string{"bob", "a b"} }, "AuthorizedUsers"},
		{"too many users", func(in *CreateInput) { in.AuthorizedUsers = make([]string, 51) }, "AuthorizedUsers"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			in := validCreate()
			tc.change(&in)
			err := in.normalize()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.KindInvalid || e.Field != tc.field {
				t.Fatalf("want invalid %s, got %#v", tc.field, err)
			}
			if strings.Contains(e.Message, validCreate().SecretAccessKey.Reveal()) {
				t.Fatalf("message leaks the secret: %s", e.Message)
			}
		})
	}
}

func TestCreateInputDefaults(t *testing.T) {
	in := validCreate()
	in.ConnectionType = ""
	in.AuthorizedUsers = []string{"bob", "bob", "carol"}
	if err := in.normalize(); err != nil {
		t.Fatal(err)
	}
	if in.Version != rules.Latest || in.ConnectionType != TypeS3 {
		t.Errorf("defaults: version %q type %q", in.Version, in.ConnectionType)
	}
	if strings.Join(in.AuthorizedUsers, ",") != "bob,carol" {
		t.Errorf("users not deduplicated: %v", in.AuthorizedUsers)
	}
}

func TestUpdateInputValidate(t *testing.T) {
	str := func(s string) *string { return &s }
	sec := func(s string) *Secret { x := Secret(s); return &x }
	testCases := []struct {
		name   string
		in     UpdateInput
		access AccessType
		field  string
		ok     bool
	}{
		{"empty", UpdateInput{}, AccessKeys, "", false},
		{"description", UpdateInput{Description: str("new")}, BucketPolicy, "", true},
		{"description too long", UpdateInput{Description: str(strings.Repeat("x", 1025))}, AccessKeys, "Description", false},
		{"users", UpdateInput{AuthorizedUsers: &[]string{"bob"}}, AccessKeys, "", true},
		{"bad user", UpdateInput{AuthorizedUsers: &[]string{""}}, AccessKeys, "AuthorizedUsers", false},
		{"rotate", UpdateInput{AccessKeyId: str("AKIAIOSFODNN7EXAMPL2"), SecretAccessKey: sec("0123456789abcdef0123")}, AccessKeys, "", true},
		{"rotate half id", UpdateInput{AccessKeyId: str("AKIAIOSFODNN7EXAMPL2")}, AccessKeys, "SecretAccessKey", false},
		{"rotate half secret", UpdateInput{SecretAccessKey: sec("0123456789abcdef0123")}, AccessKeys, "AccessKeyId", false},
		{"keys on bucket policy", UpdateInput{AccessKeyId: str("AKIAIOSFODNN7EXAMPL2"), SecretAccessKey: sec("0123456789abcdef0123")}, BucketPolicy, "AccessKeyId", false},
		{"bad key", UpdateInput{AccessKeyId: str("nope"), SecretAccessKey: sec("0123456789abcdef0123")}, AccessKeys, "AccessKeyId", false},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.validate(tc.access)
			if tc.ok != (err == nil) {
				t.Fatalf("ok=%v, got %v", tc.ok, err)
			}
			var e *apperr.Error
			if !tc.ok && (!errors.As(err, &e) || e.Field != tc.field) {
				t.Fatalf("want field %q, got %v", tc.field, err)
			}
		})
	}
}
