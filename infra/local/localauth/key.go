// Package localauth is the local stand-in for the platform's Cognito user
// pool: it issues the tokens, and verifies them as the HTTP API's JWT
// authorizer does in front of every authorized route.
//
// On AWS the pool signs ID tokens with RS256 and publishes its public keys at
// <issuer>/.well-known/jwks.json; the HTTP API checks a token's signature,
// kid, iss, aud (or client_id), exp, nbf and iat before it invokes the Lambda,
// and hands the Lambda the token's claims as strings. This package does the
// same on one machine with one RSA key persisted on disk, so that a token
// minted by `make token` keeps working across restarts of the local platform,
// and so that handlers see exactly the claims shape they will see on AWS.
package localauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
)

// KeyBits is the size of the signing key; Cognito user pools sign with RSA 2048.
const KeyBits = 2048

// LoadOrCreateKey returns the RSA private key stored as PEM at path, creating a
// new 2048-bit key (and its directory) when the file does not exist.
//
// Several local processes (the API, `make token`, tests) may start at the same
// moment and all find no key. Each writes its candidate to a private temp file
// and then publishes it with a hard link, which, unlike rename, fails when the
// path already exists: exactly one candidate wins and every process then reads
// the winner back, so no process keeps signing with a key that another process
// silently replaced. Where hard links are not supported it falls back to
// rename and still re-reads the file.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	if key, err := readKey(path); err == nil {
		return key, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localauth: create key directory: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("localauth: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("localauth: encode key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("localauth: create temp key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful link the key lives on under path
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("localauth: chmod temp key file: %w", err)
	}
	if _, err := tmp.Write(pemBytes); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("localauth: write temp key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("localauth: sync temp key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("localauth: close temp key file: %w", err)
	}

	if err := os.Link(tmpName, path); err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links here (some network or FUSE file systems): rename is
		// still atomic, it just cannot tell us whether we won the race.
		if err := os.Rename(tmpName, path); err != nil {
			return nil, fmt.Errorf("localauth: publish key file: %w", err)
		}
	}
	// Whoever won, the file at path is now the one key everybody uses.
	return readKey(path)
}

// readKey parses a PKCS#8 or PKCS#1 PEM RSA private key.
func readKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("localauth: %s holds no PEM block", path)
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("localauth: parse %s: %w", path, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("localauth: %s holds a %T, want an RSA key", path, k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("localauth: parse %s: %w", path, err)
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("localauth: %s holds a %q PEM block, want a private key", path, block.Type)
	}
}

// KeyID is the kid under which pub is published and expected: its RFC 7638
// JWK thumbprint. Deriving it from the key means a Verifier needs nothing but
// the public key to know which kid to accept, and a new key gets a new kid, so
// tokens signed by a previous key fail the kid check as they would on AWS.
func KeyID(pub *rsa.PublicKey) string {
	// RFC 7638: the required members in lexicographic order, no whitespace.
	canonical := `{"e":"` + b64(big.NewInt(int64(pub.E)).Bytes()) + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
