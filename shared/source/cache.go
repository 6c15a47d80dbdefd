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

// Clients builds each connection's source client once per connection
// revision and caches it, with the bucket's region: a worker copies many
// files of one connection, and must not call KMS or HeadBucket per file.
type Clients struct {
	Access *Access
	cache  sync.Map // connectionId/revision -> *cached
}

type cached struct {
	once   sync.Once
	client *s3.Client
	region string
	err    error
}

// For returns the S3 client of c's bucket and the bucket's region.
func (cs *Clients) For(ctx context.Context, c connection.Connection) (*s3.Client, string, error) {
	key := c.ConnectionId + "/" + strconv.FormatInt(c.Revision, 10)
	v, _ := cs.cache.LoadOrStore(key, &cached{})
	e := v.(*cached)
	e.once.Do(func() {
		e.region, e.err = cs.Access.Region(ctx, c)
		if e.err == nil {
			e.client, e.err = cs.Access.Client(ctx, c, e.region)
		}
	})
	if e.err != nil {
		cs.cache.Delete(key) // do not cache failures: the next task tries again
	}
	return e.client, e.region, e.err
}

// Region returns the bucket's region: the connection's S3BucketRegion, or
// the region S3 names when asked from the platform's region.
func (a *Access) Region(ctx context.Context, c connection.Connection) (string, error) {
	if c.S3BucketRegion != "" {
		return c.S3BucketRegion, nil
	}
	client, err := a.Client(ctx, c, a.Base.Region)
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
