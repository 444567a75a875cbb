package storetest

import (
	"context"
	"sync"

	"github.com/buildworksai/trustgate"
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

// untouched asserts that tr was not applied: the installation is at level
// 0 under the seed model, tr's model does not exist, its evaluation is
// undecided, and the log has size events.
func (e *env) untouched(tr maturity.Transition, size int64) {
	e.t.Helper()
	state, err := e.s.MaturityState(e.ctx())
	require.NoError(e.t, err)
	assert.Equal(e.t, maturity.Baseline, state.Level)
	active, err := e.s.ActiveRiskModel(e.ctx())
	require.NoError(e.t, err)
	assert.Equal(e.t, riskmodel.SeedVersion, active.Version)
	_, err = e.s.RiskModel(e.ctx(), tr.Model.Version)
	require.ErrorIs(e.t, err, store.ErrNotFound)
	ev, err := e.s.Evaluation(e.ctx(), tr.Evaluation.ID)
	require.NoError(e.t, err)
	assert.False(e.t, ev.Decided())
	assert.Equal(e.t, size, e.auditSize())
}

// transitionCases are ApplyTransition's: a level change, its model and its
// decision, all at once or not at all.
func transitionCases() map[string]func(e *env) {
	return map[string]func(e *env){
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
		"ATransitionIsAuditedInOrder": func(e *env) {
			_, tr := e.progression()
			before := e.auditSize()
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr))
			evs, err := e.s.ListAuditEvents(e.ctx(), before, 10)
			require.NoError(e.t, err)
			require.Len(e.t, evs, 3)
			assert.Equal(e.t, security.EventRiskModelCreated, evs[0].Type)
			assert.Equal(e.t, security.EventRiskModelActivated, evs[1].Type)
			assert.JSONEq(e.t, `{"version":"`+tr.Model.Version+`","previous":"`+riskmodel.SeedVersion+`"}`, string(evs[1].Data))
			assert.Equal(e.t, security.EventMaturityProgressed, evs[2].Type)
			assert.Equal(e.t, "maturity:level-1", evs[2].Subject)
			assert.JSONEq(e.t, `{"evaluation_id":"`+tr.Evaluation.ID.String()+`","from":"0","to":"1","model_version":"`+tr.Model.Version+`"}`, string(evs[2].Data))
			for _, ev := range evs {
				assert.Equal(e.t, "cab-alice", ev.Actor)
			}
			state, err := e.s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			want := tr.State
			want.Since = e.at(want.Since)
			assert.Equal(e.t, want, state)
			ev, err := e.s.Evaluation(e.ctx(), tr.Evaluation.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, maturity.Decision{Approved: true, By: "cab-alice", At: e.at(Epoch), ModelVersion: tr.Model.Version}, ev.Decision)
		},
		"AMalformedTransitionIsInvalidAndWritesNothing": func(e *env) {
			_, tr := e.progression()
			before := e.auditSize()
			for name, c := range map[string]struct {
				field  string
				mutate func(tr *maturity.Transition)
			}{
				"hold":          {"kind", func(tr *maturity.Transition) { tr.Kind = maturity.Hold }},
				"unknown kind":  {"kind", func(tr *maturity.Transition) { tr.Kind = "sideways" }},
				"no actor":      {"actor", func(tr *maturity.Transition) { tr.Actor = " " }},
				"no evaluation": {"evaluation.id", func(tr *maturity.Transition) { tr.Evaluation.ID = uuid.Nil }},
				"state level":   {"state", func(tr *maturity.Transition) { tr.State.Level = maturity.ModerateLevel }},
				"state model":   {"state", func(tr *maturity.Transition) { tr.State.ModelVersion = riskmodel.SeedVersion }},
				"active model":  {"active", func(tr *maturity.Transition) { tr.Model.Active = true }},
			} {
				bad := tr
				c.mutate(&bad)
				requireInvalid(e.t, e.s.ApplyTransition(e.ctx(), bad), c.field, name)
			}
			invalid := tr
			invalid.Model.Weights = map[riskmodel.Factor]decimal.Decimal{riskmodel.SupplyChain: decimal.RequireFromString("0.5")}
			err := e.s.ApplyTransition(e.ctx(), invalid)
			require.ErrorIs(e.t, err, riskmodel.ErrWeightsSum, "an invalid model")
			requireInvalid(e.t, err, "weights", "an invalid model")
			unknown := tr
			unknown.Evaluation.ID = uuid.New()
			require.ErrorIs(e.t, e.s.ApplyTransition(e.ctx(), unknown), store.ErrNotFound)
			e.untouched(tr, before)
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr), "the well-formed transition still applies")
		},
		"ARefusedTransitionInsideWithTxWritesNothingAndTheTransactionCommitsTheRest": func(e *env) {
			_, tr := e.progression()
			before := e.auditSize()
			refused := tr
			refused.Model.Approval = riskmodel.Approval{} // valid, new, but not CAB-approved
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				err := tx.ApplyTransition(ctx, refused)
				require.ErrorIs(e.t, err, riskmodel.ErrNotApproved)
				requireCode(e.t, err, trustgate.Conflict)
				assert.Equal(e.t, "MODEL_NOT_APPROVED", trustgate.AsError(err).Reason)
				_, err = tx.RiskModel(ctx, refused.Model.Version)
				require.ErrorIs(e.t, err, store.ErrNotFound, "the store checks before it writes: no model, even inside")
				_, err = tx.AppendAudit(ctx, security.EventInput{Type: "test.after", Actor: "tester"})
				return err
			})
			require.NoError(e.t, err, "the transaction goes on and commits")
			assert.Equal(e.t, security.EventType("test.after"), e.lastEvent().Type)
			e.untouched(refused, before+1)
			require.ErrorIs(e.t, e.s.ApplyTransition(e.ctx(), refused), riskmodel.ErrNotApproved)
			e.untouched(refused, before+1)
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr), "the approved transition still applies")
			_, err = e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
		},
		"ARolledBackTransitionRestoresEverything": func(e *env) {
			_, tr := e.progression()
			before := e.auditSize()
			err := e.s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				require.NoError(e.t, tx.ApplyTransition(ctx, tr))
				state, err := tx.MaturityState(ctx)
				require.NoError(e.t, err)
				assert.Equal(e.t, maturity.CautiousLevel, state.Level, "a transaction reads its own writes")
				return errAbort
			})
			require.ErrorIs(e.t, err, errAbort)
			e.untouched(tr, before)
			require.NoError(e.t, e.s.ApplyTransition(e.ctx(), tr), "it still applies")
		},
	}
}
