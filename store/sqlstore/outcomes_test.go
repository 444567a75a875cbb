package sqlstore_test

import (
	"context"
	"errors"
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

func outcomeDeployment(finished time.Time) incident.Deployment {
	return incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
		AutoApproved: true, RiskScore: decimal.RequireFromString("19.99"), ModelVersion: "1.1", FinishedAt: finished}
}

// The database refuses changes to outcome records that the store never
// makes, whoever asks.
func TestOutcomesAreGuardedByTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		require.NoError(t, store.Seed(ctx, s, epoch))
		d, err := s.RecordDeployment(ctx, outcomeDeployment(epoch.Add(-time.Hour)))
		require.NoError(t, err)
		in, err := s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-1", Severity: incident.P3,
			OccurredAt: epoch.Add(-time.Minute), DeploymentID: d.ID})
		require.NoError(t, err)
		ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Hold, Level: maturity.Baseline, Target: maturity.Baseline,
			IncidentRate: decimal.Zero, Criteria: []maturity.Criterion{{Name: maturity.CriterionP1, Actual: decimal.Zero, Passed: true}}}
		require.NoError(t, s.CreateEvaluation(ctx, ev))

		raw := b.raw(t, s)
		dep, inc, evID := "'"+d.ID.String()+"'", "'"+in.ID.String()+"'", "'"+ev.ID.String()+"'"
		for _, stmt := range []string{
			`UPDATE deployments SET risk_score = 1, risk_band = 0 WHERE id = ` + dep,
			`DELETE FROM deployments WHERE id = ` + dep,
			`UPDATE incidents SET severity = 'P4' WHERE id = ` + inc,
			`UPDATE incidents SET deployment_id = NULL, attribution = 'none' WHERE id = ` + inc,
			`UPDATE incidents SET business_impact_usd = 1 WHERE id = ` + inc,
			`DELETE FROM incidents WHERE id = ` + inc,
			`UPDATE maturity_evaluations SET ready = TRUE WHERE id = ` + evID,
			`DELETE FROM maturity_evaluations WHERE id = ` + evID,
			`UPDATE evaluation_criteria SET passed = FALSE`,
			`DELETE FROM evaluation_criteria`,
			`UPDATE maturity_state SET level = 2`,
			`DELETE FROM maturity_state`,
			// A band that disagrees with the score.
			`INSERT INTO deployments (id, application, class, auto_approved, risk_score, risk_band, model_version,
			 finished_at, created_at) SELECT '` + uuid.NewString() + `', application, class, auto_approved, risk_score,
			 risk_band + 1, model_version, finished_at, created_at FROM deployments WHERE id = ` + dep,
		} {
			_, err := raw.ExecContext(ctx, stmt)
			assert.Error(t, err, stmt)
		}
		// The resolution fields are what may change.
		_, err = raw.ExecContext(ctx, `UPDATE incidents SET root_cause = 'dns' WHERE id = `+inc)
		require.NoError(t, err)
		_, err = security.VerifyChain(ctx, s, security.VerifyOptions{})
		require.NoError(t, err)
	})
}

// A transition that fails part way inside WithTx leaves nothing behind,
// even when the function carries on and commits.
func TestApplyTransitionRollsBackToItsSavepointInsideWithTx(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		require.NoError(t, store.Seed(ctx, s, epoch.Add(-5*maturity.Week)))
		ev := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Progression, Level: maturity.Baseline,
			Target: maturity.CautiousLevel, IncidentRate: decimal.Zero, Ready: true, CreatedAt: epoch}
		require.NoError(t, s.CreateEvaluation(ctx, ev))
		state, err := s.MaturityState(ctx)
		require.NoError(t, err)
		active, err := s.ActiveRiskModel(ctx)
		require.NoError(t, err)
		tr, err := maturity.Progress(maturity.Levels(), ev, state, active, "cab-alice", epoch)
		require.NoError(t, err)
		tr.Model.Approval = riskmodel.Approval{} // created, then refused activation
		before := auditSize(t, s)

		err = s.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			err := tx.ApplyTransition(ctx, tr)
			require.ErrorIs(t, err, riskmodel.ErrNotApproved)
			_, err = tx.AppendAudit(ctx, security.EventInput{Type: "test.after", Actor: "tester"})
			return err
		})
		require.NoError(t, err)
		_, err = s.RiskModel(ctx, tr.Model.Version)
		require.ErrorIs(t, err, store.ErrNotFound, "the model created before the failure is gone")
		assert.Equal(t, before+1, auditSize(t, s), "only the event appended after the failure")
		got, err := s.Evaluation(ctx, ev.ID)
		require.NoError(t, err)
		assert.False(t, got.Decided())
		state, err = s.MaturityState(ctx)
		require.NoError(t, err)
		assert.Equal(t, maturity.Baseline, state.Level)
	})
}

