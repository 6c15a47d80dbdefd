package metadata

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/run"
	"github.com/google/uuid"
)

// A run's items (record, index entry, counters, skipped and failed lists)
// carry the expiry of the retention; catalog entries, gate-only ones
// included, never do. Past the expiry, reads leave the run out though the
// items are still there (DynamoDB's TTL deletes late, DynamoDB Local never),
// and the catalog is unchanged.
func TestRunItemsExpireAndTheCatalogStays(t *testing.T) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	s := newStore(t).WithRunRetention(2)
	s.clock = func() time.Time { return now }
	d := newDataset(t, s, "retention")
	r := newRun(t, d)
	if err := s.StartRun(ctx, r, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.StartedAt = &now
	results := []run.FileResult{gateCopied(r, "a.csv", "a1"), gateFailed("b.csv"), gateSkipped("c.csv")}
	if n, err := s.CommitFiles(ctx, r, results); err != nil || n != len(results) {
		t.Fatalf("committed %d (%v)", n, err)
	}
	if err := s.ListSkipped(ctx, r.RunId, []run.FileOutcome{{Name: "d.csv", Outcome: run.OutcomeSkippedUnsafeKey}}); err != nil {
		t.Fatal(err)
	}
	expires := now.Add(48 * time.Hour).Unix()
	items := partition(t, s, runPrefix+r.RunId)
	items = append(items, partition(t, s, schedulePrefix+r.ScheduleId)...)
	if len(items) < 6 { // run, index, a counter shard, 1 failed, 2 skipped
		t.Fatalf("%d run items", len(items))
	}
	for _, it := range items {
		if got := expiryOf(it); got != expires {
			t.Errorf("%s %s expires at %d, want %d", key2(it)[0], key2(it)[1], got, expires)
		}
	}
	for _, it := range partition(t, s, filesPrefix+d.DatasetId) {
		if _, ok := it[AttrExpiresAt]; ok {
			t.Errorf("catalog entry %s expires", key2(it)[1])
		}
	}

	if _, err := s.GetRun(ctx, r.RunId); err != nil {
		t.Fatalf("before its expiry: %v", err)
	}
	s.clock = func() time.Time { return now.Add(48*time.Hour + time.Second) }
	if _, err := s.GetRun(ctx, r.RunId); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("an expired run: %v, want not found", err)
	}
	if runs, _, err := s.ListRuns(ctx, r.ScheduleId, 10, ""); err != nil || len(runs) != 0 {
		t.Errorf("the schedule's runs after expiry: %v (%v), want none", runs, err)
	}
	if skipped, failed, _, err := s.RunFiles(ctx, r.RunId, 10); err != nil || len(skipped)+len(failed) != 0 {
		t.Errorf("the run's files after expiry: %v %v (%v), want none", skipped, failed, err)
	}
	wantCatalog(t, s, d.DatasetId, map[string]string{"a.csv": "a1"})
	wantCommitted(t, s, r, "a.csv", "b.csv", "c.csv")
}

// An expired lease whose run TTL deleted does not hold its dataset: the
// next run starts, and no fragment of the deleted run is written.
func TestStartRunOverALeaseWhoseRunIsGone(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	d := newDataset(t, s, "gone")
	old := newRun(t, d)
	if err := s.StartRun(ctx, old, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: runKey(old.RunId)}); err != nil {
		t.Fatal(err)
	}
	next := newRun(t, d)
	until := time.Now().Add(time.Hour)
	if err := s.StartRun(ctx, next, until); err != nil {
		t.Fatalf("a run after a gone run's expired lease: %v", err)
	}
	wantLease(t, s, d.DatasetId, next.RunId, until)
	if gone, err := s.runGone(ctx, old.RunId); err != nil || !gone {
		t.Errorf("the deleted run's item is back: gone %v (%v)", gone, err)
	}
}

