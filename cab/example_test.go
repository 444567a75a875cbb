package cab_test

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

func ExampleDecide() {
	// A model at trust maturity level 1 (Cautious): productivity tools with
	// a risk score up to 20 may go ahead without CAB review.
	model := riskmodel.Seed(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	model.Version = "1.2"
	model.Mode = riskmodel.Cautious
	model.Thresholds[blastradius.BusinessCritical] = decimal.NewFromInt(5)
	model.Thresholds[blastradius.ProductivityTools] = decimal.NewFromInt(20)
	model.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(30)

	for _, c := range []struct {
		score string
		class blastradius.Class
	}{
		{"12.5", blastradius.ProductivityTools},
		{"12.5", blastradius.BusinessCritical},
		{"2", blastradius.CriticalInfrastructure},
		{"86", blastradius.NonCritical},
	} {
		d, err := cab.Decide(decimal.RequireFromString(c.score), c.class, &model)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-23s %5s → %-18s %s (quorum %d)\n", d.Class, d.Score, d.Outcome, d.Reason.Code, d.Quorum)
	}
	// Output:
	// PRODUCTIVITY_TOOLS       12.5 → auto_approved      SCORE_WITHIN_THRESHOLD (quorum 1)
	// BUSINESS_CRITICAL        12.5 → manual_review      SCORE_ABOVE_THRESHOLD (quorum 2)
	// CRITICAL_INFRASTRUCTURE     2 → manual_review      CLASS_NEVER_AUTO_APPROVES (quorum 3)
	// NON_CRITICAL               86 → exception_required SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD (quorum 1)
}
