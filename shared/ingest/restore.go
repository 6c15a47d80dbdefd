package ingest

import (
	"context"
	"fmt"

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
// file's outcome, restoring, with its pending restore. A restore that S3
// says is in progress already (another delivery or run asked first) is not
// an error; one the source refuses skips the file with the reason, and the
// run goes on; anything else is retried.
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
		case code == "RestoreAlreadyInProgress":
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
		Requested: requested, ReadyAt: w.restoreWaits().ReadyAt(obj, req, now),
	}
	if requested {
		p.RequestedAt = &now
		cost, _ := rules.RestoreCost(obj, req)
		p.CostMicroUSD = rules.MicroUSD(cost)
	} else {
		p.ReadyAt = w.restoreWaits().Recheck(obj, req, now)
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

func (w *Worker) restoreWaits() rules.RestoreWaits {
	if w.RestoreWaits != nil {
		return w.RestoreWaits
	}
	return rules.DefaultRestoreWaits
}
