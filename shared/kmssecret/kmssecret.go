// Package kmssecret encrypts connection secrets with their own KMS key
// (SECRETS_KEY_ID). It is apart from the platform key that encrypts the
// stores, so no grant or policy made for a store reaches a secret.
// The encryption context binds each ciphertext to its connection, so a
// ciphertext copied onto another connection does not decrypt, and CloudTrail
// names the connection on every decryption. The API's role may only Seal;
// the ingestion functions' roles may Open.
package kmssecret

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// contextKey is the encryption context key that names the connection.
const contextKey = "ConnectionId"

// Box seals and opens secrets with one KMS key. Safe for concurrent use.
type Box struct {
	client *kms.Client
	keyID  string
}

// New returns a Box using keyID (an id, ARN or alias) through client.
func New(client *kms.Client, keyID string) *Box { return &Box{client: client, keyID: keyID} }

// Seal encrypts plaintext for connectionID. Secrets are a few dozen bytes,
// far below KMS's 4 KB limit, so direct encryption needs no data key.
func (b *Box) Seal(ctx context.Context, connectionID, plaintext string) ([]byte, error) {
	out, err := b.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(b.keyID),
		Plaintext:         []byte(plaintext),
		EncryptionContext: map[string]string{contextKey: connectionID},
	})
	if err != nil {
		return nil, fmt.Errorf("kms encrypt for connection %s: %w", connectionID, err)
	}
	return out.CiphertextBlob, nil
}

// Open decrypts a ciphertext that Seal made for connectionID.
func (b *Box) Open(ctx context.Context, connectionID string, ciphertext []byte) (string, error) {
	out, err := b.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(b.keyID),
		CiphertextBlob:    ciphertext,
		EncryptionContext: map[string]string{contextKey: connectionID},
	})
	if err != nil {
		return "", fmt.Errorf("kms decrypt for connection %s: %w", connectionID, err)
	}
	return string(out.Plaintext), nil
}
