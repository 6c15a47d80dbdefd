package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Reader is what reads reports: an S3 client with the connection's access.
type Reader interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Newest finds the newest complete report at loc: the latest dated folder
// that holds both manifest.json and manifest.checksum (one that lacks
// either is still being delivered, and the one before it is used). The
// report must check out (Parse): a bad newest report is an error, not a
// reason to plan from an older one.
func Newest(ctx context.Context, r Reader, loc Location, sourceBucket string) (*Report, string, error) {
	folders, err := reportFolders(ctx, r, loc)
	if err != nil {
		return nil, "", err
	}
	for _, folder := range slices.Backward(folders) {
		complete, err := delivered(ctx, r, loc.Bucket, folder)
		if err != nil {
			return nil, "", err
		}
		if !complete {
			continue
		}
		rep, err := Load(ctx, r, loc.Bucket, folder, sourceBucket)
		var missing *missingError
		if errors.As(err, &missing) {
			continue // removed since the listing
		}
		return rep, folder, err
	}
	return nil, "", bad("no complete inventory report (a dated folder with manifest.json and manifest.checksum) under s3://%s/%s", loc.Bucket, loc.Prefix)
}

// reportFolders lists the dated folders under loc, oldest first (their
// names sort by time).
func reportFolders(ctx context.Context, r Reader, loc Location) ([]string, error) {
	var folders []string
	p := s3.NewListObjectsV2Paginator(r, &s3.ListObjectsV2Input{
		Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Prefix), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the inventory reports under s3://%s/%s: %w", loc.Bucket, loc.Prefix, err)
		}
		for _, cp := range out.CommonPrefixes {
			if f := aws.ToString(cp.Prefix); stampFolder.MatchString(strings.TrimPrefix(f, loc.Prefix)) {
				folders = append(folders, f)
			}
		}
	}
	slices.Sort(folders)
	return folders, nil
}

// delivered says whether folder holds both manifest.json and
// manifest.checksum. It lists the folder rather than read a missing key:
// a reader allowed to list only the inventory's prefix gets 403, not 404,
// for a key that does not exist.
func delivered(ctx context.Context, r Reader, bucket, folder string) (bool, error) {
	out, err := r.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(folder), Delimiter: aws.String("/")})
	if err != nil {
		return false, fmt.Errorf("list the inventory report s3://%s/%s: %w", bucket, folder, err)
	}
	var manifest, checksum bool
	for _, o := range out.Contents {
		manifest = manifest || aws.ToString(o.Key) == folder+"manifest.json"
		checksum = checksum || aws.ToString(o.Key) == folder+"manifest.checksum"
	}
	return manifest && checksum, nil
}

// missingError is a report folder without its manifest or checksum.
type missingError struct{ key string }

func (e *missingError) Error() string { return e.key + " does not exist" }

// Load reads and checks the report in folder (Parse).
func Load(ctx context.Context, r Reader, bucket, folder, sourceBucket string) (*Report, error) {
	checksum, err := read(ctx, r, bucket, folder+"manifest.checksum", 1024)
	if err != nil {
		return nil, err
	}
	raw, err := read(ctx, r, bucket, folder+"manifest.json", MaxManifest)
	if err != nil {
		return nil, err
	}
	rep, err := Parse(raw, checksum, sourceBucket)
	var b *BadError
	if errors.As(err, &b) {
		return nil, bad("inventory report s3://%s/%s: %s", bucket, folder, b.Reason)
	}
	return rep, err
}

// read reads a small object whole, up to limit bytes.
func read(ctx context.Context, r Reader, bucket, key string, limit int64) ([]byte, error) {
	out, err := r.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err = missingOf(err, bucket, key); err != nil {
		if _, missing := err.(*missingError); missing {
			return nil, err
		}
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if int64(len(raw)) > limit {
		return nil, bad("s3://%s/%s is larger than %d bytes", bucket, key, limit)
	}
	return raw, nil
}

// missingOf turns S3's answer for an absent key into a *missingError.
func missingOf(err error, bucket, key string) error {
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return &missingError{key: "s3://" + bucket + "/" + key}
	}
	return err
}

// Reload reads again the report a run's position names: it must be there
// still, unchanged (its checksum), for the run to go on from it.
func Reload(ctx context.Context, r Reader, bucket string, p Position, sourceBucket string) (*Report, error) {
	rep, err := Load(ctx, r, bucket, p.Folder, sourceBucket)
	var missing *missingError
	switch {
	case errors.As(err, &missing):
		return nil, bad("the inventory report the run plans from is gone: %v", missing)
	case err != nil:
		return nil, err
	case rep.Checksum != p.Checksum:
		return nil, bad("the inventory report s3://%s/%s changed during the run", bucket, p.Folder)
	case p.File > len(rep.Files):
		return nil, bad("the run's position (data file %d) is past the report's %d files", p.File, len(rep.Files))
	}
	return rep, nil
}
