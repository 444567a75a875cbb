package maturity_test

import (
	"context"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hiddenIncidents is a store whose calibration aggregates (IncidentCounts)
// have had every incident removed, as an edit of its buckets would; its
// records are intact.
type hiddenIncidents struct{ *store.Store }

func (s hiddenIncidents) IncidentCounts(ctx context.Context, from, to time.Time) (incident.Counts, error) {
	c, err := s.Store.IncidentCounts(ctx, from, to)
	c.Incidents, c.BySeverity, c.IncidentsByClass, c.IncidentsByBand, c.AutoApprovedWithIncidents = 0, nil, nil, [incident.Bands]int64{}, 0
	return c, err
}

// A P1 at level 1 steps the fleet down even when the aggregates beside the
// records hide it: the engine judges on the records, in both directions.
func TestHiddenIncidentsCannotSuppressARegression(t *testing.T) {
	f := newEngineFixture(t)
	ctx := t.Context()
	ev := f.ready()
	for _, m := range members[:2] {
		_, err := f.e.Approve(ctx, ev.ID, m)
		require.NoError(t, err)
	}
	require.Equal(t, maturity.Level(1), f.level())
	f.week(incident.P1)

	lying := hiddenIncidents{f.s}
	from, to := maturity.Policy{}.Period(f.now)
	c, err := lying.IncidentCounts(ctx, from, to)
	require.NoError(t, err)
	require.Zero(t, c.Incidents, "the aggregates hide the P1")

	e, err := maturity.NewEngine(lying, maturity.Options{Service: f.svc, Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	down, err := e.Evaluate(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Regression, down.Kind, "%s", down.Reason)
	assert.Equal(t, int64(1), down.P1)
	assert.Equal(t, maturity.Baseline, f.level(), "applied at once")
}
