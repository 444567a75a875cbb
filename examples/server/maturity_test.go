package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// earnLevel1 makes the installation ready for level 1: five weeks at level
// 0 and, in the last four, three clean deployments (the test policy's
// minimum).
func (e *testEnv) earnLevel1() {
	e.tb.Helper()
	e.clock.Advance(5 * maturity.Week)
	for i := range 3 {
		_, err := e.store.RecordDeployment(context.Background(), incident.Deployment{
			ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(10), ModelVersion: "1.1", FinishedAt: e.clock.Now().Add(-time.Duration(i+1) * 24 * time.Hour),
		})
		require.NoError(e.tb, err)
	}
}

func (e *testEnv) evaluate() maturity.Evaluation {
	e.tb.Helper()
	return ok[maturity.Evaluation](e.tb, e.do(call{method: "POST", path: "/api/v1/maturity/evaluate", token: tokCAB}), http.StatusCreated)
}

func TestMaturityStatus(t *testing.T) {
	e := newTestEnv(t)
	got := ok[maturityStatusDTO](t, e.do(call{method: "GET", path: "/api/v1/maturity/status", token: tokCAB}), http.StatusOK)
	assert.Equal(t, maturityStatusDTO{Level: maturity.Baseline, Name: "Baseline", Since: epoch, ModelVersion: "1.1", Reason: "seed: greenfield baseline"}, got)
}

func TestEvaluateMaturity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	t.Run("happy path: not ready yet", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/maturity/evaluate", token: tokCAB})
		got := ok[maturity.Evaluation](t, r, http.StatusCreated)
		assert.Equal(t, "/api/v1/maturity/evaluations/"+got.ID.String(), r.Header.Get("Location"))
		assert.Equal(t, maturity.Progression, got.Kind)
		assert.Equal(t, maturity.CautiousLevel, got.Target)
		assert.False(t, got.Ready)
		assert.NotEmpty(t, got.Criteria)
		assert.False(t, got.Decided())
	})
	t.Run("an empty JSON object is an empty body", func(t *testing.T) {
		ok[maturity.Evaluation](t, e.do(call{method: "POST", path: "/api/v1/maturity/evaluate", token: tokCAB, body: "{}"}), http.StatusCreated)
	})
	t.Run("validation error", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "POST", path: "/api/v1/maturity/evaluate", token: tokCAB, body: `{"level":4}`}), http.StatusBadRequest, codeUnknownField)
	})
	t.Run("repeat: every evaluation is a new record", func(t *testing.T) {
		a, b := e.evaluate(), e.evaluate()
		assert.NotEqual(t, a.ID, b.ID)
		a.ID, b.ID = uuid.Nil, uuid.Nil
		assert.Equal(t, a, b)
	})
}

func TestListAndGetEvaluations(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first := e.evaluate()
	e.clock.Advance(time.Hour)
	second := e.evaluate()

	t.Run("list, newest first", func(t *testing.T) {
		got := ok[struct {
			Evaluations []maturity.Evaluation `json:"evaluations"`
		}](t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations", token: tokCAB}), http.StatusOK)
		require.Len(t, got.Evaluations, 2)
		assert.Equal(t, second.ID, got.Evaluations[0].ID)
		assert.Equal(t, first.ID, got.Evaluations[1].ID)
		one := ok[struct {
			Evaluations []maturity.Evaluation `json:"evaluations"`
		}](t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations?limit=1", token: tokCAB}), http.StatusOK)
		assert.Len(t, one.Evaluations, 1)
	})
	t.Run("list: validation error", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations?limit=0", token: tokCAB}), http.StatusUnprocessableEntity, codeValidationFailed)
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations?limit=x", token: tokCAB}), http.StatusBadRequest, codeInvalidParameter)
	})
	t.Run("get", func(t *testing.T) {
		got := ok[maturity.Evaluation](t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations/" + first.ID.String(), token: tokCAB}), http.StatusOK)
		assert.Equal(t, first, got)
	})
	t.Run("get: not found", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/maturity/evaluations/" + uuid.NewString(), token: tokCAB}), http.StatusNotFound, codeNotFound)
	})
}

func TestApproveEvaluation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	approve := func(id, token string) response {
		return e.do(call{method: "POST", path: "/api/v1/maturity/evaluations/" + id + "/approve", token: token})
	}
	notReady := e.evaluate()
	t.Run("an evaluation that is not ready is a conflict", func(t *testing.T) {
		requireProblem(t, approve(notReady.ID.String(), tokCAB), http.StatusConflict, codeNotReady)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, approve(uuid.NewString(), tokCAB), http.StatusNotFound, codeNotFound)
	})

	e.earnLevel1()
	ready := e.evaluate()
	require.True(t, ready.Ready, "%+v", ready)
	t.Run("validation error", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/maturity/evaluations/" + ready.ID.String() + "/approve", token: tokCAB, body: `{"approver":"mallory"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
	})
	t.Run("one approval is recorded and applies nothing", func(t *testing.T) {
		got := ok[evaluationApprovalDTO](t, approve(ready.ID.String(), tokCAB2), http.StatusOK)
		assert.False(t, got.Applied)
		assert.Nil(t, got.Transition)
		assert.Equal(t, 1, got.Approvals)
		assert.Equal(t, 2, got.Quorum)
		require.Len(t, got.Evaluation.Approvals, 1)
		assert.Equal(t, "dave", got.Evaluation.Approvals[0].By, "the approver is the authenticated principal")
		assert.False(t, got.Evaluation.Decided())
		st := ok[maturityStatusDTO](t, e.do(call{method: "GET", path: "/api/v1/maturity/status", token: tokCAB}), http.StatusOK)
		assert.Equal(t, maturity.Baseline, st.Level, "one member alone never raises the level")
	})
	t.Run("the same member twice is a conflict", func(t *testing.T) {
		requireProblem(t, approve(ready.ID.String(), tokCAB2), http.StatusConflict, codeConflict)
	})
	t.Run("happy path: the second approval applies it", func(t *testing.T) {
		got := ok[evaluationApprovalDTO](t, approve(ready.ID.String(), tokCAB), http.StatusOK)
		assert.True(t, got.Applied)
		assert.Equal(t, 2, got.Approvals)
		require.NotNil(t, got.Transition)
		tr := got.Transition
		assert.Equal(t, maturity.Progression, tr.Kind)
		assert.Equal(t, maturity.CautiousLevel, tr.To)
		assert.Equal(t, "carol", tr.Actor)
		assert.True(t, tr.RiskModel.Active)
		assert.Equal(t, "20", tr.RiskModel.Thresholds["PRODUCTIVITY_TOOLS"])
		require.True(t, got.Evaluation.Decided())
		assert.Len(t, got.Evaluation.Approvals, 2)

		st := ok[maturityStatusDTO](t, e.do(call{method: "GET", path: "/api/v1/maturity/status", token: tokCAB}), http.StatusOK)
		assert.Equal(t, maturity.CautiousLevel, st.Level)
		assert.Equal(t, tr.RiskModel.Version, st.ModelVersion)
	})
	t.Run("approving an applied progression is a conflict", func(t *testing.T) {
		requireProblem(t, approve(ready.ID.String(), tokAdmin), http.StatusConflict, codeDecided)
	})
}
