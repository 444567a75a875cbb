package riskmodel_test

import (
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func allFactors(v string) map[riskmodel.Factor]decimal.Decimal {
	m := map[riskmodel.Factor]decimal.Decimal{}
	for f := range riskmodel.DefaultWeights() {
		m[f] = d(v)
	}
	return m
}

func TestScoreIsTheWeightedSumWithContributions(t *testing.T) {
	v := riskmodel.Seed(epoch)
	factors := map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: d("80"),  // 0.20 → 16
		riskmodel.BlastRadius:        d("50"),  // 0.20 → 10
		riskmodel.ChangeComplexity:   d("40"),  // 0.15 → 6
		riskmodel.TestEvidence:       d("20"),  // 0.15 → 3
		riskmodel.SupplyChain:        d("10"),  // 0.15 → 1.5
		riskmodel.RollbackCapability: d("30"),  // 0.10 → 3
		riskmodel.VendorHistory:      d("100"), // 0.05 → 5
	}
	s, err := v.Score(factors)
	require.NoError(t, err)
	assert.Equal(t, "44.5", s.Value.String())
	assert.Equal(t, "1.1", s.ModelVersion)
	require.Len(t, s.Contributions, 7)
	sum := decimal.Zero
	for i, c := range s.Contributions {
		if i > 0 {
			assert.Less(t, string(s.Contributions[i-1].Factor), string(c.Factor), "ordered by factor name")
		}
		assert.True(t, c.Points.Equal(c.Weight.Mul(c.Value)))
		sum = sum.Add(c.Points)
	}
	assert.True(t, sum.Equal(s.Value))
}

func TestScoreRoundsHalfUpToTwoPlaces(t *testing.T) {
	v := riskmodel.Seed(epoch)
	v.Weights = map[riskmodel.Factor]decimal.Decimal{"a": d("0.5"), "b": d("0.5")}
	// (a+b)/2, rounded half-up at 2 places.
	tests := []struct{ a, b, want string }{
		{"10.005", "10.005", "10.01"}, // exactly half: rounds up
		{"10.004", "10.004", "10"},
		{"33.333", "33.334", "33.33"}, // 33.3335
		{"0.001", "0.008", "0"},       // 0.0045
		{"99.999", "100", "100"},      // 99.9995
	}
	for _, tt := range tests {
		s, err := v.Score(map[riskmodel.Factor]decimal.Decimal{"a": d(tt.a), "b": d(tt.b)})
		require.NoError(t, err)
		assert.True(t, s.Value.Equal(d(tt.want)), "%s,%s → %s want %s", tt.a, tt.b, s.Value, tt.want)
		assert.Equal(t, int32(-2), s.Value.Exponent(), "score carries exactly 2 places")
	}
	s, err := v.Score(map[riskmodel.Factor]decimal.Decimal{"a": d("10.005"), "b": d("10.005")})
	require.NoError(t, err)
	assert.Equal(t, "10.01", s.Value.String(), "half-up, not banker's rounding")
	s, err = v.Score(map[riskmodel.Factor]decimal.Decimal{"a": d("0.0049"), "b": d("0.0049")})
	require.NoError(t, err)
	assert.Equal(t, "0", s.Value.String())
}

func TestScoreRejectsMissingUnknownAndOutOfRangeFactors(t *testing.T) {
	v := riskmodel.Seed(epoch)

	missing := allFactors("10")
	delete(missing, riskmodel.SupplyChain)
	_, err := v.Score(missing)
	var fe *trustgate.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, trustgate.Invalid, fe.Code)
	assert.ErrorIs(t, err, riskmodel.ErrMissingFactor)
	assert.Equal(t, "factors[supply_chain]", fe.Field)

	unknown := allFactors("10")
	unknown["vibes"] = d("0")
	_, err = v.Score(unknown)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, trustgate.Invalid, fe.Code)
	assert.ErrorIs(t, err, riskmodel.ErrUnknownFactor)
	assert.Equal(t, "factors[vibes]", fe.Field)

	for _, bad := range []string{"-0.01", "100.01", "1000"} {
		f := allFactors("10")
		f[riskmodel.TestEvidence] = d(bad)
		_, err = v.Score(f)
		require.ErrorAs(t, err, &fe, bad)
		assert.Equal(t, trustgate.Invalid, fe.Code)
		assert.ErrorIs(t, err, riskmodel.ErrOutOfRange)
		assert.Equal(t, "factors[test_evidence]", fe.Field)
	}

	_, err = v.Score(nil)
	assert.ErrorIs(t, err, riskmodel.ErrMissingFactor, "no factors is not a score of 0")
}