// Period bounds finer than the stored microseconds count exactly: a time
// is in [from, to) against the bounds as given, not truncated.
func TestPeriodBoundsFinerThanMicroseconds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		at := epoch.Add(-time.Hour) // microsecond-aligned
		_, err := s.RecordDeployment(ctx, outcomeDeployment(at))
		require.NoError(t, err)
		_, err = s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-1", Severity: incident.P1, OccurredAt: at,
			Application: "Zoom"})
		require.NoError(t, err)

		c, err := s.IncidentCounts(ctx, at.Add(-time.Hour), at.Add(time.Nanosecond))
		require.NoError(t, err)
		assert.Equal(t, int64(1), c.Deployments, "finished before to")
		assert.Equal(t, int64(1), c.Incidents)
		c, err = s.IncidentCounts(ctx, at.Add(time.Nanosecond), epoch)
		require.NoError(t, err)
		assert.Zero(t, c.Deployments, "finished before from")
		assert.Zero(t, c.Incidents)

		latest, err := s.LatestIncidentAt(ctx, []incident.Severity{incident.P1}, at.Add(time.Nanosecond))
		require.NoError(t, err)
		assert.True(t, latest.Equal(at))
		_, err = s.LatestIncidentAt(ctx, []incident.Severity{incident.P1}, at)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.LatestIncidentAt(ctx, []incident.Severity{"P0"}, epoch)
		require.ErrorIs(t, err, store.ErrNotFound, "an unknown severity matches nothing")
		c, err = s.IncidentCounts(ctx, epoch, epoch.Add(-time.Hour))
		require.NoError(t, err)
		assert.Zero(t, c.Deployments, "an inverted period counts nothing")

		_, err = s.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-2", Severity: incident.P4, OccurredAt: at,
			Application: "Slack"})
		require.NoError(t, err)
		unattributed := uuid.Nil
		page, err := s.ListIncidents(ctx, incident.Filter{DeploymentID: &unattributed})
		require.NoError(t, err)
		require.Len(t, page.Incidents, 1, "uuid.Nil selects the unattributed incidents")
		assert.Equal(t, incident.AttributionNone, page.Incidents[0].Attribution)
	})
}

func TestEvaluationsAreStoredUndecidedAndConsistent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		ok := maturity.Evaluation{ID: uuid.New(), Kind: maturity.Regression, Level: maturity.CautiousLevel,
			Target: maturity.Baseline, IncidentRate: decimal.RequireFromString("0.012345678901234567890")}
		for name, mutate := range map[string]func(e *maturity.Evaluation){
			"decided":         func(e *maturity.Evaluation) { e.Decision = maturity.Decision{Approved: true, By: "x", At: epoch} },
			"two levels down": func(e *maturity.Evaluation) { e.Level = maturity.ModerateLevel },
			"unknown kind":    func(e *maturity.Evaluation) { e.Kind = "sideways" },
			"invalid level":   func(e *maturity.Evaluation) { e.Level, e.Target = 9, 8 },
		} {
			e := ok
			mutate(&e)
			require.ErrorIs(t, s.CreateEvaluation(ctx, e), store.ErrInvalid, name)
		}
		require.NoError(t, s.CreateEvaluation(ctx, ok))
		got, err := s.Evaluation(ctx, ok.ID)
		require.NoError(t, err)
		assert.Equal(t, "0.01234567890123456789", got.IncidentRate.String(), "decimals are exact")
		assert.True(t, got.CreatedAt.Equal(epoch), "CreatedAt defaults to the store's clock")
		assert.Empty(t, got.Criteria)
		_, err = s.ListEvaluations(ctx, 1001)
		require.ErrorIs(t, err, store.ErrInvalid)

		err = s.ApplyTransition(ctx, maturity.Transition{Kind: maturity.Regression, Evaluation: ok,
			From: maturity.CautiousLevel, To: maturity.Baseline, Actor: maturity.EngineActor})
		require.ErrorIs(t, err, store.ErrConflict, "not seeded: not at the transition's level")
		require.False(t, errors.Is(err, store.ErrNotFound))
	})
}
