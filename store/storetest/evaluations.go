package storetest

import (
	"testing"
	"time"

	"github.com/buildworksai/trustgate/maturity"
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
	subtests(t, h, cases(evaluationCases(), transitionCases()))
}

// evaluationCases are the storing and reading of evaluations.
func evaluationCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"CreateEvaluationStoresEveryCriterion": func(e *env) {
			ev := readyEvaluation(e.clock.Now())
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			got, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, ev.Kind, got.Kind)
			assert.Equal(e.t, ev.Level, got.Level)
			assert.Equal(e.t, ev.Target, got.Target)
			assert.Equal(e.t, e.at(ev.PeriodFrom), got.PeriodFrom)
			assert.Equal(e.t, e.at(ev.PeriodTo), got.PeriodTo)
			assert.Equal(e.t, e.at(ev.CreatedAt), got.CreatedAt)
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
			requireInvalid(e.t, e.s.CreateEvaluation(e.ctx(), ev), "id")
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
			for _, limit := range []int{0, -1, store.MaxEvaluationPage + 1} {
				_, err = e.s.ListEvaluations(e.ctx(), limit)
				requireInvalid(e.t, err, "limit", "limit %d", limit)
			}
		},
		"CreateEvaluationStoresOnlyUndecidedConsistentEvaluations": func(e *env) {
			ok := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Regression, Level: maturity.CautiousLevel,
				Target: maturity.Baseline, IncidentRate: decimal.RequireFromString("0.012345678901234567890")}
			for name, c := range map[string]struct {
				field  string
				mutate func(ev *maturity.Evaluation)
			}{
				"decided":         {"decision", func(ev *maturity.Evaluation) { ev.Decision = maturity.Decision{Approved: true, By: "x", At: Epoch} }},
				"two levels down": {"target", func(ev *maturity.Evaluation) { ev.Level = maturity.ModerateLevel }},
				"unknown kind":    {"kind", func(ev *maturity.Evaluation) { ev.Kind = "sideways" }},
				"no kind":         {"kind", func(ev *maturity.Evaluation) { ev.Kind = "" }},
				"invalid level":   {"target", func(ev *maturity.Evaluation) { ev.Level, ev.Target = 9, 8 }},
				"beyond the top": {"target", func(ev *maturity.Evaluation) {
					ev.Kind, ev.Level, ev.Target = maturity.Progression, maturity.OptimizedLevel, maturity.OptimizedLevel+1
				}},
				"a hold that moves": {"target", func(ev *maturity.Evaluation) { ev.Kind = maturity.Hold }},
			} {
				ev := ok
				c.mutate(&ev)
				requireInvalid(e.t, e.s.CreateEvaluation(e.ctx(), ev), c.field, name)
			}
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ok))
			got, err := e.s.Evaluation(e.ctx(), ok.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, "0.01234567890123456789", got.IncidentRate.String(), "decimals are exact")
			assert.Equal(e.t, e.at(Epoch), got.CreatedAt, "CreatedAt defaults to the store's clock")
			assert.Empty(e.t, got.Criteria)
			assert.False(e.t, got.Decided())

			err = e.s.ApplyTransition(e.ctx(), maturity.Transition{Kind: maturity.Regression, Evaluation: ok,
				From: maturity.CautiousLevel, To: maturity.Baseline, Actor: maturity.EngineActor})
			require.ErrorIs(e.t, err, store.ErrConflict, "not seeded: not at the transition's level")
			require.NotErrorIs(e.t, err, store.ErrNotFound)
		},
		"ReturnedEvaluationsAreCopies": func(e *env) {
			ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel,
				Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Passed: true}}}
			require.NoError(e.t, e.s.CreateEvaluation(e.ctx(), ev))
			ev.Criteria[0].Passed = false // the caller's copy
			list, err := e.s.ListEvaluations(e.ctx(), 10)
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			list[0].Criteria[0].Passed = false
			stored, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			stored.Criteria[0].Passed = false
			again, err := e.s.Evaluation(e.ctx(), ev.ID)
			require.NoError(e.t, err)
			assert.True(e.t, again.Criteria[0].Passed)
			assert.Equal(e.t, e.at(Epoch), again.CreatedAt, "CreatedAt defaults to the clock")
		},
	}
}
