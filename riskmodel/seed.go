package riskmodel

import (
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/shopspring/decimal"
)

// SeedVersion is the version string of the seed model.
const SeedVersion = "1.1"

// SeedApprover is recorded as the approver of the seed model.
const SeedApprover = "trustgate-seed"

// Seed returns risk model 1.1, the version a new installation starts with:
// GREENFIELD_CONSERVATIVE, every auto-approve threshold 0 (every deployment
// goes to the CAB until automation is earned), exception threshold 80, the
// default weights, effective at now and due for review 30 days later,
// CAB-approved and active.
func Seed(now time.Time) Version {
	now = now.UTC()
	return Version{
		Version:     SeedVersion,
		Mode:        GreenfieldConservative,
		EffectiveAt: now,
		ReviewAt:    now.AddDate(0, 0, 30),
		Thresholds: map[blastradius.Class]decimal.Decimal{
			blastradius.CriticalInfrastructure: decimal.Zero,
			blastradius.BusinessCritical:       decimal.Zero,
			blastradius.ProductivityTools:      decimal.Zero,
			blastradius.NonCritical:            decimal.Zero,
		},
		Weights:            DefaultWeights(),
		ExceptionThreshold: decimal.NewFromInt(80),
		Approval:           Approval{Approved: true, By: SeedApprover, At: now},
		Calibration:        []byte(`{"source":"seed","note":"greenfield baseline: no incident data yet"}`),
		CreatedAt:          now,
		Active:             true,
	}
}
