package memstore

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testDeployment(app string, finished time.Time) incident.Deployment {
	return incident.Deployment{
		ID: uuid.New(), Application: app, Class: blastradius.ProductivityTools, AutoApproved: true,
		RiskScore: decimal.RequireFromString("12.5"), ModelVersion: "1.1", FinishedAt: finished,
	}
}

func testReport(corr string) incident.Incident {
	return incident.Incident{CorrelationID: corr, Severity: incident.P2, OccurredAt: epoch.Add(-time.Hour), Application: "Zoom"}
}

// seededProgression returns a seeded store holding a ready progression
// from level 0, and the transition that approves it.
func seededProgression(t *testing.T) (*Store, maturity.Transition) {
	t.Helper()
	s := newTestStore(t)
	ctx := t.Context()
	require.NoError(t, store.Seed(ctx, s, epoch))
	ev := maturity.Evaluation{
		ID: uuid.New(), Kind: maturity.Progression, Level: maturity.Baseline, Target: maturity.CautiousLevel,
		PeriodFrom: epoch.Add(-4 * maturity.Week), PeriodTo: epoch, Deployments: 400,
		Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Actual: decimal.Zero, Passed: true}},
		Ready:    true, CreatedAt: epoch,
	}
	require.NoError(t, s.CreateEvaluation(ctx, ev))
	state, err := s.MaturityState(ctx)
	require.NoError(t, err)
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	tr, err := maturity.Progress(maturity.Levels(), ev, state, active, "cab-alice", epoch)
	require.NoError(t, err)
	return s, tr
}

// assertUntouched checks that tr was not applied to s, whose log had size
// events.
func assertUntouched(t *testing.T, s *Store, tr maturity.Transition, size int64) {
	t.Helper()
	ctx := t.Context()
	state, err := s.MaturityState(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Baseline, state.Level)
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, riskmodel.SeedVersion, active.Version)
	_, err = s.RiskModel(ctx, tr.Model.Version)
	require.ErrorIs(t, err, store.ErrNotFound)
	ev, err := s.Evaluation(ctx, tr.Evaluation.ID)
	require.NoError(t, err)
	assert.False(t, ev.Decided())
	assert.Equal(t, size, head(t, s).Size)
}

func TestAFailedTransitionLeavesNoTraceEvenInACommittedTx(t *testing.T) {
	s, tr := seededProgression(t)
	before := head(t, s).Size
	// The model is created, then cannot be activated: the creation and its
	// event must go too.
	tr.Model.Approval = riskmodel.Approval{}
	require.NoError(t, s.WithTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		require.ErrorIs(t, tx.ApplyTransition(ctx, tr), riskmodel.ErrNotApproved)
		_, err := tx.RiskModel(ctx, tr.Model.Version)
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
	assertUntouched(t, s, tr, before)
	require.ErrorIs(t, s.ApplyTransition(t.Context(), tr), riskmodel.ErrNotApproved)
	assertUntouched(t, s, tr, before)
}

func TestARolledBackTransitionRestoresEverything(t *testing.T) {
	s, tr := seededProgression(t)
	before := head(t, s).Size
	err := s.WithTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.ApplyTransition(ctx, tr))
		state, err := tx.MaturityState(ctx)
		require.NoError(t, err)
		assert.Equal(t, maturity.CautiousLevel, state.Level, "a transaction reads its own writes")
		return errAbort
	})
	require.ErrorIs(t, err, errAbort)
	assertUntouched(t, s, tr, before)
	require.NoError(t, s.ApplyTransition(t.Context(), tr), "it still applies")
}

