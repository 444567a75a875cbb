package riskmodel

import (
	"maps"
	"slices"

	"github.com/buildworksai/trustgate/internal/num"
	"github.com/shopspring/decimal"
)

// Contribution is one factor's share of a score.
type Contribution struct {
	Factor Factor
	Value  decimal.Decimal // the factor value supplied, in [0, 100]
	Weight decimal.Decimal // the model's weight for the factor
	Points decimal.Decimal // Weight × Value, exact (not rounded)
}

// Score is a risk score with its provenance: the model version that produced
// it and every factor's contribution, so a CAB can see why a number is what
// it is.
type Score struct {
	Value         decimal.Decimal // in [0, 100], rounded half-up to 2 places
	ModelVersion  string
	Contributions []Contribution // one per factor, ordered by factor name
}

// Score computes Σ weightᵢ × factorᵢ over the version's factors and rounds
// the result half-up to 2 decimal places.
//
// factors must hold exactly the factors the version weighs, each in
// [0, 100]. A missing factor is [ErrMissingFactor], an extra one
// [ErrUnknownFactor], a value out of range [ErrOutOfRange]: never a silent 0.
// Each is a *trustgate.Error with code [trustgate.Invalid] naming the
// factor ("factors[supply_chain]").
// Score does not validate the version itself; call [Version.Validate] when
// the version comes from outside.
func (v *Version) Score(factors map[Factor]decimal.Decimal) (Score, error) {
	for _, f := range slices.Sorted(maps.Keys(factors)) {
		if _, ok := v.Weights[f]; !ok {
			return Score{}, fieldErr(ErrUnknownFactor, "factors["+string(f)+"]",
				"model %s does not weigh factor %q", v.Version, f)
		}
	}
	names := slices.Sorted(maps.Keys(v.Weights))
	contribs := make([]Contribution, 0, len(names))
	total := decimal.Zero
	for _, f := range names {
		val, ok := factors[f]
		field := "factors[" + string(f) + "]"
		if !ok {
			return Score{}, fieldErr(ErrMissingFactor, field, "model %s needs a value for %q", v.Version, f)
		}
		if !num.InRange(val, decimal.Zero, hundred) {
			return Score{}, fieldErr(ErrOutOfRange, field, "%s is outside [0, 100]", val)
		}
		w := v.Weights[f]
		pts := w.Mul(val)
		total = total.Add(pts)
		contribs = append(contribs, Contribution{Factor: f, Value: val, Weight: w, Points: pts})
	}
	// Round is half away from zero, which for a non-negative score is
	// half-up.
	return Score{Value: total.Round(2), ModelVersion: v.Version, Contributions: contribs}, nil
}
