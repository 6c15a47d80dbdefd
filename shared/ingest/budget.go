package ingest

import (
	"context"
	"sync"
)

// Budget is a weighted semaphore of bytes: the worker's streamed copies
// take what they will hold in memory, so that a batch of large files
// waits rather than exhausting the function's memory. A nil Budget never
// waits.
type Budget struct {
	mu    sync.Mutex
	free  int64
	total int64
	wake  chan struct{} // closed and replaced on every release
}

// NewBudget returns a Budget of n bytes.
func NewBudget(n int64) *Budget { return &Budget{free: n, total: n, wake: make(chan struct{})} }

// Acquire takes n bytes (at most the whole budget), waiting for them, or
// returns ctx's error.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if b == nil {
		return nil
	}
	for {
		b.mu.Lock()
		n = min(n, b.total)
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Release returns n bytes taken by Acquire.
func (b *Budget) Release(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.free += min(n, b.total)
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}
