package source

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A source bucket's keys are other people's input, and S3 may hold keys
// that XML 1.0 cannot carry (control characters): in a plain listing they
// make the whole page unreadable (Go's XML decoder refuses them), so one
// such key would fail every run of the folder. Every listing of a source
// therefore asks S3 to URL-encode the keys (encoding-type=url) and decodes
// them here; the rules then refuse unsafe names file by file.

// Lister lists a source bucket: the S3 client.
type Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// List is ListObjectsV2 of in with encoded keys, decoded in the output.
func List(ctx context.Context, client Lister, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	enc := *in
	enc.EncodingType = s3types.EncodingTypeUrl
	out, err := client.ListObjectsV2(ctx, &enc)
	if err != nil {
		return nil, err
	}
	if out.EncodingType != s3types.EncodingTypeUrl {
		return out, nil // not encoded (a store that ignores the parameter)
	}
	for i := range out.Contents {
		k, err := url.QueryUnescape(aws.ToString(out.Contents[i].Key))
		if err != nil {
			return nil, fmt.Errorf("list %s: a key S3 encoded is not decodable: %w", aws.ToString(in.Bucket), err)
		}
		out.Contents[i].Key = aws.String(k)
	}
	return out, nil
}
