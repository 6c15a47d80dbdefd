package s3local

import (
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Keys XML 1.0 cannot carry (control characters) come back intact from a
// listing with EncodingType url, across pages, decoded as clients decode
// them; every other key too, with its storage class. Without the encoding
// gofakes3 writes U+FFFD in their place. A wrong encoding type is S3's 400.
func TestEncodedListingCarriesEveryKey(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		e := start(t, opts, false)
		c := e.client()
		mustBucket(t, c, "enc", "")
		keys := []string{"in/a\x01b.csv", "in/c d+e.csv", "in/sub/x%2Fy.csv", "in/tab\tnl\n.csv", "in/ü.csv", "other/z.csv"}
		for _, k := range keys {
			mustPut(t, c, "enc", k, []byte("x"), types.StorageClassGlacier)
		}
		var got []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{
			Bucket: aws.String("enc"), Prefix: aws.String("in/"), MaxKeys: aws.Int32(2), EncodingType: types.EncodingTypeUrl,
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if out.EncodingType != types.EncodingTypeUrl || aws.ToString(out.Prefix) != "in%2F" || len(out.Contents) > 2 {
				t.Fatalf("page: encoding %q, prefix %q, %d keys", out.EncodingType, aws.ToString(out.Prefix), len(out.Contents))
			}
			for _, o := range out.Contents {
				k, err := url.QueryUnescape(aws.ToString(o.Key))
				if err != nil || o.StorageClass != types.ObjectStorageClassGlacier {
					t.Fatalf("key %q: %v, class %q", aws.ToString(o.Key), err, o.StorageClass)
				}
				got = append(got, k)
			}
		}
		if want := keys[:5]; !slices.Equal(got, want) {
			t.Fatalf("listed %q, want %q", got, want)
		}
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("enc"), EncodingType: "base64"})
		if apiCode(err) != "InvalidArgument" {
			t.Fatalf("encoding-type base64: %v", err)
		}
	})
}
