package dataset

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/rules"
)

// The RestoreArchived option: runs restore the dataset's archived files
// and ingest them once readable, rather than only skip and report them.
// Only versions that skip archived files allow it (rules.AllowsRestore):
// a 1.6 run fails on them before any restore could help.

// normalizeRestore checks and normalizes a RestoreArchived option (nil:
// none) of a dataset on c.
func normalizeRestore(opt *rules.RestoreArchived, c connection.Connection) error {
	if opt == nil {
		return nil
	}
	if !c.Version.AllowsRestore() {
		return apperr.Invalid("RestoreArchived", "needs connection version %s or later; connection %s is at %s, which fails runs on archived files: upgrade it first", rules.V1_7, c.ConnectionName, c.Version)
	}
	i := slices.IndexFunc(rules.Tiers, func(t rules.Tier) bool { return strings.EqualFold(string(t), string(opt.Tier)) })
	if i < 0 {
		return apperr.Invalid("RestoreArchived.Tier", "must be one of Bulk, Standard or Expedited")
	}
	opt.Tier = rules.Tiers[i]
	if opt.Days < rules.MinRestoreDays || opt.Days > rules.MaxRestoreDays {
		return apperr.Invalid("RestoreArchived.Days", "must be %d to %d: how long S3 keeps the restored copy", rules.MinRestoreDays, rules.MaxRestoreDays)
	}
	if m := opt.MaxEstimatedCostUSD; m != nil && (*m < 0 || math.IsNaN(*m) || math.IsInf(*m, 0) || *m > 1e9) {
		return apperr.Invalid("RestoreArchived.MaxEstimatedCostUSD", "must be a number of dollars from 0 to 1000000000")
	}
	return nil
}

// applyRestore applies an update's RestoreArchived to d, checked against
// its connection.
func (s *Service) applyRestore(ctx context.Context, d *Dataset, in *rules.RestoreArchived) error {
	conn, err := s.Connections.GetConnection(ctx, d.ConnectionId)
	if err != nil {
		return err
	}
	return updateRestore(d, in, conn)
}

// updateRestore applies an update's RestoreArchived to d: a Tier sets it
// (checked against c), {} removes it.
func updateRestore(d *Dataset, in *rules.RestoreArchived, c connection.Connection) error {
	if in.Tier == "" && in.Days == 0 && in.MaxEstimatedCostUSD == nil {
		d.RestoreArchived = nil
		return nil
	}
	opt := *in
	if err := normalizeRestore(&opt, c); err != nil {
		return err
	}
	d.RestoreArchived = &opt
	return nil
}

// PendingRestore is a restore the platform waits for, to ingest the file
// when it completes.
type PendingRestore struct {
	Name, SourceKey, StorageClass, Tier string
	Size                                int64
	// Requested says the run that recorded it requested it (else it
	// found it in progress).
	Requested   bool       `json:"-" dynamodbav:"-"`
	RequestedAt *time.Time `json:",omitempty" dynamodbav:",omitempty"`
	// ReadyAt is when the restore is expected to be done
	// (rules.RestoreWaits): when the platform looks again.
	ReadyAt      time.Time
	CostMicroUSD int64 `json:"-" dynamodbav:"-"`
}