func TestATransitionIsAuditedInOrder(t *testing.T) {
	s, tr := seededProgression(t)
	before := head(t, s).Size
	require.NoError(t, s.ApplyTransition(t.Context(), tr))
	evs, err := s.ListAuditEvents(t.Context(), before, 10)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, security.EventRiskModelCreated, evs[0].Type)
	assert.Equal(t, security.EventRiskModelActivated, evs[1].Type)
	assert.Equal(t, security.EventMaturityProgressed, evs[2].Type)
	assert.Equal(t, "maturity:level-1", evs[2].Subject)
	assert.JSONEq(t, `{"evaluation_id":"`+tr.Evaluation.ID.String()+`","from":"0","to":"1","model_version":"`+tr.Model.Version+`"}`, string(evs[2].Data))
	state, err := s.MaturityState(t.Context())
	require.NoError(t, err)
	assert.Equal(t, tr.State, state)
	ev, err := s.Evaluation(t.Context(), tr.Evaluation.ID)
	require.NoError(t, err)
	assert.Equal(t, maturity.Decision{Approved: true, By: "cab-alice", At: epoch, ModelVersion: tr.Model.Version}, ev.Decision)
}

func TestMalformedTransitionsAreErrInvalid(t *testing.T) {
	s, tr := seededProgression(t)
	before := head(t, s).Size
	for name, mutate := range map[string]func(tr *maturity.Transition){
		"hold":         func(tr *maturity.Transition) { tr.Kind = maturity.Hold },
		"no actor":     func(tr *maturity.Transition) { tr.Actor = " " },
		"state level":  func(tr *maturity.Transition) { tr.State.Level = maturity.ModerateLevel },
		"state model":  func(tr *maturity.Transition) { tr.State.ModelVersion = riskmodel.SeedVersion },
		"active model": func(tr *maturity.Transition) { tr.Model.Active = true },
		"unknown kind": func(tr *maturity.Transition) { tr.Kind = "sideways" },
	} {
		bad := tr
		mutate(&bad)
		require.ErrorIs(t, s.ApplyTransition(t.Context(), bad), store.ErrInvalid, name)
	}
	unknown := tr
	unknown.Evaluation.ID = uuid.New()
	require.ErrorIs(t, s.ApplyTransition(t.Context(), unknown), store.ErrNotFound)
	assertUntouched(t, s, tr, before)
}

func TestOutcomeRecordsAreAuditedWithTheirFacts(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	d, err := s.RecordDeployment(ctx, testDeployment("Zoom", epoch.Add(-2*time.Hour)))
	require.NoError(t, err)
	in, err := s.CreateIncident(ctx, testReport("inc-1"))
	require.NoError(t, err)
	cause := "config"
	_, err = s.UpdateIncident(ctx, in.ID, incident.Update{RootCause: &cause})
	require.NoError(t, err)
	evs, err := s.ListAuditEvents(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, "deployment:"+d.ID.String(), evs[0].Subject)
	assert.JSONEq(t, `{"deployment_id":"`+d.ID.String()+`","application":"Zoom","class":"PRODUCTIVITY_TOOLS",
		"auto_approved":true,"risk_score":"12.5","model_version":"1.1"}`, string(evs[0].Data))
	assert.Equal(t, "incident:"+in.ID.String(), evs[1].Subject)
	assert.Equal(t, "inc-1", evs[1].CorrelationID)
	assert.JSONEq(t, `{"incident_id":"`+in.ID.String()+`","severity":"P2","deployment_id":"`+d.ID.String()+`","attribution":"inferred"}`, string(evs[1].Data))
	assert.Equal(t, security.EventIncidentUpdated, evs[2].Type)
	assert.JSONEq(t, `{"incident_id":"`+in.ID.String()+`","fields":["root_cause"]}`, string(evs[2].Data))
	for _, e := range evs {
		assert.Equal(t, recordsActor, e.Actor)
	}
}

