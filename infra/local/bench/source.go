package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// Layout is the source bucket a benchmark copies: Objects small objects of
// MinKiB..MaxKiB (uniformly drawn) and Large objects of LargeMiB, all under
// Prefix, with deterministic random content.
type Layout struct {
	Objects        int
	MinKiB, MaxKiB int
	Large          int
	LargeMiB       int
}

// Prefix holds every object of the source bucket: the dataset's DirectoryPath.
const Prefix = "objects/"

// Totals is what a bucket (or part of one) holds.
type Totals struct {
	Objects int
	Bytes   int64
}

// S3 wraps the platform's S3 client with the helpers a benchmark needs.
type S3 struct {
	C *s3.Client
	// Owner is the source account's client: sources are its buckets.
	Owner *s3.Client
}

// NewS3 is the platform's and the source owner's clients on cfg.
func NewS3(cfg aws.Config) S3 {
	return S3{C: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), Owner: platformlocal.SourceOwnerS3(cfg)}
}

// Seed creates bucket in the source account and fills it per l with
// parallel PutObjects. Its policy lets the platform account's keys (which
// s5cmd and rclone use, as a user's tools would) list and read it.
func (c S3) Seed(ctx context.Context, bucket string, l Layout) (Totals, error) {
	if _, err := c.Owner.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return Totals{}, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	tools := policy.Principal{"AWS": {platformlocal.FunctionsARN()}}
	if err := platformlocal.MergeBucketPolicy(ctx, c.Owner, bucket, policy.Document{Version: policy.Version, Statement: policy.Statements{
		{Sid: "ToolsList", Effect: policy.Allow, Principal: tools, Action: policy.Strings{"s3:ListBucket"}, Resource: policy.Strings{"arn:aws:s3:::" + bucket}},
		{Sid: "ToolsRead", Effect: policy.Allow, Principal: tools, Action: policy.Strings{"s3:GetObject"}, Resource: policy.Strings{"arn:aws:s3:::" + bucket + "/*"}},
	}}); err != nil {
		return Totals{}, err
	}
	type object struct {
		key  string
		size int
		seed uint64
	}
	var objs []object
	for i := range l.Objects {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		lo, hi := l.MinKiB<<10, l.MaxKiB<<10
		objs = append(objs, object{fmt.Sprintf("%s%06d.bin", Prefix, i), lo + r.IntN(hi-lo+1), uint64(i)})
	}
	for i := range l.Large {
		objs = append(objs, object{fmt.Sprintf("%slarge/%03d.bin", Prefix, i), l.LargeMiB << 20, uint64(1_000_000 + i)})
	}
	work := make(chan object)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				body := make([]byte, o.size)
				var seed [32]byte
				binary.LittleEndian.PutUint64(seed[:], o.seed)
				_, _ = rand.NewChaCha8(seed).Read(body)
				if _, err := c.Owner.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(o.size)),
				}); err != nil {
					select {
					case errs <- fmt.Errorf("put %s: %w", o.key, err):
					default:
					}
				}
			}
		}()
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return Totals{}, err
	}
	// A run ingests what was written before the second it started in
	// (rules.Deferred): the seeded objects are older than the first run.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	return c.Count(ctx, bucket, "")
}

// Count walks bucket's objects under prefix with ListObjectsV2, 1,000 a
// page: the bare listing every tool's unchanged re-run has to do.
func (c S3) Count(ctx context.Context, bucket, prefix string) (Totals, error) {
	var t Totals
	p := s3.NewListObjectsV2Paginator(c.C, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return t, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
		}
		for _, o := range out.Contents {
			t.Objects++
			t.Bytes += aws.ToInt64(o.Size)
		}
	}
	return t, nil
}

// CreateBucket creates an empty bucket.
func (c S3) CreateBucket(ctx context.Context, bucket string) error {
	_, err := c.C.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// Empty deletes bucket's objects under prefix (1,000 per DeleteObjects),
// so that later rounds do not run against a heap full of earlier copies.
func (c S3) Empty(ctx context.Context, bucket, prefix string) error {
	p := s3.NewListObjectsV2Paginator(c.C, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1000)})
	var keys [][]types.ObjectIdentifier
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", bucket, err)
		}
		var page []types.ObjectIdentifier
		for _, o := range out.Contents {
			page = append(page, types.ObjectIdentifier{Key: o.Key})
		}
		keys = append(keys, page)
	}
	for _, page := range keys {
		if len(page) == 0 {
			continue
		}
		if _, err := c.C.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket), Delete: &types.Delete{Objects: page, Quiet: aws.Bool(true)},
		}); err != nil {
			return fmt.Errorf("delete objects of %s: %w", bucket, err)
		}
	}
	return nil
}

// Remove empties and deletes bucket.
func (c S3) Remove(ctx context.Context, bucket string) error {
	if err := c.Empty(ctx, bucket, ""); err != nil {
		return err
	}
	if _, err := c.C.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	return nil
}
