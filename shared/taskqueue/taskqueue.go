// Package taskqueue sends the planner's copy tasks to the workers' SQS
// queue: ten per SendMessageBatch call, several calls at once, retrying only
// the entries that failed.
package taskqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"
)

// Sender sends messages to one queue. Safe for concurrent use.
type Sender[T any] struct {
	client   *sqs.Client
	queueURL string
	// Parallel is how many batch calls run at once.
	Parallel int
	// Attempts bounds the tries of an entry that keeps failing.
	Attempts int
}

// New returns a Sender to queueURL.
func New[T any](client *sqs.Client, queueURL string) *Sender[T] {
	return &Sender[T]{client: client, queueURL: queueURL, Parallel: 8, Attempts: 6}
}

// batchSize is SQS's limit of entries per SendMessageBatch.
const batchSize = 10

// Send sends every item as one JSON message, or returns an error naming
// how many could not be sent.
func (s *Sender[T]) Send(ctx context.Context, items []T) error {
	if len(items) == 0 {
		return nil
	}
	// Every batch is tried, Parallel at a time, whatever the others do: the
	// error names all that failed.
	var g errgroup.Group
	g.SetLimit(max(s.Parallel, 1))
	var mu sync.Mutex
	var errs []error
	for start := 0; start < len(items); start += batchSize {
		batch := items[start:min(start+batchSize, len(items))]
		g.Go(func() error {
			if err := s.sendBatch(ctx, batch); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil: their errors are in errs
	return errors.Join(errs...)
}

func (s *Sender[T]) sendBatch(ctx context.Context, batch []T) error {
	pending := make([]types.SendMessageBatchRequestEntry, len(batch))
	for i, it := range batch {
		body, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode message: %w", err)
		}
		pending[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))}
	}
	var last error
	for attempt := 0; attempt < s.Attempts && len(pending) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(1<<attempt) * 50 * time.Millisecond):
			}
		}
		out, err := s.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.queueURL, Entries: pending})
		if err != nil {
			last = err // the whole call failed: retry every entry
			continue
		}
		failed := map[string]string{}
		for _, f := range out.Failed {
			if f.SenderFault {
				return fmt.Errorf("queue %s refused a message: %s: %s", s.queueURL, aws.ToString(f.Code), aws.ToString(f.Message))
			}
			failed[aws.ToString(f.Id)] = aws.ToString(f.Code)
		}
		retry := pending[:0:0]
		for _, e := range pending {
			if code, ok := failed[aws.ToString(e.Id)]; ok {
				retry = append(retry, e)
				last = fmt.Errorf("entry failed: %s", code)
			}
		}
		pending = retry
	}
	if len(pending) > 0 {
		return fmt.Errorf("%d messages not sent to %s after %d attempts: %w", len(pending), s.queueURL, s.Attempts, last)
	}
	return nil
}

// Releaser makes received messages of one queue visible again at once.
type Releaser struct {
	client   *sqs.Client
	queueURL string
}

// NewReleaser returns a Releaser for queueURL.
func NewReleaser(client *sqs.Client, queueURL string) *Releaser {
	return &Releaser{client: client, queueURL: queueURL}
}

// Release sets the visibility timeout of the messages received with
// receiptHandles to zero, ten per ChangeMessageVisibilityBatch call, so that
// they are delivered again without waiting out their timeout.
func (r *Releaser) Release(ctx context.Context, receiptHandles []string) error {
	var errs []error
	for start := 0; start < len(receiptHandles); start += batchSize {
		chunk := receiptHandles[start:min(start+batchSize, len(receiptHandles))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, h := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)}
		}
		out, err := r.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &r.queueURL, Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("release message: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}
