package cab_test

import (
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shadow evaluation rescores the recorded factor values under the
// candidate's weights, so a change of weights alone can be judged before
// the CAB approves it.
func TestShadowRescoresTheRecordedFactorsUnderTheCandidatesWeights(t *testing.T) {
	f := newFixture(t, suppliedScores)
	// Privilege elevation high, everything else low: 26 under the default
	// weights (0.20 × 90 + 0.80 × 10).
	sub := f.submission("chg-60", "10", blastradius.NonCritical)
	sub.Factors[riskmodel.PrivilegeElevation] = d("90")
	scored, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	require.Equal(t, "26", scored.Decision.Score.String())
	require.Equal(t, cab.ManualReview, scored.Decision.Outcome, "the seed model auto-approves nothing")
	stored := f.request(scored.ID)
	require.True(t, stored.Factors[riskmodel.PrivilegeElevation].Equal(d("90")), "the factors were recorded")

	// A supplied score is replayed as it was: there is nothing to rescore.
	supplied := f.submission("chg-61", "0", blastradius.NonCritical)
	score := d("26")
	supplied.Factors, supplied.Score = nil, &score
	bare, err := f.w.Submit(f.ctx, supplied)
	require.NoError(t, err)
	require.True(t, bare.ScoreSupplied)

	// Two candidates with the same thresholds (NON_CRITICAL up to 20) and
	// different weights.
	same := candidate("2.0-same-weights", "0", "0", "20")
	shifted := candidate("2.0-shifted-weights", "0", "0", "20")
	shifted.Weights[riskmodel.PrivilegeElevation] = d("0.05")
	shifted.Weights[riskmodel.VendorHistory] = d("0.20") // still summing to 1
	require.NoError(t, shifted.Validate())
	require.Equal(t, same.Thresholds, shifted.Thresholds)

	from, to := epoch.Add(-time.Hour), epoch.Add(time.Hour)
	rep, err := f.w.Shadow(f.ctx, &same, from, to)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Requests)
	assert.Equal(t, 1, rep.Rescored, "the scored request, not the supplied one")
	assert.Zero(t, rep.Changed, "26 is above 20 under the default weights")

	rep, err = f.w.Shadow(f.ctx, &shifted, from, to)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Requests)
	assert.Equal(t, 1, rep.Rescored)
	require.Equal(t, 1, rep.Changed, "the weights alone flip the scored request")
	ch := rep.Changes[0]
	assert.Equal(t, scored.ID, ch.RequestID)
	assert.Equal(t, cab.ManualReview, ch.Was)
	assert.Equal(t, cab.AutoApproved, ch.Would)
	assert.Equal(t, "14", ch.WouldScore.String(), "0.05 × 90 + 0.95 × 10")
	assert.Equal(t, 1, rep.NewlyAutoApproved)
	assert.Zero(t, rep.NewlyAutoApprovedWithIncidents)

	// A candidate that weighs other factors replays the stored score.
	other := candidate("2.0-other-factors", "0", "0", "30")
	delete(other.Weights, riskmodel.VendorHistory)
	other.Weights["code_churn"] = decimal.New(5, -2)
	require.NoError(t, other.Validate())
	rep, err = f.w.Shadow(f.ctx, &other, from, to)
	require.NoError(t, err)
	assert.Zero(t, rep.Rescored)
	assert.Equal(t, 2, rep.Changed, "26 ≤ 30 for both, with the stored score")
	for _, ch := range rep.Changes {
		assert.Equal(t, "26", ch.WouldScore.String())
	}

	_, err = f.w.Shadow(f.ctx, nil, from, to)
	requireInvalid(t, err, "candidate")
	_, err = f.w.Shadow(f.ctx, &same, to, from)
	requireInvalid(t, err, "to")
}
