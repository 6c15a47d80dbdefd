package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/kmssecret"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// The migration runs against the local platform (DynamoDB Local and
// local-kms), as an operator runs it against AWS.
var plat *platformlocal.Platform

func TestMain(m *testing.M) {
	var err error
	plat, err = platformlocal.Start(context.Background(), platformlocal.Options{
		Log: slog.New(slog.DiscardHandler), EmulatorLog: io.Discard,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local platform:", err)
		os.Exit(1)
	}
	code := m.Run()
	plat.Close()
	os.Exit(code)
}

// connectionWith writes a connection whose secret is sealed by box (none
// when box is nil).
func connectionWith(t *testing.T, store *metadata.Store, box *kmssecret.Box, id string) connection.Connection {
	t.Helper()
	c := connection.Connection{ConnectionId: id, ConnectionName: "migrate-" + id, CreatedBy: "alice",
		AuthorizedUsers: []string{"alice"}, ConnectionAccessType: connection.AccessKeys, AccessKeyId: "AKIA" + id,
		CreatedAt: time.Now(), UpdatedAt: time.Now(), Revision: 1}
	if box != nil {
		ct, err := box.Seal(context.Background(), id, "secret-of-"+id)
		if err != nil {
			t.Fatal(err)
		}
		c.SecretCiphertext = ct
	} else {
		c.ConnectionAccessType = connection.AssumeRole
	}
	if err := store.CreateConnection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMigrationMovesOldSecretsOnceAndOnlyThem(t *testing.T) {
	ctx := context.Background()
	cfg, err := platform.LoadAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kc := kms.NewFromConfig(cfg)
	store := metadata.New(dynamodb.NewFromConfig(cfg), plat.Config.Table)
	oldBox, newBox := kmssecret.New(kc, plat.Config.KMSKeyID), kmssecret.New(kc, plat.Config.SecretsKeyID)
	old := connectionWith(t, store, oldBox, "old1")
	current := connectionWith(t, store, newBox, "new1")
	connectionWith(t, store, nil, "role1")
	var out strings.Builder
	m := Migration{KMS: kc, Store: store, From: plat.Names.KeyAlias, To: plat.Names.SecretsKeyAlias, Out: &out}

	// A dry run reports and writes nothing.
	dry := m
	dry.DryRun = true
	if sum, err := dry.Run(ctx); err != nil || sum.Moved != 1 || sum.Under != 1 || sum.WithoutSecret != 1 {
		t.Fatalf("dry run: %v, %v", sum, err)
	}
	if got, _ := store.GetConnection(ctx, old.ConnectionId); string(got.SecretCiphertext) != string(old.SecretCiphertext) || got.Revision != 1 {
		t.Fatalf("the dry run changed connection %s: revision %d", old.ConnectionId, got.Revision)
	}

	sum, err := m.Run(ctx)
	t.Log(sum, out.String())
	if err != nil || sum.Moved != 1 || sum.Under != 1 || sum.WithoutSecret != 1 || sum.Connections != 3 {
		t.Fatalf("run: %v, %v", sum, err)
	}
	got, _ := store.GetConnection(ctx, old.ConnectionId)
	if plain, err := newBox.Open(ctx, old.ConnectionId, got.SecretCiphertext); err != nil || plain != "secret-of-old1" {
		t.Errorf("the secrets key opens %q, %v", plain, err)
	}
	if _, err := oldBox.Open(ctx, old.ConnectionId, got.SecretCiphertext); err == nil {
		t.Error("the platform key still opens the migrated secret")
	}
	if got.Revision != 2 || got.UpdatedAt.Unix() != old.UpdatedAt.Unix() {
		t.Errorf("revision %d (want 2), updated at %v (want %v)", got.Revision, got.UpdatedAt, old.UpdatedAt)
	}
	// An update read before the migration's write fails instead of
	// putting the old ciphertext back.
	stale := old
	stale.Description = "edited"
	stale.Revision = 2
	if err := store.UpdateConnection(ctx, old, stale); err != connection.ErrConcurrentChange {
		t.Errorf("a stale update: %v, want %v", err, connection.ErrConcurrentChange)
	}

	// A second run changes nothing.
	again, err := m.Run(ctx)
	if err != nil || again.Moved != 0 || again.Under != 2 {
		t.Errorf("second run: %v, %v", again, err)
	}
	if after, _ := store.GetConnection(ctx, old.ConnectionId); string(after.SecretCiphertext) != string(got.SecretCiphertext) || after.Revision != 2 {
		t.Errorf("the second run rewrote connection %s", old.ConnectionId)
	}
	if after, _ := store.GetConnection(ctx, current.ConnectionId); string(after.SecretCiphertext) != string(current.SecretCiphertext) || after.Revision != 1 {
		t.Errorf("the migration rewrote connection %s, already under the secrets key", current.ConnectionId)
	}
}
