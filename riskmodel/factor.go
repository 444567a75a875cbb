package riskmodel

import (
	"github.com/shopspring/decimal"
)

// Factor names one input of the risk score. A model version weighs a set of
// factors; scoring needs a value in [0, 100] for each and accepts no other.
type Factor string

// The default factors. They are this project's defaults, not from the
// design reports, and are expected to be recalibrated from incident data.
const (
	PrivilegeElevation Factor = "privilege_elevation"
	BlastRadius        Factor = "blast_radius"
	ChangeComplexity   Factor = "change_complexity"
	TestEvidence       Factor = "test_evidence"
	SupplyChain        Factor = "supply_chain"
	RollbackCapability Factor = "rollback_capability"
	VendorHistory      Factor = "vendor_history"
)

// DefaultWeights returns the default factor weights, which sum to exactly 1:
// privilege_elevation 0.20, blast_radius 0.20, change_complexity 0.15,
// test_evidence 0.15, supply_chain 0.15, rollback_capability 0.10,
// vendor_history 0.05. The map is new on every call.
func DefaultWeights() map[Factor]decimal.Decimal {
	return map[Factor]decimal.Decimal{
		PrivilegeElevation: decimal.New(20, -2),
		BlastRadius:        decimal.New(20, -2),
		ChangeComplexity:   decimal.New(15, -2),
		TestEvidence:       decimal.New(15, -2),
		SupplyChain:        decimal.New(15, -2),
		RollbackCapability: decimal.New(10, -2),
		VendorHistory:      decimal.New(5, -2),
	}
}

// validFactorName reports whether name is a lower-case identifier: letters,
// digits and underscores, starting with a letter, at most 64 bytes. Factor
// names end up in stored JSON and in CAB reports, so they stay plain.
func validFactorName(name Factor) bool {
	if len(name) == 0 || len(name) > 64 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
