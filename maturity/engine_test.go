package maturity_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type engineFixture struct {
	t   *testing.T
	now time.Time
	s   *store.Store
	e   *maturity.Engine
}

func newEngineFixture(t *testing.T) *engineFixture {
	f := &engineFixture{t: t, now: epoch}
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	f.s = s
	require.NoError(t, store.Seed(t.Context(), f.s, f.now))
	e, err := maturity.NewEngine(f.s, maturity.Options{Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	f.e = e
	return f
}

// week deploys 100 packages through the week and reports the incidents.
func (f *engineFixture) week(severities ...incident.Severity) {
	f.t.Helper()
	start := f.now
	for i := range 100 {
		f.now = start.Add(time.Duration(i) * maturity.Week / 100)
		_, err := f.s.RecordDeployment(f.t.Context(), incident.Deployment{
			ID: uuid.New(), Application: fmt.Sprintf("app-%d", i%7), Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(int64(i % 40)), ModelVersion: "1.1", FinishedAt: f.now,
		})
		require.NoError(f.t, err)
	}
	for i, s := range severities {
		f.now = start.Add(time.Duration(i+1) * 24 * time.Hour)
		_, err := f.s.CreateIncident(f.t.Context(), incident.Incident{
			CorrelationID: uuid.NewString(), Severity: s, OccurredAt: f.now, Application: "app-1",
		})
		require.NoError(f.t, err)
	}
	f.now = start.Add(maturity.Week)
}

func (f *engineFixture) level() maturity.Level {
	f.t.Helper()
	st, err := f.s.MaturityState(f.t.Context())
	require.NoError(f.t, err)
	return st.Level
}

func TestTheEngineWalksAFleetUpAndDownAgainstAStore(t *testing.T) {
	f := newEngineFixture(t)
	ctx := t.Context()
	for range 4 {
		f.week(incident.P4)
	}
	ev, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	require.True(t, ev.Ready, "%s %+v", ev.Reason, ev.Criteria)
	assert.Equal(t, int64(400), ev.Deployments)
	assert.Equal(t, maturity.Baseline, f.level(), "a ready evaluation changes nothing until the CAB approves")

	_, err = f.e.Approve(ctx, ev.ID, " ")
	var te *maturity.TransitionError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, ev.ID.String(), te.EvaluationID)
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "approver", e.Field)
	tr, err := f.e.Approve(ctx, ev.ID, "cab-alice")
	require.NoError(t, err)
	assert.Equal(t, maturity.CautiousLevel, f.level())
	active, err := f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, tr.Model.Version, active.Version)
	assert.Equal(t, "20", active.Thresholds[blastradius.ProductivityTools].String())

	_, err = f.e.Approve(ctx, ev.ID, "cab-bob")
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, maturity.ErrDecided, "a decided record cannot be approved again")
	e = trustgate.AsError(err)
	assert.Equal(t, trustgate.Conflict, e.Code)
	assert.Equal(t, "EVALUATION_DECIDED", e.Reason)
	assert.Equal(t, ev.ID.String(), te.EvaluationID, "the TransitionError is still reachable")

	f.week()
	notReady, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	require.False(t, notReady.Ready, "one week at level 1 is not four")
	before, err := f.s.AuditHead(ctx)
	require.NoError(t, err)
	_, err = f.e.Approve(ctx, notReady.ID, "cab-alice")
	require.ErrorIs(t, err, maturity.ErrNotReady)
	after, err := f.s.AuditHead(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused approval writes nothing")

	f.week(incident.P1)
	down, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Regression, down.Kind)
	assert.True(t, down.Decided(), "a regression is applied at once")
	assert.Equal(t, maturity.Baseline, f.level())
	active, err = f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.True(t, active.Thresholds[blastradius.ProductivityTools].IsZero())

	stored, err := f.s.ListEvaluations(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, stored, 3, "every evaluation is a stored progress record")
	_, err = security.VerifyChain(ctx, f.s, security.VerifyOptions{})
	require.NoError(t, err)

	_, err = f.e.Approve(ctx, uuid.New(), "cab-alice")
	require.True(t, errors.Is(err, store.ErrNotFound))
}

// The engine knows nothing of how finely a store keeps time: what Evaluate
// returns is what the store kept, also for a clock reading with
// nanoseconds.
func TestEvaluateReturnsTheEvaluationAsStored(t *testing.T) {
	f := newEngineFixture(t)
	f.now = f.now.Add(4*maturity.Week + 789*time.Nanosecond)
	ev, err := f.e.Evaluate(t.Context())
	require.NoError(t, err)
	stored, err := f.s.Evaluation(t.Context(), ev.ID)
	require.NoError(t, err)
	assert.Equal(t, stored, ev)
	assert.Equal(t, f.now.Truncate(f.s.TimePrecision()), ev.CreatedAt)
}