// The local table has the deployed table's time to live, where DynamoDB
// Local supports it.
func TestTableHasTheTimeToLive(t *testing.T) {
	s := newStore(t)
	out, err := client.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: &s.table})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TimeToLiveDescription
	if d == nil || aws.ToString(d.AttributeName) != AttrExpiresAt || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("time to live %+v, want %s enabled", d, AttrExpiresAt)
	}
}

// partition returns every item of partition pk.
func partition(t *testing.T, s *Store, pk string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func expiryOf(it map[string]types.AttributeValue) int64 {
	n, ok := it[AttrExpiresAt].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}

func key2(it map[string]types.AttributeValue) [2]string {
	pk, _ := it[attrPK].(*types.AttributeValueMemberS)
	sk, _ := it[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return [2]string{}
	}
	return [2]string{pk.Value, sk.Value}
}

// v7At is a UUIDv7 run id whose time is at.
func v7At(t *testing.T, at time.Time) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (8 * (5 - i)))
	}
	return id.String()
}

// Runs recorded before runs expired get the expiry they would have had,
// from their run ids' times; a run older than the retention is then left
// out at once. Catalog entries are untouched, a dry run writes nothing, and
// a second run finds nothing to do.
func TestMigrateRunRetention(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).WithRunRetention(30)
	d := newDataset(t, s, "legacy")
	recent, old := newRun(t, d), newRun(t, d)
	old.RunId = v7At(t, time.Now().Add(-40*24*time.Hour))
	for _, r := range []run.Run{recent, old} {
		if err := s.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.ListSkipped(ctx, r.RunId, []run.FileOutcome{{Name: "x.csv", Outcome: run.OutcomeSkippedUnsafeKey}}); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now()
	recent.StartedAt = &started
	if _, err := s.CommitFiles(ctx, recent, []run.FileResult{gateCopied(recent, "a.csv", "a1")}); err != nil {
		t.Fatal(err)
	}
	var items []map[string]types.AttributeValue // as written before runs expired
	for _, pk := range []string{runPrefix + recent.RunId, runPrefix + old.RunId, schedulePrefix + recent.ScheduleId} {
		items = append(items, partition(t, s, pk)...)
	}
	for _, it := range items {
		_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table,
			Key: map[string]types.AttributeValue{attrPK: it[attrPK], attrSK: it[attrSK]}, UpdateExpression: aws.String("REMOVE " + AttrExpiresAt)})
		if err != nil {
			t.Fatal(err)
		}
	}

	if n, err := s.MigrateRunRetention(ctx, true); err != nil || n != len(items) {
		t.Fatalf("dry run: %d (%v), want %d", n, err, len(items))
	}
	if got := expiryOf(partition(t, s, runPrefix+old.RunId)[0]); got != 0 {
		t.Fatalf("the dry run wrote an expiry %d", got)
	}
	if n, err := s.MigrateRunRetention(ctx, false); err != nil || n != len(items) {
		t.Fatalf("migration: %d (%v), want %d", n, err, len(items))
	}
	for _, r := range []run.Run{recent, old} {
		want := runStart(r.RunId, time.Time{}).Add(30 * 24 * time.Hour).Unix()
		for _, it := range partition(t, s, runPrefix+r.RunId) {
			if got := expiryOf(it); got != want {
				t.Errorf("%v expires at %d, want %d", key2(it), got, want)
			}
		}
	}
	for _, it := range partition(t, s, filesPrefix+d.DatasetId) {
		if _, ok := it[AttrExpiresAt]; ok {
			t.Errorf("the migration gave catalog entry %v an expiry", key2(it))
		}
	}
	if _, err := s.GetRun(ctx, recent.RunId); err != nil {
		t.Errorf("a recent run after the migration: %v", err)
	}
	if _, err := s.GetRun(ctx, old.RunId); apperr.KindOf(err) != apperr.KindNotFound {
		t.Errorf("a run older than the retention after the migration: %v, want not found", err)
	}
	if n, err := s.MigrateRunRetention(ctx, false); err != nil || n != 0 {
		t.Errorf("a second migration: %d (%v), want nothing to do", n, err)
	}
}
