package rules

import (
	"strings"
	"time"
)

// StorageClass is an S3 storage class as S3 spells it.
type StorageClass string

// The storage classes the rules tell apart; any other class is read at once.
const (
	Standard           StorageClass = "STANDARD"
	Glacier            StorageClass = "GLACIER" // Glacier Flexible Retrieval
	DeepArchive        StorageClass = "DEEP_ARCHIVE"
	IntelligentTiering StorageClass = "INTELLIGENT_TIERING"
)

// Class is the class S3 reported: listings and HeadObject leave it out
// for STANDARD.
func Class(s string) StorageClass {
	if s == "" {
		return Standard
	}
	return StorageClass(s)
}

// MayNeedRestore says whether objects of c may have to be restored before
// they can be read, which only HeadObject tells (a listing does not).
func (c StorageClass) MayNeedRestore() bool {
	return c == Glacier || c == DeepArchive || c == IntelligentTiering
}

// Object is what is known of a source object: from its listing, or, with
// ArchiveStatus and Restore, from HeadObject.
type Object struct {
	// Name is the file's name in its dataset (the planner's rules read it).
	Name  string
	Class StorageClass
	Size  int64
	ETag  string
	// ArchiveStatus is x-amz-archive-status (Intelligent-Tiering's archive tiers).
	ArchiveStatus string
	// Restore is x-amz-restore: `ongoing-request="false", expiry-date=…` once restored.
	Restore string
	// LastModified is when the object was written (zero: unknown).
	LastModified time.Time
}

// Archived says whether o must be restored before it can be read.
func (o Object) Archived() bool {
	switch o.Class {
	case Glacier, DeepArchive:
		return !strings.Contains(o.Restore, `ongoing-request="false"`)
	case IntelligentTiering:
		return o.ArchiveStatus == "ARCHIVE_ACCESS" || o.ArchiveStatus == "DEEP_ARCHIVE_ACCESS"
	}
	return false
}
