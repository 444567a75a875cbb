package maturity_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
)

// TestReadInputsPreviewsWhatTheEngineDecides: judging ReadInputs' inputs
// gives the evaluation the engine then stores, through a progression, a
// level change and a regression, and reading them writes nothing.
func TestReadInputsPreviewsWhatTheEngineDecides(t *testing.T) {
	f := newEngineFixture(t)
	preview := func() maturity.Evaluation {
		t.Helper()
		in, err := maturity.ReadInputs(t.Context(), f.s, maturity.Policy{}, f.now)
		require.NoError(t, err)
		return maturity.Evaluate(maturity.Levels(), maturity.Policy{}, in)
	}
	check := func(step string) maturity.Evaluation {
		t.Helper()
		want := preview()
		before, err := f.s.ListEvaluations(t.Context(), 1000)
		require.NoError(t, err)
		again := preview()
		after, err := f.s.ListEvaluations(t.Context(), 1000)
		require.NoError(t, err)
		require.Len(t, after, len(before), "%s: a preview stored an evaluation", step)
		assert.Equal(t, want.Criteria, again.Criteria, "%s: two previews differ", step)
		got, err := f.e.Evaluate(t.Context())
		require.NoError(t, err)
		assert.Equal(t, want.Kind, got.Kind, step)
		assert.Equal(t, want.Level, got.Level, step)
		assert.Equal(t, want.Target, got.Target, step)
		assert.Equal(t, want.Ready, got.Ready, step)
		assert.Equal(t, want.Reason, got.Reason, step)
		assert.Equal(t, want.Deployments, got.Deployments, step)
		assert.Equal(t, want.Incidents, got.Incidents, step)
		assert.True(t, want.IncidentRate.Equal(got.IncidentRate), step)
		assert.Equal(t, len(want.Criteria), len(got.Criteria), step)
		for i := range want.Criteria {
			assert.Equal(t, want.Criteria[i].String(), got.Criteria[i].String(), "%s: criterion %d", step, i)
		}
		return got
	}
	check("a new installation")
	for range 4 {
		f.week(incident.P4)
	}
	ev := check("four clean weeks")
	require.True(t, ev.Ready, ev.Reason)
	for _, m := range members[:2] {
		_, err := f.e.Approve(t.Context(), ev.ID, m)
		require.NoError(t, err)
	}
	require.Equal(t, maturity.CautiousLevel, f.level())
	f.week(incident.P1, incident.P2)
	ev = check("a P1 after the progression")
	assert.Equal(t, maturity.Regression, ev.Kind)
}
