package storetest

import (
	"github.com/buildworksai/trustgate"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readyEvaluation returns a ready progression from level 0, judged at the
// store's clock.
func readyEvaluation(now time.Time) maturity.Evaluation {
	return maturity.Evaluation{
		ID: uuid.New(), Kind: maturity.Progression, Level: maturity.Baseline, Target: maturity.CautiousLevel,
		PeriodFrom: now.Add(-4 * maturity.Week), PeriodTo: now,
		Deployments: 400, Incidents: 3, P1: 0, P2: 1, IncidentRate: decimal.RequireFromString("0.0075"),
		Criteria: []maturity.Criterion{
			{Name: maturity.CriterionWeeksAtLevel, AtLeast: true, Required: decimal.NewFromInt(4), Actual: decimal.NewFromInt(5), Passed: true},
			{Name: maturity.CriterionIncidentRate, Required: decimal.RequireFromString("0.02"), Actual: decimal.RequireFromString("0.0075"), Passed: true},
			{Name: maturity.CriterionP2, Unlimited: true, Actual: decimal.NewFromInt(1), Passed: true},
		},
		Ready: true, Reason: "every criterion passed", CreatedAt: now,
	}
}

func (e *env) progression() (maturity.Evaluation, maturity.Transition) {
	e.t.Helper()
	e.seed()
	ev := readyEvaluation(e.clock.Now())
	require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
	state, err := e.s.MaturityState(e.ctx())
	require.NoError(e.t, err)
	active, err := e.s.ActiveRiskModel(e.ctx())
	require.NoError(e.t, err)
	tr, err := maturity.Progress(maturity.Levels(), ev, state, active, "cab-alice", e.clock.Now())
	require.NoError(e.t, err)
	return ev, tr
}

func runEvaluations(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"CreateEvaluationStoresEveryCriterion": func(e *env) {
			ev := readyEvaluation(e.clock.Now())
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			got, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, ev.Kind, got.Kind)
			assert.Equal(e.t, ev.Level, got.Level)
			assert.Equal(e.t, ev.Target, got.Target)
			assert.True(e.t, ev.PeriodFrom.Equal(got.PeriodFrom) && ev.PeriodTo.Equal(got.PeriodTo))
			assert.Equal(e.t, ev.Deployments, got.Deployments)
			assert.Equal(e.t, ev.P2, got.P2)
			assert.Equal(e.t, "0.0075", got.IncidentRate.String())
			require.Len(e.t, got.Criteria, 3)
			for i := range ev.Criteria {
				assert.Equal(e.t, ev.Criteria[i].Name, got.Criteria[i].Name)
				assert.Equal(e.t, ev.Criteria[i].AtLeast, got.Criteria[i].AtLeast)
				assert.True(e.t, ev.Criteria[i].Required.Equal(got.Criteria[i].Required))
				assert.True(e.t, ev.Criteria[i].Actual.Equal(got.Criteria[i].Actual))
				assert.Equal(e.t, ev.Criteria[i].Unlimited, got.Criteria[i].Unlimited)
				assert.Equal(e.t, ev.Criteria[i].Passed, got.Criteria[i].Passed)
			}
			assert.True(e.t, got.Ready)
			assert.False(e.t, got.Decided())
			assert.Equal(e.t, ev.Reason, got.Reason)
		},
		"CreateEvaluationRejectsAMissingOrTakenID": func(e *env) {
			ev := readyEvaluation(e.clock.Now())
			ev.ID = uuid.Nil
			requireCode(e.t, e.s.CreateEvaluation(e.ctx(), ev), trustgate.Invalid)
			ev.ID = uuid.New()
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			require.ErrorIs(e.t, e.s.CreateEvaluation(e.ctx(), ev), store.ErrConflict)
			_, err := e.s.Evaluation(e.ctx(), uuid.New())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ListEvaluationsReturnsTheNewestFirst": func(e *env) {
			var ids []uuid.UUID
			for range 3 {
				ev := readyEvaluation(e.clock.Now())
				require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
				ids = append(ids, ev.ID)
				e.clock.Advance(time.Hour)
			}
			got, err := e.s.ListEvaluations(e.ctx(), 2)
			require.NoError(e.t, err)
			require.Len(e.t, got, 2)
			assert.Equal(e.t, ids[2], got[0].ID)
			assert.Equal(e.t, ids[1], got[1].ID)
			_, err = e.s.ListEvaluations(e.ctx(), 0)
			requireCode(e.t, err, trustgate.Invalid)
		},
		"ApplyTransitionActivatesTheLevelAndItsModelTogether": func(e *env) {
			ev, tr := e.progression()
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr))
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.CautiousLevel, state.Level)
			assert.Equal(e.t, tr.Model.Version, state.ModelVersion)
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, tr.Model.Version, active.Version)
			assert.Equal(e.t, riskmodel.Cautious, active.Mode)
			assert.Equal(e.t, "20", active.Thresholds[blastradius.ProductivityTools].String())
			assert.True(e.t, active.Thresholds[blastradius.CriticalInfrastructure].IsZero())
			assert.Equal(e.t, "cab-alice", active.Approval.By)
			got, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.True(e.t, got.Decided())
			assert.Equal(e.t, "cab-alice", got.Decision.By)
			assert.Equal(e.t, tr.Model.Version, got.Decision.ModelVersion)
			last := e.lastEvent()
			assert.Equal(e.t, security.EventMaturityProgressed, last.Type)
			assert.Equal(e.t, "cab-alice", last.Actor)
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
		},
		"ApplyingADecidedEvaluationAgainIsErrConflictAndWritesNothing": func(e *env) {
			_, tr := e.progression()
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr))
			before := e.auditSize()
			tr2 := tr
			tr2.Model.Version = "other"
			tr2.From = maturity.CautiousLevel // even claiming the right level
			require.ErrorIs(e.t, e.s.ApplyTransition(e.ctx(), tr2), store.ErrConflict)
			assert.Equal(e.t, before, e.auditSize())
			_, err := e.s.RiskModel(e.ctx(), "other")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ApplyingAStaleTransitionIsErrConflict": func(e *env) {
			_, tr := e.progression()
			tr.From = maturity.ModerateLevel
			require.ErrorIs(e.t, e.s.ApplyTransition(e.ctx(), tr), store.ErrConflict)
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, state.Level)
		},
		"ApplyingAProgressionOfANotReadyEvaluationIsErrConflict": func(e *env) {
			e.seed()
			ev := readyEvaluation(e.clock.Now())
			ev.Ready = false
			ev.Criteria[1].Passed = false
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			state, _ := e.s.MaturityState(e.ctx())
			active, _ := e.s.ActiveRiskModel(e.ctx())
			forced := readyEvaluation(e.clock.Now())
			forced.ID = ev.ID // a forged "ready" copy of the stored, not-ready record
			tr, err := maturity.Progress(maturity.Levels(), forced, state, active, "cab-mallory", e.clock.Now())
			require.NoError(e.t, err)
			require.ErrorIs(e.t, e.s.ApplyTransition(e.ctx(), tr), store.ErrConflict, "the store judges the stored record, not the caller's copy")
		},
		"ConcurrentApprovalsOfOneEvaluationApplyItOnce": func(e *env) {
			_, tr := e.progression()
			var wg sync.WaitGroup
			results := make(chan error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mine := tr
					mine.Model.Version = tr.Model.Version + "-" + string(rune('a'+i))
					mine.State.ModelVersion = mine.Model.Version
					results <- e.s.ApplyTransition(e.ctx(), mine)
				}()
			}
			wg.Wait()
			close(results)
			ok := 0
			for err := range results {
				if err == nil {
					ok++
				} else {
					require.ErrorIs(e.t, err, store.ErrConflict)
				}
			}
			assert.Equal(e.t, 1, ok)
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			assert.Len(e.t, list, 2, "the seed model and exactly one new one")
		},
		"ARegressionIsAppliedAndAudited": func(e *env) {
			_, up := e.progression()
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), up))
			e.clock.Advance(maturity.Week)
			ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Regression, Level: maturity.CautiousLevel, Target: maturity.Baseline,
				PeriodFrom: e.clock.Now().Add(-4 * maturity.Week), PeriodTo: e.clock.Now(), P1: 1, Incidents: 1, Deployments: 100,
				IncidentRate: decimal.RequireFromString("0.01"), Reason: "P1", CreatedAt: e.clock.Now()}
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			down, err := maturity.Regress(maturity.Levels(), ev, state, active, e.clock.Now())
			require.NoError(e.t, err)
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), down))
			state, err = e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Baseline, state.Level)
			assert.Equal(e.t, security.EventMaturityRegressed, e.lastEvent().Type)
			assert.Equal(e.t, maturity.EngineActor, e.lastEvent().Actor)
		},
	})
}
