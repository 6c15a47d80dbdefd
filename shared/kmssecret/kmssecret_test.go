package kmssecret

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/datalake-platform/s3connections/infra/local/emulators"
)

var client *kms.Client

// The box is tested against local-kms over HTTP.
func TestMain(m *testing.M) {
	port, err := emulators.FreePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := emulators.KMS{Port: port, Region: "us-east-1", Account: "000000000000", Log: os.Stderr}.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "local-kms:", err)
		os.Exit(1)
	}
	client = kms.New(kms.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(p.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	code := m.Run()
	_ = p.Stop()
	os.Exit(code)
}

func TestSealOpenIsBoundToTheConnection(t *testing.T) {
	ctx := context.Background()
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	box := New(client, *key.KeyMetadata.KeyId)
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sealed, err := box.Seal(ctx, "conn-1", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(secret)) {
		t.Fatal("ciphertext holds the plain secret")
	}
	got, err := box.Open(ctx, "conn-1", sealed)
	if err != nil || got != secret {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := box.Open(ctx, "conn-2", sealed); err == nil {
		t.Fatal("a ciphertext moved to another connection decrypted")
	}
}
