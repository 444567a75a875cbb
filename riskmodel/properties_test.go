package riskmodel_test

import (
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/shopspring/decimal"
)

var factorNames = []riskmodel.Factor{
	riskmodel.PrivilegeElevation, riskmodel.BlastRadius, riskmodel.ChangeComplexity,
	riskmodel.TestEvidence, riskmodel.SupplyChain, riskmodel.RollbackCapability, riskmodel.VendorHistory,
}

// genWeights generates weight vectors over the seven default factors that
// sum to exactly 1: cut points in [0, 10000] (units of 0.0001), sorted.
func genWeights() gopter.Gen {
	return gen.SliceOfN(len(factorNames)-1, gen.Int64Range(0, 10000)).Map(func(cuts []int64) map[riskmodel.Factor]decimal.Decimal {
		sorted := append([]int64(nil), cuts...)
		for i := 1; i < len(sorted); i++ { // insertion sort: tiny slice
			for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
				sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
			}
		}
		w := map[riskmodel.Factor]decimal.Decimal{}
		prev := int64(0)
		for i, f := range factorNames {
			next := int64(10000)
			if i < len(sorted) {
				next = sorted[i]
			}
			w[f] = decimal.New(next-prev, -4)
			prev = next
		}
		return w
	})
}

func genFactorValue() gopter.Gen {
	return gen.Frequency(map[int]gopter.Gen{
		8: gen.Int64Range(0, 100000).Map(func(c int64) decimal.Decimal { return decimal.New(c, -3) }),
		1: gen.OneConstOf(decimal.Zero, decimal.NewFromInt(100)),
	})
}

func genFactors() gopter.Gen {
	return gen.SliceOfN(len(factorNames), genFactorValue()).Map(func(vs []decimal.Decimal) map[riskmodel.Factor]decimal.Decimal {
		m := map[riskmodel.Factor]decimal.Decimal{}
		for i, f := range factorNames {
			m[f] = vs[i]
		}
		return m
	})
}

func TestVersionProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1000
	properties := gopter.NewProperties(params)

	properties.Property("weights that sum to exactly 1 are accepted", prop.ForAll(
		func(w map[riskmodel.Factor]decimal.Decimal) bool {
			v := riskmodel.Seed(epoch)
			v.Weights = w
			return v.Validate() == nil
		},
		genWeights(),
	))

	properties.Property("weights that do not sum to exactly 1 are always rejected", prop.ForAll(
		func(w map[riskmodel.Factor]decimal.Decimal, i int, delta int64, exp int32) bool {
			// Nudge one weight by a non-zero amount, as small as 10^-12,
			// keeping it inside [0, 1] so only the sum is wrong.
			f := factorNames[i]
			nudge := decimal.New(delta, exp)
			nw := w[f].Add(nudge)
			if nw.IsNegative() || nw.GreaterThan(decimal.NewFromInt(1)) {
				nw = w[f].Sub(nudge)
			}
			w[f] = nw
			v := riskmodel.Seed(epoch)
			v.Weights = w
			return hasField(v.Validate(), "weights", trustgate.Invalid)
		},
		genWeights(), gen.IntRange(0, len(factorNames)-1), gen.Int64Range(1, 9), gen.Int32Range(-12, -1),
	))

	properties.Property("a critical infrastructure threshold other than 0 is always rejected", prop.ForAll(
		func(c int64, exp int32) bool {
			v := riskmodel.Seed(epoch)
			v.Thresholds[blastradius.CriticalInfrastructure] = decimal.New(c, exp)
			return hasField(v.Validate(), "thresholds[CRITICAL_INFRASTRUCTURE]", trustgate.Invalid)
		},
		gen.Int64Range(1, 10000), gen.Int32Range(-6, 0),
	))

	properties.Property("scores stay within [0, 100] for every factor vector in range", prop.ForAll(
		func(w, f map[riskmodel.Factor]decimal.Decimal) bool {
			v := riskmodel.Seed(epoch)
			v.Weights = w
			s, err := v.Score(f)
			return err == nil && !s.Value.IsNegative() && s.Value.LessThanOrEqual(decimal.NewFromInt(100))
		},
		genWeights(), genFactors(),
	))

	properties.Property("scoring is deterministic", prop.ForAll(
		func(w, f map[riskmodel.Factor]decimal.Decimal) bool {
			v := riskmodel.Seed(epoch)
			v.Weights = w
			a, errA := v.Score(f)
			b, errB := v.Score(f)
			return errA == nil && errB == nil && a.Value.Equal(b.Value) && len(a.Contributions) == len(b.Contributions)
		},
		genWeights(), genFactors(),
	))

	properties.Property("raising one factor never lowers the score", prop.ForAll(
		func(f map[riskmodel.Factor]decimal.Decimal, i int, up decimal.Decimal) bool {
			v := riskmodel.Seed(epoch)
			before, _ := v.Score(f)
			k := factorNames[i]
			f[k] = decimal.Max(f[k], up)
			after, err := v.Score(f)
			return err == nil && after.Value.GreaterThanOrEqual(before.Value)
		},
		genFactors(), gen.IntRange(0, len(factorNames)-1), genFactorValue(),
	))

	properties.TestingRun(t)
}
