package metadata

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// A schedule's name is unique on its dataset, ignoring case, even among
// concurrent creations; another dataset may use it, and so may the dataset
// once the schedule is deleted.
func TestScheduleNameIsUniqueOnItsDataset(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("names", "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d, other := datasetOn(c, "n1", false), datasetOn(c, "n2", false)
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDataset(ctx, other); err != nil {
		t.Fatal(err)
	}
	const n = 6
	made, taken := createNamedConcurrently(t, s, d, n)
	if taken != n-1 || len(made) != 1 {
		t.Fatalf("%d created, %d refused as taken; want 1 and %d", len(made), taken, n-1)
	}
	elsewhere := scheduleOf(other)
	elsewhere.ScheduleName = "nightly"
	if err := s.CreateSchedule(ctx, elsewhere); err != nil {
		t.Fatalf("the name on another dataset: %v", err)
	}
	if err := s.DeleteSchedule(ctx, made[0]); err != nil {
		t.Fatal(err)
	}
	again := scheduleOf(d)
	again.ScheduleName = "nightly"
	if err := s.CreateSchedule(ctx, again); err != nil {
		t.Fatalf("the name once free: %v", err)
	}
}

// createNamedConcurrently creates n schedules on d at once, named Nightly
// or NIGHTLY: it returns those created and how many were refused as taken.
func createNamedConcurrently(t *testing.T, s *Store, d dataset.Dataset, n int) (made []schedule.Schedule, taken int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sch := scheduleOf(d)
			sch.ScheduleName = "Nightly"
			if i%2 == 1 {
				sch.ScheduleName = "NIGHTLY"
			}
			err := s.CreateSchedule(context.Background(), sch)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made = append(made, sch)
			case errors.Is(err, schedule.ErrNameTaken):
				taken++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	return made, taken
}

// A schedule made before name claims has none: its name is still taken,
// through its reference on the dataset, and deleting it frees the name.
func TestScheduleNameOfSchedulesMadeBeforeClaims(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	c := conn("legacy-names", "owner")
	if err := s.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := datasetOn(c, "legacy", false)
	if err := s.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	legacy := scheduleOf(d)
	if err := s.CreateSchedule(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: scheduleNameKey(d.DatasetId, legacy.ScheduleName)}); err != nil {
		t.Fatal(err)
	}
	dup := scheduleOf(d)
	dup.ScheduleName = strings.ToUpper(legacy.ScheduleName)
	if err := s.CreateSchedule(ctx, dup); !errors.Is(err, schedule.ErrNameTaken) {
		t.Fatalf("a legacy schedule's name: %v, want ErrNameTaken", err)
	}
	if err := s.DeleteSchedule(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSchedule(ctx, dup); err != nil {
		t.Fatalf("the name once free: %v", err)
	}
}
