//go:build unix

package s3local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const lockFileName = "s3local.lock"

// lockDataPath keeps a second server (in this process or another) off dir:
// each keeps its own index of the files and would not see the other's
// writes. It waits up to two seconds for a server that is shutting down.
func lockDataPath(dir string) (unlock func() error, err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("s3local: lock %s: %w", dir, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f.Close, nil // closing the file releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			_ = f.Close()
			return nil, fmt.Errorf("s3local: %s is in use by another server: %w", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
