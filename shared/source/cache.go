package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/datalake-platform/s3connections/shared/connection"
)

// Source is a connection's bucket as the ingestion functions reach it.
type Source struct {
	// Client reads the bucket, in its region.
	Client *s3.Client
	Region string
	// Copier copies the bucket's objects server-side into the zone
	// buckets with the same session as Client; nil when they must be
	// streamed (access keys).
	Copier *s3.Client
}

// Clients builds each connection's source clients once per connection
// revision and caches them, with the bucket's region: a worker copies many
// files of one connection, and must not call KMS, STS or HeadBucket per file.
type Clients struct {
	Access *Access
	cache  sync.Map // connectionId/revision -> *cached
}

type cached struct {
	once sync.Once
	src  Source
	err  error
}

// For returns the clients of c's bucket and the bucket's region.
func (cs *Clients) For(ctx context.Context, c connection.Connection) (Source, error) {
	key := c.ConnectionId + "/" + strconv.FormatInt(c.Revision, 10)
	v, _ := cs.cache.LoadOrStore(key, &cached{})
	e := v.(*cached)
	e.once.Do(func() {
		e.src, e.err = cs.open(ctx, c)
	})
	if e.err != nil {
		cs.cache.Delete(key) // do not cache failures: the next task tries again
	}
	return e.src, e.err
}

// open builds c's clients on one set of credentials: one decryption of the
// keys, or one cached session, for the region lookup, the reads and the
// copies alike.
func (cs *Clients) open(ctx context.Context, c connection.Connection) (Source, error) {
	creds, err := cs.Access.credentials(ctx, c)
	if err != nil {
		return Source{}, err
	}
	region, err := cs.Access.region(ctx, c, creds)
	if err != nil {
		return Source{}, err
	}
	client, err := cs.Access.client(c, region, creds)
	if err != nil {
		return Source{}, err
	}
	return Source{Client: client, Region: region, Copier: cs.Access.copyClient(c, creds)}, nil
}

// CheckNotPlatform refuses a bucket of the platform's own account (see
// Access.CheckNotPlatform).
func (cs *Clients) CheckNotPlatform(ctx context.Context, c connection.Connection) error {
	return cs.Access.CheckNotPlatform(ctx, c)
}

// region returns the bucket's region: the connection's S3BucketRegion, or
// the region S3 names when asked from the platform's region with creds.
func (a *Access) region(ctx context.Context, c connection.Connection, creds aws.CredentialsProvider) (string, error) {
	if c.S3BucketRegion != "" {
		return c.S3BucketRegion, nil
	}
	client, err := a.client(c, a.Base.Region, creds)
	if err != nil {
		return "", err
	}
	out, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.S3Bucket)})
	if err == nil {
		if r := aws.ToString(out.BucketRegion); r != "" {
			return r, nil
		}
		return a.Base.Region, nil
	}
	if r := BucketRegion(err); r != "" {
		if reason := a.Regions.Check(r); reason != "" {
			return "", &RegionError{Reason: reason}
		}
		return r, nil
	}
	var re *RegionError
	if errors.As(err, &re) {
		return "", err
	}
	return "", &explained{msg: fmt.Sprintf("find the region of bucket %s: %s", c.S3Bucket, Explain(err, c)), err: err}
}

// explained is an SDK error told in the user's words; it still unwraps to
// the SDK's error, so that callers can tell a transient one.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }
