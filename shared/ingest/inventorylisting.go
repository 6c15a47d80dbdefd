package ingest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/source"
)

// inventoryListing plans a run from the source's newest complete inventory
// report, chosen at the run's start and named by every saved position
// (inventory.Position: the report, its data file and row), so that a chain
// of invocations reads each row once and never mixes two reports. Objects
// written since the report wait for a later one. Memory stays bounded: one
// page of rows, and one data file streamed. Within an invocation the open
// file goes on from page to page; a new invocation skips to its row.
type inventoryListing struct {
	reader           inventory.Reader
	loc              inventory.Location
	d                dataset.Dataset
	c                connection.Connection
	checkNotPlatform func(context.Context) error

	rep    *inventory.Report
	folder string             // rep's dated folder
	at     inventory.Position // where rows stands
	rows   *inventory.Rows    // data file at.File, open; nil when none is
}

func (l *inventoryListing) page(ctx context.Context, saved string) (listedPage, error) {
	pos, err := l.position(ctx, saved)
	if err != nil {
		return listedPage{}, err
	}
	if pos.File == len(l.rep.Files) {
		return listedPage{next: pos.String(), ended: true}, nil
	}
	if err := l.seek(ctx, pos); err != nil {
		return listedPage{}, err
	}
	var objects []s3types.Object
	for read := 0; read < PageSize; read++ {
		o, current, err := l.rows.Next()
		if errors.Is(err, io.EOF) {
			l.close()
			l.at = inventory.Position{Folder: pos.Folder, Checksum: pos.Checksum, File: pos.File + 1}
			break
		}
		if err != nil {
			l.close()
			return listedPage{}, err
		}
		l.at.Row = l.rows.Row()
		if current && strings.HasPrefix(o.Key, l.d.DirectoryPath) {
			objects = append(objects, l.object(o))
		}
	}
	// Rows come in no order; the planner's pages are in key order.
	slices.SortFunc(objects, func(a, b s3types.Object) int { return strings.Compare(*a.Key, *b.Key) })
	return listedPage{objects: objects, next: l.at.String(), ended: l.at.File == len(l.rep.Files)}, nil
}

// position decodes the saved position, choosing the newest complete report
// at the run's start (after refusing a platform bucket), or reading again
// the one a position names in a new invocation.
func (l *inventoryListing) position(ctx context.Context, saved string) (inventory.Position, error) {
	pos, ok, err := inventory.ParsePosition(saved)
	switch {
	case err != nil:
		return pos, &inventory.BadError{Reason: "the run's saved position is not an inventory position: " + err.Error()}
	case !ok:
		if err := l.checkNotPlatform(ctx); err != nil {
			return pos, err
		}
		rep, folder, err := inventory.Newest(ctx, l.reader, l.loc, l.c.S3Bucket)
		if err != nil {
			return pos, err
		}
		l.rep, l.folder = rep, folder
		return inventory.Position{Folder: folder, Checksum: rep.Checksum}, nil
	case l.rep == nil || l.folder != pos.Folder || l.rep.Checksum != pos.Checksum:
		l.close()
		rep, err := inventory.Reload(ctx, l.reader, l.loc.Bucket, pos, l.c.S3Bucket)
		if err != nil {
			return pos, err
		}
		l.rep, l.folder = rep, pos.Folder
	}
	return pos, nil
}

// seek makes rows stand at pos: the open file if it does, else the file
// opened again and read up to pos.Row.
func (l *inventoryListing) seek(ctx context.Context, pos inventory.Position) error {
	if l.rows != nil && l.at == pos {
		return nil
	}
	l.close()
	rows, err := inventory.Open(ctx, l.reader, l.loc.Bucket, l.rep, pos.File)
	if err != nil {
		return err
	}
	for rows.Row() < pos.Row {
		if _, _, err := rows.Next(); err != nil {
			rows.Close()
			if errors.Is(err, io.EOF) {
				return &inventory.BadError{Reason: "the run's position is past the end of inventory data file " + l.rep.Files[pos.File].Key}
			}
			return err
		}
	}
	l.rows, l.at = rows, pos
	return nil
}

func (l *inventoryListing) close() {
	if l.rows != nil {
		l.rows.Close()
		l.rows = nil
	}
}

// object is a row as the planner's rules read a listed object. A report
// without LastModifiedDate dates every object at the report's creation,
// the latest it can have been written: a report made after the run started
// defers them all rather than take an object written during the run.
func (l *inventoryListing) object(o inventory.Object) s3types.Object {
	modified := o.LastModified
	if modified.IsZero() {
		modified = l.rep.Created
	}
	return s3types.Object{
		Key: aws.String(o.Key), Size: aws.Int64(o.Size), LastModified: aws.Time(modified),
		ETag: aws.String(o.ETag), StorageClass: s3types.ObjectStorageClass(o.StorageClass),
	}
}

// restart is the run's report from its first row: a second pass plans
// from the report the first one checked.
func (l *inventoryListing) restart() string {
	if l.rep == nil {
		return ""
	}
	return inventory.Position{Folder: l.folder, Checksum: l.rep.Checksum}.String()
}

func (l *inventoryListing) sorted() bool { return false }

func (l *inventoryListing) explain(err error) (string, string) {
	var bad *inventory.BadError
	var refused *source.RefusedError
	switch {
	case errors.As(err, &bad):
		return "inventory", bad.Reason
	case errors.As(err, &refused):
		return "inventory", refused.Reason
	}
	return "inventory", source.Explain(err, source.InventoryOf(l.c, l.loc.Bucket))
}
