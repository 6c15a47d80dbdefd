package ingest

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBudgetWaitsForReleasedBytes(t *testing.T) {
	b := NewBudget(100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Acquire(ctx, 500) }() // capped at the whole budget: waits for the 60
	// A quiet period for a negative check: a slow machine only makes it
	// weaker, never wrong.
	select {
	case err := <-got:
		t.Fatalf("acquired 100 of 40 free bytes (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.Release(60)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // generous: a loaded machine is slow, not stuck
		t.Fatal("the released bytes did not wake the waiter")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an exhausted budget returned %v, want the context's error", err)
	}
	var none *Budget
	if err := none.Acquire(ctx, 1<<40); err != nil {
		t.Fatal(err)
	}
	none.Release(1 << 40)
}
