// Package dataset holds the Dataset and its catalog of ingested files: what
// to ingest from a connection, where it lands, and the use cases the REST API
// runs on them.
package dataset

import (
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// FileType selects which source files a dataset extracts.
type FileType string

// The file types, as the API names them.
const (
	CSV     FileType = "csv"
	TSV     FileType = "tsv"
	JSON    FileType = "json"
	Parquet FileType = "parquet"
	XLSX    FileType = "xlsx"
	PDF     FileType = "pdf"
	TXT     FileType = "txt"
	Others  FileType = "others" // every file
)

// FileTypes lists the valid file types.
var FileTypes = []FileType{CSV, TSV, JSON, Parquet, XLSX, PDF, TXT, Others}

// Matches says whether a source key is a file of this type: by extension,
// ignoring case; Others matches every file. Folder markers never match.
func (f FileType) Matches(key string) bool {
	if key == "" || strings.HasSuffix(key, "/") {
		return false
	}
	if f == Others {
		return true
	}
	return strings.EqualFold(path.Ext(key), "."+string(f))
}

// Dataset is a user's ingestion target: files of FileType under
// DirectoryPath in a connection's bucket.
type Dataset struct {
	DatasetId       string
	DatasetName     string
	Domain          string
	Description     string
	ConnectionId    string
	FileType        FileType
	DirectoryPath   string // "" or a prefix ending in "/"
	SkipLZ          bool
	CreatedBy       string
	AuthorizedUsers []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Revision        int64
	// Inventory, when set, is where the source's S3 Inventory reports are:
	// runs plan from the newest complete one instead of listing.
	Inventory *inventory.Location `json:",omitempty" dynamodbav:",omitempty"`
	// RestoreArchived, when set, has runs restore archived files and
	// ingest them once readable (1.7 and later).
	RestoreArchived *rules.RestoreArchived `json:",omitempty" dynamodbav:",omitempty"`
	// Trigger is OnEvents for a dataset fed by its source's S3 events (""
	// means OnSchedule); EventBucket is then its connection's bucket, by
	// which the events function finds it.
	Trigger     Trigger `json:",omitempty" dynamodbav:",omitempty"`
	EventBucket string  `json:"-" dynamodbav:",omitempty"`
}

// CanSee says whether user may see and use the dataset.
func (d Dataset) CanSee(user string) bool { return access.CanSee(d.CreatedBy, d.AuthorizedUsers, user) }

// Owner is who may change or delete the dataset.
func (d Dataset) Owner() string { return d.CreatedBy }

// Describe names the dataset in messages.
func (d Dataset) Describe() string { return "dataset " + d.Domain + "/" + d.DatasetName }

// Name returns a source key's name in the dataset: the key relative to
// DirectoryPath, sub-folders kept, so a/x.csv and b/x.csv stay two files.
func (d Dataset) Name(sourceKey string) string { return strings.TrimPrefix(sourceKey, d.DirectoryPath) }

// TargetKey is where a file lands in the LZ and DLZ buckets:
// <Domain>/<DatasetName>/upload_date=<run start, Unix seconds>/<name>.
func (d Dataset) TargetKey(runStart time.Time, name string) string {
	return d.Domain + "/" + d.DatasetName + "/upload_date=" + strconv.FormatInt(runStart.Unix(), 10) + "/" + name
}

// View is a dataset as the API shows it.
type View struct {
	DatasetId       string
	DatasetName     string
	Domain          string
	Description     string
	ConnectionId    string
	FileType        FileType
	DirectoryPath   string
	SkipLZ          bool
	Inventory       *inventory.Location    `json:",omitempty"`
	RestoreArchived *rules.RestoreArchived `json:",omitempty"`
	Trigger         Trigger
	CreatedBy       string
	AuthorizedUsers []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// View returns what the API shows of d.
func (d Dataset) View() View {
	return View{
		DatasetId: d.DatasetId, DatasetName: d.DatasetName, Domain: d.Domain, Description: d.Description,
		ConnectionId: d.ConnectionId, FileType: d.FileType, DirectoryPath: d.DirectoryPath, SkipLZ: d.SkipLZ,
		Inventory: d.Inventory, RestoreArchived: d.RestoreArchived, Trigger: d.Trigger.Or(), CreatedBy: d.CreatedBy, AuthorizedUsers: d.AuthorizedUsers, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

// FileState says where an ingested file is.
type FileState string

// File states.
const (
	InLZ             FileState = "in_lz"             // landed, not yet validated
	InDLZ            FileState = "in_dlz"            // validated (or skip-LZ) and in the data lake zone
	FailedValidation FileState = "failed_validation" // stays out of the DLZ; Reason says why
)

// File is the catalog entry of the latest ingested version of one name.
type File struct {
	Name       string // relative to the dataset's DirectoryPath
	SourceKey  string
	Size       int64
	SourceETag string
	RunId      string
	IngestedAt time.Time
	State      FileState
	Reason     string `json:",omitempty"`
	Key        string // where it is in its zone's bucket
	// Checksum is S3's full-object checksum of the copy in the zone,
	// checked against the source's when the copy was made:
	// "<ALGORITHM>:<Base64>", e.g. "CRC64NVME:Rnr2/5P7Gsk=" (the
	// source's own algorithm when it has a full-object one, else
	// CRC64NVME). Entries written before checksums were kept have none.
	Checksum string `json:",omitempty" dynamodbav:",omitempty"`
}

// ScheduleRef names a schedule of a dataset, for 409 messages.
type ScheduleRef struct {
	ScheduleId   string
	ScheduleName string
}
