package sqltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attackBucket hides a P1 incident from the calibration buckets: the
// report reads the edited bucket, but the maturity progression, judged on
// the records, is not made ready, so the CAB cannot approve it.
func attackBucket(t *testing.T, a *attack) {
	ctx := context.Background()
	now := a.now
	s, err := store.New(a.s.Driver(), store.Options{Now: func() time.Time { return now }, Service: a.svc})
	require.NoError(t, err)
	// An installation at level 0 (entered five weeks ago, as the engine
	// is told: stateSince): 150 deployments over the last four weeks and
	// one P1, which keeps it from Cautious (at most 0 P1).
	since := now.Add(-5 * maturity.Week)
	for i := range 150 {
		_, err := s.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: fmt.Sprintf("app-%d", i%5),
			Class: blastradius.ProductivityTools, RiskScore: decimal.NewFromInt(int64(i % 40)), ModelVersion: "1.1",
			FinishedAt: now.Add(-time.Duration(i+1) * 4 * maturity.Week / 151)})
		require.NoError(t, err)
	}
	_, err = s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-p1", Severity: incident.P1,
		OccurredAt: now.Add(-maturity.Week), Application: "app-1"})
	require.NoError(t, err)
	e, err := maturity.NewEngine(stateSince{s, since}, maturity.Options{Service: a.svc, Now: func() time.Time { return now }})
	require.NoError(t, err)
	from, to := maturity.Policy{}.Period(now)

	a.sql(t, `UPDATE calibration_days SET incidents_p1 = incidents_p1 - 1, incidents = incidents - 1 WHERE incidents_p1 > 0`)

	c, err := s.IncidentCounts(ctx, from, to)
	require.NoError(t, err)
	require.Zero(t, c.BySeverity[incident.P1], "the edit took: the report reads the bucket")
	exact, err := s.RecountIncidents(ctx, from, to)
	require.NoError(t, err)
	require.Equal(t, int64(1), exact.BySeverity[incident.P1])

	ev, err := e.Evaluate(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Progression, ev.Kind)
	assert.False(t, ev.Ready, "judged on the records, the P1 is there: %s", ev.Reason)
	assert.Equal(t, int64(1), ev.P1)
	_, err = e.Approve(ctx, ev.ID, "alice")
	require.ErrorIs(t, err, maturity.ErrNotReady, "no approval of it is possible")
}

// stateSince is a store whose maturity state was entered at since.
type stateSince struct {
	*store.Store
	since time.Time
}

// MaturityState returns the stored state, entered at since.
func (s stateSince) MaturityState(ctx context.Context) (maturity.State, error) {
	st, err := s.Store.MaturityState(ctx)
	st.Since = s.since
	return st, err
}
