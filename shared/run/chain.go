package run

import (
	"context"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/schedule"
)

// By is who a run acts for: who started it on demand, or the schedule's
// owner for a scheduled firing or a restore follow-up.
func (r Run) By() string {
	if r.Trigger == Scheduled || r.Trigger == RestoreFollowUp {
		return r.CreatedBy
	}
	return r.TriggeredBy
}

// checkChain refuses (403) a run of sch by caller unless the whole chain
// holds (chain.Run). A gone dataset is left to StartRun's 409.
func (s *Service) checkChain(ctx context.Context, caller string, sch schedule.Schedule) error {
	d, err := s.Upstream.GetDataset(ctx, sch.DatasetId)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return nil
	} else if err != nil {
		return err
	}
	c, err := s.Upstream.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return err
	}
	if err := chain.Run(c, d, chain.Of("schedule", sch.ScheduleId, sch.CanSee), sch.CreatedBy, caller); err != nil {
		return apperr.Forbidden("the run cannot start: %v", err)
	}
	return nil
}
