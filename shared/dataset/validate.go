package dataset

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// Limits on fields, as the API documents them.
const (
	MaxDescription   = 1024
	MaxDirectoryPath = 1024
)

// Names and domains become parts of S3 keys: keep them to safe characters.
var (
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{3,64}$`)
	domainPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,64}$`)
)

// CreateInput is the body of POST /datasets.
type CreateInput struct {
	DatasetName     string
	Domain          string
	Description     string
	ConnectionId    string
	FileType        FileType
	DirectoryPath   string
	SkipLZ          bool
	AuthorizedUsers []string
	// Inventory plans runs from the source's S3 Inventory reports.
	Inventory *inventory.Location
	// RestoreArchived restores archived files, then ingests them.
	RestoreArchived *rules.RestoreArchived
	// Trigger is "schedule" (default) or "events".
	Trigger Trigger
}

// UpdateInput is the body of PUT /datasets/{id}: only these fields change.
type UpdateInput struct {
	Description     *string
	AuthorizedUsers *[]string
	SkipLZ          *bool
	// Inventory sets the dataset's inventory; {} removes it.
	Inventory *inventory.Location
	// RestoreArchived sets the dataset's restore option; {} removes it.
	RestoreArchived *rules.RestoreArchived
	// Trigger sets what feeds the dataset: "schedule" or "events".
	Trigger *Trigger
}

func (in *CreateInput) normalize() error {
	switch {
	case in.DatasetName == "":
		return apperr.Invalid("DatasetName", "is required")
	case !namePattern.MatchString(in.DatasetName):
		return apperr.Invalid("DatasetName", "must be 3 to 64 characters of letters, digits, '_' or '-'")
	case in.Domain == "":
		return apperr.Invalid("Domain", "is required")
	case !domainPattern.MatchString(in.Domain):
		return apperr.Invalid("Domain", "must be 2 to 64 characters of letters, digits, '_' or '-'")
	case in.ConnectionId == "":
		return apperr.Invalid("ConnectionId", "is required")
	}
	if err := validateDescription(in.Description); err != nil {
		return err
	}
	ft := FileType(strings.ToLower(string(in.FileType)))
	if !slices.Contains(FileTypes, ft) {
		if in.FileType == "" {
			return apperr.Invalid("FileType", "is required: one of %s", fileTypeList())
		}
		return apperr.Invalid("FileType", "must be one of %s", fileTypeList())
	}
	in.FileType = ft
	p, err := NormalizeDirectoryPath(in.DirectoryPath)
	if err != nil {
		return err
	}
	in.DirectoryPath = p
	users, err := access.NormalizeUsers(in.AuthorizedUsers)
	if err != nil {
		return err
	}
	in.AuthorizedUsers = users
	return nil
}

func (in *UpdateInput) validate() error {
	if in.Description == nil && in.AuthorizedUsers == nil && in.SkipLZ == nil && in.Inventory == nil && in.RestoreArchived == nil && in.Trigger == nil {
		return apperr.Invalid("", "nothing to update: give Description, AuthorizedUsers, SkipLZ, Inventory, RestoreArchived or Trigger")
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
	return nil
}

// NormalizeDirectoryPath turns a user's prefix into the form the planner
// lists: no leading "/", a trailing "/" when not empty, and otherwise safe
// by the same rule as the file names that land in zone keys
// (rules.UnsafePath: no "." or ".." or empty segments, no control or bidi
// characters), so the two cannot drift. An upload_date= segment is allowed
// here: the DirectoryPath never lands in a zone key.
func NormalizeDirectoryPath(p string) (string, error) { return normalizePrefix("DirectoryPath", p) }

// normalizePrefix applies NormalizeDirectoryPath's rule to p, the value
// of field.
func normalizePrefix(field, p string) (string, error) {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "", nil
	}
	if len(p) > MaxDirectoryPath {
		return "", apperr.Invalid(field, "must be at most %d bytes", MaxDirectoryPath)
	}
	if reason := rules.UnsafePath(strings.TrimSuffix(p, "/")); reason != "" {
		return "", apperr.Invalid(field, "is unsafe in S3 keys: %s", reason)
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p, nil
}

func validateDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxDescription {
		return apperr.Invalid("Description", "must be at most %d characters", MaxDescription)
	}
	return nil
}

func fileTypeList() string {
	s := make([]string, len(FileTypes))
	for i, f := range FileTypes {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}
