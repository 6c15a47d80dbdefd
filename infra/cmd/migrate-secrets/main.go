// Command migrate-secrets moves the connections' secrets from the platform
// key onto the secrets key: for each connection of the metadata table whose
// SecretCiphertext is under the platform key, kms:ReEncrypt (the plaintext
// never leaves KMS; encryption context {"ConnectionId": id} on both sides)
// and a write conditional on the connection's Revision. It is idempotent: a
// ciphertext already under another key is left as it is, so a second run
// changes nothing. `make migrate-secrets` runs it (infra/cdk/README.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/datalake-platform/s3connections/infra/cmd/internal/operator"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	names := platform.NamesFor("", "")
	table := operator.TableFlag()
	from := flag.String("from", operator.OrEnv(platform.EnvKMSKey, names.KeyAlias), "the key the secrets are under now (id, ARN or alias)")
	to := flag.String("to", operator.OrEnv(platform.EnvSecretsKey, names.SecretsKeyAlias), "the secrets key (id, ARN or alias)")
	dryRun := flag.Bool("dry-run", false, "report what would change, write nothing")
	flag.Parse()
	ctx := context.Background()
	store, cfg, err := operator.Store(ctx, *table)
	operator.Exit("migrate-secrets", err)
	m := Migration{KMS: kms.NewFromConfig(cfg), Store: store,
		From: *from, To: *to, DryRun: *dryRun, Out: os.Stdout}
	sum, err := m.Run(ctx)
	fmt.Println(sum)
	operator.Exit("migrate-secrets", err)
}

// Migration re-encrypts the secrets under From onto To.
type Migration struct {
	KMS    *kms.Client
	Store  *metadata.Store
	From   string
	To     string
	DryRun bool
	Out    io.Writer // one line per connection moved or failed
}

// Summary counts the connections by outcome.
type Summary struct {
	DryRun                                   bool
	Connections, WithoutSecret, Moved, Under int
	// Changed were updated between the scan and the write (run again);
	// Failed could not be re-encrypted or written.
	Changed, Failed int
}

func (s Summary) String() string {
	verb := "re-encrypted"
	if s.DryRun {
		verb = "to re-encrypt (dry run, nothing written)"
	}
	return fmt.Sprintf("migrate-secrets: %d connections: %d %s, %d already under another key, %d without a secret, %d changed meanwhile, %d failed",
		s.Connections, s.Moved, verb, s.Under, s.WithoutSecret, s.Changed, s.Failed)
}

// Run migrates every connection; it fails if any connection could not be
// moved, after trying them all.
func (m Migration) Run(ctx context.Context) (Summary, error) {
	sum := Summary{DryRun: m.DryRun}
	from, err := m.keyARN(ctx, m.From)
	if err != nil {
		return sum, err
	}
	to, err := m.keyARN(ctx, m.To)
	if err != nil {
		return sum, err
	}
	if from == to {
		return sum, fmt.Errorf("the source and destination keys are the same key %s", from)
	}
	err = m.Store.EachConnection(ctx, func(c connection.Connection) error {
		sum.Connections++
		m.migrate(ctx, c, from, to, &sum)
		return nil
	})
	if err == nil && sum.Failed+sum.Changed > 0 {
		err = fmt.Errorf("%d connections not migrated: run again", sum.Failed+sum.Changed)
	}
	return sum, err
}

// migrate moves one connection's secret, counting the outcome in sum.
func (m Migration) migrate(ctx context.Context, c connection.Connection, from, to string, sum *Summary) {
	if len(c.SecretCiphertext) == 0 { // assume_role connections hold no secret
		sum.WithoutSecret++
		return
	}
	ec := map[string]string{"ConnectionId": c.ConnectionId}
	out, err := m.KMS.ReEncrypt(ctx, &kms.ReEncryptInput{
		CiphertextBlob: c.SecretCiphertext, SourceKeyId: aws.String(from), SourceEncryptionContext: ec,
		DestinationKeyId: aws.String(to), DestinationEncryptionContext: ec,
	})
	var incorrect *kmstypes.IncorrectKeyException
	switch {
	case errors.As(err, &incorrect):
		sum.Under++ // KMS: the ciphertext is not under From
		return
	case err != nil:
		sum.Failed++
		fmt.Fprintf(m.Out, "connection %s: %v\n", c.ConnectionId, err)
		return
	case aws.ToString(out.SourceKeyId) != from:
		sum.Under++ // an emulator that ignores SourceKeyId (local-kms) says so here
		return
	}
	if !m.DryRun {
		err = m.Store.ReplaceSecretCiphertext(ctx, c.ConnectionId, c.Revision, out.CiphertextBlob)
	}
	switch {
	case errors.Is(err, connection.ErrConcurrentChange):
		sum.Changed++
		fmt.Fprintf(m.Out, "connection %s: changed meanwhile, not written\n", c.ConnectionId)
	case err != nil:
		sum.Failed++
		fmt.Fprintf(m.Out, "connection %s: %v\n", c.ConnectionId, err)
	default:
		sum.Moved++
	}
}

// keyARN resolves a key id, ARN or alias to the key's ARN, which ReEncrypt
// answers with.
func (m Migration) keyARN(ctx context.Context, id string) (string, error) {
	d, err := m.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("describe key %s: %w", id, err)
	}
	return aws.ToString(d.KeyMetadata.Arn), nil
}
