package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/datalake-platform/s3connections/shared/run"
)

// restore handles an archived file of a dataset that restores them: it
// requests the restore (send), unless one is in progress, and returns the
// file's outcome, restoring, with its pending restore. A restore in
// progress that no earlier run recorded was requested by a duplicate
// delivery of this very task (SQS delivers at least once), so it counts
// as requested by this run whichever duplicate commits (or, rarely, by the
// bucket's owner: the estimate then errs on the high side). A restore the
// source refuses skips the file with the reason, and the run goes on;
// anything else is retried.
func (w *Worker) restore(ctx context.Context, src Source, conn connection.Connection, t Task, obj rules.Object, send bool) (run.FileResult, error) {
	res := run.FileResult{Name: t.Name, SourceKey: t.Key, StorageClass: string(obj.Class)}
	req := rules.RestoreFor(obj, *t.Restore)
	now := w.now().UTC()
	requested := false
	if send {
		err := w.requestRestore(ctx, src, t, req)
		if errorCode(err) == "GlacierExpeditedRetrievalNotAvailable" { // no Expedited capacity now: S3 advises Standard
			req.Tier, req.Note = rules.StandardTier, "no Expedited capacity was available: restored with the Standard tier"
			err = w.requestRestore(ctx, src, t, req)
		}
		switch code := errorCode(err); {
		case err == nil:
			requested = true
		case code == "RestoreAlreadyInProgress": // a duplicate delivery of this task, or another run, asked after our HEAD
			requested = true
		case vanished(err):
			res.Outcome, res.Reason = run.OutcomeVanished, rules.VanishedReason
			return res, nil
		case code == "InvalidObjectState" || code == "ObjectAlreadyInActiveTierError": // restored or moved meanwhile: look again
			return res, fmt.Errorf("restore: %w", err)
		default:
			if why, ok := permanent(err, conn); ok || code == "MethodNotAllowed" || code == "InvalidArgument" {
				if !ok {
					why = err.Error()
				}
				res.Outcome, res.Reason = run.OutcomeSkippedStorageClass, rules.RestoreRefusedReason(obj, why)
				return res, nil
			}
			return res, fmt.Errorf("restore: %w", err)
		}
	}
	p := &dataset.PendingRestore{
		Name: t.Name, SourceKey: t.Key, StorageClass: string(obj.Class), Tier: string(req.Tier), Size: obj.Size,
		ReadyAt: w.restoreWaits().ReadyAt(obj, req, now),
	}
	if !send {
		earlier, err := w.Store.PendingRestore(ctx, t.DatasetId, t.Name)
		if err != nil {
			return res, fmt.Errorf("read the pending restore: %w", err)
		}
		requested = earlier == nil || earlier.RequestedAt == nil || !earlier.RequestedAt.Before(t.RunStarted)
		if !requested {
			p.RequestedAt, p.ReadyAt = earlier.RequestedAt, later(earlier.ReadyAt, w.restoreWaits().Recheck(obj, req, now))
		}
	}
	if requested {
		p.Requested, p.RequestedAt = true, &now
		cost, _ := rules.RestoreCost(obj, req)
		p.CostMicroUSD = rules.MicroUSD(cost)
	}
	res.Outcome, res.Reason, res.Restore = run.OutcomeRestoring, rules.RestoringReason(obj, req, requested), p
	return res, nil
}

// requestRestore sends RestoreObject for t's object as req says.
func (w *Worker) requestRestore(ctx context.Context, src Source, t Task, req rules.RestoreRequest) error {
	in := &s3.RestoreObjectInput{
		Bucket: aws.String(t.Bucket), Key: aws.String(t.Key),
		RestoreRequest: &types.RestoreRequest{GlacierJobParameters: &types.GlacierJobParameters{Tier: types.Tier(req.Tier)}},
	}
	if req.Days > 0 {
		in.RestoreRequest.Days = aws.Int32(req.Days)
	}
	_, err := src.Reader.RestoreObject(ctx, in)
	return err
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (w *Worker) restoreWaits() rules.RestoreWaits {
	if w.RestoreWaits != nil {
		return w.RestoreWaits
	}
	return rules.DefaultRestoreWaits
}