func TestRepeatsAreComparedAsStored(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	zone := time.FixedZone("X", 3600)
	d := testDeployment("Zoom", epoch.Add(-time.Hour))
	first, err := s.RecordDeployment(ctx, d)
	require.NoError(t, err)
	d.FinishedAt = d.FinishedAt.In(zone).Add(999 * time.Nanosecond)
	d.RiskScore = decimal.RequireFromString("12.500")
	again, err := s.RecordDeployment(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, first, again)

	in := testReport("inc-1")
	in.ControlImprovements = json.RawMessage(`["a"]`)
	stored, err := s.CreateIncident(ctx, in)
	require.NoError(t, err)
	in.ID = uuid.New() // a retry with a fresh id is still the same report
	in.OccurredAt = in.OccurredAt.In(zone)
	in.ControlImprovements = json.RawMessage(`[ "a" ]`)
	got, err := s.CreateIncident(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, stored.ID, got.ID)
	assert.Equal(t, int64(2), head(t, s).Size)

	other := testReport("inc-2")
	other.ID = stored.ID
	_, err = s.CreateIncident(ctx, other)
	require.ErrorIs(t, err, store.ErrConflict, "an id taken by another incident")
}

func TestRollbackRestoresOutcomeRecords(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	in, err := s.CreateIncident(ctx, testReport("inc-1"))
	require.NoError(t, err)
	ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel}
	err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.RecordDeployment(ctx, testDeployment("Zoom", epoch.Add(-time.Hour)))
		require.NoError(t, err)
		_, err = tx.CreateIncident(ctx, testReport("inc-2"))
		require.NoError(t, err)
		cause := "x"
		_, err = tx.UpdateIncident(ctx, in.ID, incident.Update{RootCause: &cause})
		require.NoError(t, err)
		require.NoError(t, tx.CreateEvaluation(ctx, ev))
		return errAbort
	})
	require.ErrorIs(t, err, errAbort)
	_, err = s.EarliestDeploymentAt(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	page, err := s.ListIncidents(ctx, incident.Filter{})
	require.NoError(t, err)
	require.Len(t, page.Incidents, 1)
	assert.Equal(t, in, page.Incidents[0])
	_, err = s.Evaluation(ctx, ev.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.CreateEvaluation(ctx, ev), "the id is free again")
	_, err = s.CreateIncident(ctx, testReport("inc-2"))
	require.NoError(t, err, "so is the correlation id")
	assert.Equal(t, int64(2), head(t, s).Size)
}

func TestOutcomeValuesAreCopies(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	yes := true
	in := testReport("inc-1")
	in.WasPreventable = &yes
	in.ControlImprovements = json.RawMessage(`["a"]`)
	got, err := s.CreateIncident(ctx, in)
	require.NoError(t, err)
	*in.WasPreventable = false
	in.ControlImprovements[2] = 'X'
	*got.WasPreventable = false
	got.ControlImprovements[2] = 'Y'
	page, err := s.ListIncidents(ctx, incident.Filter{})
	require.NoError(t, err)
	*page.Incidents[0].WasPreventable = false
	page.Incidents[0].ControlImprovements[2] = 'Z'
	read, err := s.Incident(ctx, got.ID)
	require.NoError(t, err)
	assert.True(t, *read.WasPreventable)
	assert.Equal(t, `["a"]`, string(read.ControlImprovements))

	ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel,
		Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Passed: true}}}
	require.NoError(t, s.CreateEvaluation(ctx, ev))
	ev.Criteria[0].Passed = false
	list, err := s.ListEvaluations(ctx, 10)
	require.NoError(t, err)
	list[0].Criteria[0].Passed = false
	stored, err := s.Evaluation(ctx, ev.ID)
	require.NoError(t, err)
	assert.True(t, stored.Criteria[0].Passed)
	assert.Equal(t, epoch, stored.CreatedAt, "CreatedAt defaults to the clock")
}

func TestCreateEvaluationRejectsUnknownKindsAndLevels(t *testing.T) {
	s := newTestStore(t)
	for _, ev := range []maturity.Evaluation{
		{ID: uuid.New(), Kind: "sideways"},
		{ID: uuid.New(), Kind: maturity.Progression, Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel + 1},
	} {
		require.ErrorIs(t, s.CreateEvaluation(t.Context(), ev), store.ErrInvalid)
	}
	_, err := s.ListEvaluations(t.Context(), maxEvaluationPage+1)
	require.ErrorIs(t, err, store.ErrInvalid)
}
