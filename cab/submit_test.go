package cab_test

import (
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A submission gives facts; trustgate classifies them and scores the
// factor values. A submitter cannot choose a milder class or a score.

// windowsUpdate is the example: an admin package for 50,000 users
// rated HIGH, which the default rules classify as CRITICAL_INFRASTRUCTURE.
var windowsUpdate = blastradius.Input{AppName: "Windows Security Update", Privilege: blastradius.PrivilegeAdmin,
	TargetUsers: 50000, Criticality: blastradius.CriticalityHigh}

func TestADeclaredClassBelowTheClassifiedOneIsRefused(t *testing.T) {
	f := newFixture(t)
	sub := f.submission("chg-50", "5", blastradius.CriticalInfrastructure)
	in := windowsUpdate
	sub.Classify, sub.Class = &in, blastradius.NonCritical
	before := f.head()
	_, err := f.w.Submit(f.ctx, sub)
	require.ErrorIs(t, err, cab.ErrClassBelowClassified)
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "CLASS_BELOW_CLASSIFIED", e.Reason)
	assert.Equal(t, "class", e.Field)
	assert.Contains(t, err.Error(), "NON_CRITICAL", "the message names the declared class")
	assert.Contains(t, err.Error(), "CRITICAL_INFRASTRUCTURE", "and the classified one")
	assert.Equal(t, before, f.head(), "nothing written")
	_, err = f.s.RequestByCorrelationID(f.ctx, "chg-50")
	require.Error(t, err)

	// Each milder class is refused; the classified class itself is not.
	for _, c := range []blastradius.Class{blastradius.BusinessCritical, blastradius.ProductivityTools} {
		sub.Class = c
		_, err := f.w.Submit(f.ctx, sub)
		require.ErrorIs(t, err, cab.ErrClassBelowClassified, "%s", c)
	}
	sub.Class = blastradius.CriticalInfrastructure
	r, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, blastradius.CriticalInfrastructure, r.Decision.Class)
	assert.Equal(t, 3, r.Decision.Quorum)
}

func TestWithHigherClassWinsTheClassifiedClassIsUsed(t *testing.T) {
	f := newFixture(t, func(s *setup) { s.opts.HigherClassWins = true })
	sub := f.submission("chg-51", "5", blastradius.CriticalInfrastructure)
	in := windowsUpdate
	sub.Classify, sub.Class = &in, blastradius.NonCritical
	r, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, blastradius.CriticalInfrastructure, r.Decision.Class)
	assert.Equal(t, blastradius.NonCritical, r.DeclaredClass, "what was declared is recorded")
	assert.Equal(t, "critical-keyword-elevated", r.ClassRule)
	assert.Equal(t, 3, r.Decision.Quorum)
	stored := f.request(r.ID)
	assert.Equal(t, blastradius.NonCritical, stored.DeclaredClass)
	require.NoError(t, stored.Verify(f.keys), "the declared class is part of the signed decision")
}

func TestAMoreSevereDeclaredClassIsUsed(t *testing.T) {
	f := newFixture(t)
	sub := f.submission("chg-52", "5", blastradius.NonCritical)
	sub.Class = blastradius.BusinessCritical
	r, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, blastradius.BusinessCritical, r.Decision.Class)
	assert.Equal(t, "declared", r.ClassRule)
	assert.Equal(t, 2, r.Decision.Quorum)
}

// submittedEvent returns the data of the cab.submitted event of request r.
func (f *fixture) submittedEvent(r cab.Request) map[string]string {
	f.t.Helper()
	for _, e := range f.events(cab.EventSubmitted) {
		if e.Subject == "cab-request:"+r.ID.String() {
			var data map[string]string
			require.NoError(f.t, json.Unmarshal(e.Data, &data))
			return data
		}
	}
	f.t.Fatalf("no cab.submitted event for %s", r.ID)
	return nil
}

func TestABareScoreIsRefusedUnlessTheCallerOptsIn(t *testing.T) {
	f := newFixture(t)
	sub := f.submission("chg-53", "5", blastradius.BusinessCritical)
	score := d("5")
	sub.Factors, sub.Score = nil, &score
	before := f.head()
	_, err := f.w.Submit(f.ctx, sub)
	require.ErrorIs(t, err, cab.ErrScoreSupplied)
	e := trustgate.AsError(err)
	assert.Equal(t, "score", e.Field)
	assert.Equal(t, "SCORE_SUPPLIED", e.Reason)
	assert.Equal(t, before, f.head(), "nothing written")

	g := newFixture(t, suppliedScores)
	sub = g.submission("chg-53", "5", blastradius.BusinessCritical)
	sub.Factors, sub.Score = nil, &score
	r, err := g.w.Submit(g.ctx, sub)
	require.NoError(t, err)
	assert.True(t, r.ScoreSupplied)
	assert.Nil(t, r.Factors)
	assert.Equal(t, "5", r.Decision.Score.String())
	stored := g.request(r.ID)
	assert.True(t, stored.ScoreSupplied, "read back")
	require.NoError(t, stored.Verify(g.keys), "the signed decision says the score was supplied")
	data := g.submittedEvent(r)
	assert.Equal(t, "true", data["score_supplied"], "and so does its audit event")

	// A scored submission says it was not.
	scored := g.submit("chg-54", "5", blastradius.BusinessCritical)
	assert.False(t, scored.ScoreSupplied)
	assert.Equal(t, "false", g.submittedEvent(scored)["score_supplied"])

	// Rewriting the flag at rest is detected: it is part of what was signed.
	g.tamper("cab_requests", r.ID, []string{"score_supplied"}, false)
	_, err = g.w.Authorize(g.ctx, r.ID, r.ArtifactDigest)
	requireTampered(t, err, &r, "decision")
}

func TestTheFactorsAreRecordedWithTheRequest(t *testing.T) {
	f := newFixture(t)
	factors := map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: d("90"), riskmodel.BlastRadius: d("40.5"), riskmodel.ChangeComplexity: d("10"),
		riskmodel.TestEvidence: d("20"), riskmodel.SupplyChain: d("0"), riskmodel.RollbackCapability: d("100"),
		riskmodel.VendorHistory: d("5.25"),
	}
	sub := f.submission("chg-55", "0", blastradius.BusinessCritical)
	sub.Factors = factors
	r, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	seed, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	want, err := seed.Score(factors)
	require.NoError(t, err)
	assert.True(t, want.Value.Equal(r.Decision.Score), "the active model scored the factors: %s", r.Decision.Score)
	assert.False(t, r.ScoreSupplied)

	stored := f.request(r.ID)
	require.Len(t, stored.Factors, len(factors))
	for k, v := range factors {
		assert.True(t, v.Equal(stored.Factors[k]), "%s: %s read back as %s", k, v, stored.Factors[k])
	}
	sub.Factors[riskmodel.VendorHistory] = d("5.250")
	again, err := f.w.Submit(f.ctx, sub)
	require.NoError(t, err, "the same values, written differently, are the same submission")
	assert.Equal(t, r.ID, again.ID)

	// The factors are part of the signed decision: lowering one at rest is
	// detected.
	f.tamper("cab_requests", r.ID, []string{"factors"}, `{"privilege_elevation":"0"}`)
	_, err = f.w.Authorize(f.ctx, r.ID, r.ArtifactDigest)
	requireTampered(t, err, &r, "decision")
	assert.NotErrorIs(t, err, cab.ErrNotAuthorized, "not a refusal: a detection")
}
