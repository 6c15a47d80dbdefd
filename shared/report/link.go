package report

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Linker makes short-lived presigned GET URLs of reports: the API answers
// a report's download with a redirect to one, as a Lambda behind an HTTP
// API cannot return more than 6 MB.
type Linker struct {
	Presign *s3.PresignClient
	Expiry  time.Duration
}

// Link is a URL that reads bucket/key for Expiry, with the API's role's
// access, and saves the file under its base name.
func (l *Linker) Link(ctx context.Context, bucket, key string) (string, error) {
	req, err := l.Presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ResponseContentDisposition: aws.String(fmt.Sprintf("attachment; filename=%q", path.Base(path.Dir(key))+"-"+path.Base(key))),
	}, s3.WithPresignExpires(l.Expiry))
	if err != nil {
		return "", fmt.Errorf("presign the report %s: %w", key, err)
	}
	return req.URL, nil
}
