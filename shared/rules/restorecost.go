package rules

import "fmt"

// RestorePrice is what S3 charges to restore from one archive with one
// tier: per GB retrieved and per 1,000 restore requests, in USD.
type RestorePrice struct {
	PerGB, Per1000 float64
	// Unconfirmed says the figure is not from a source we could check;
	// estimates that use it say so.
	Unconfirmed bool
}

// RestorePrices is the one price table of restores, for us-east-1, as
// gathered on 2026-02-21 in ../shared/AWS-FACTS.md 3.6 from
// repost.aws/knowledge-center/s3-manage-data-retrieval and the S3 User
// Guide (https://aws.amazon.com/s3/pricing/ is the authority). Other
// regions differ by a few percent; Intelligent-Tiering's archive tiers
// restore free with Standard and Bulk, at the Expedited rate otherwise.
var RestorePrices = map[string]RestorePrice{
	waitKey(Glacier, Expedited):        {PerGB: 0.03, Per1000: 10.00, Unconfirmed: true}, // per GB unconfirmed; per request confirmed
	waitKey(Glacier, StandardTier):     {PerGB: 0.01, Per1000: 0.05},
	waitKey(Glacier, Bulk):             {PerGB: 0, Per1000: 0.025, Unconfirmed: true}, // free per GB (S3 User Guide); per request unconfirmed
	waitKey(DeepArchive, StandardTier): {PerGB: 0.02, Per1000: 0.10, Unconfirmed: true},
	waitKey(DeepArchive, Bulk):         {PerGB: 0.0025, Per1000: 0.025, Unconfirmed: true},
}

// RestorePricesSource names the table's region, date and source, for the
// run record's estimate.
const RestorePricesSource = "us-east-1 prices of 2026-02-21 (repost.aws s3-manage-data-retrieval, S3 User Guide); some unconfirmed"

// RestoreCost is the estimated cost in USD of restoring o (size bytes)
// with req, and whether the price is unconfirmed.
func RestoreCost(o Object, req RestoreRequest) (usd float64, unconfirmed bool) {
	if o.Class == IntelligentTiering && req.Tier != Expedited {
		return 0, false
	}
	p, ok := RestorePrices[waitKey(o.archiveOf(), req.Tier)]
	if o.Class == IntelligentTiering {
		p, ok = RestorePrices[waitKey(Glacier, Expedited)]
	}
	if !ok {
		return 0, true
	}
	return float64(o.Size)/(1<<30)*p.PerGB + p.Per1000/1000, p.Unconfirmed
}

// MicroUSD is a cost in millionths of a dollar: run counters add integers.
func MicroUSD(usd float64) int64 { return int64(usd*1e6 + 0.5) }

// ListedRestoreCost is the estimated cost, in millionths of a dollar, of
// restoring a file the plan pass would send, from its listing: Glacier and
// Deep Archive files count whole (whether or not a restore is already in
// progress or done, which only HeadObject tells: the estimate errs on the
// high side); Intelligent-Tiering's archive tiers cannot be told from a
// listing and restore free with Bulk and Standard, so they count nothing.
func ListedRestoreCost(o Object, opt RestoreArchived) int64 {
	if o.Class != Glacier && o.Class != DeepArchive {
		return 0
	}
	usd, _ := RestoreCost(o, RestoreFor(o, opt))
	return MicroUSD(usd)
}

// Withheld says why a run whose restores are estimated at estimate
// (millionths of a dollar) requests none: its estimate is over the cap;
// "" when it may request them.
func (opt RestoreArchived) Withheld(estimate int64) string {
	if opt.MaxEstimatedCostUSD == nil || estimate <= MicroUSD(*opt.MaxEstimatedCostUSD) {
		return ""
	}
	return fmt.Sprintf("no restore requested: their estimated cost, $%.2f, is over the dataset's MaxEstimatedCostUSD, $%.2f (%s)",
		float64(estimate)/1e6, *opt.MaxEstimatedCostUSD, RestorePricesSource)
}
