package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modelBody is a new risk model version: level 1 thresholds, the default
// weights.
func modelBody(version string) map[string]any {
	return map[string]any{
		"version": version, "mode": "CAUTIOUS",
		"effective_at": epoch.Format(time.RFC3339), "review_at": epoch.AddDate(0, 0, 30).Format(time.RFC3339),
		"thresholds": map[string]string{"CRITICAL_INFRASTRUCTURE": "0", "BUSINESS_CRITICAL": "5", "PRODUCTIVITY_TOOLS": "20", "NON_CRITICAL": "30"},
		"weights": map[string]string{"privilege_elevation": "0.20", "blast_radius": "0.20", "change_complexity": "0.15",
			"test_evidence": "0.15", "supply_chain": "0.15", "rollback_capability": "0.10", "vendor_history": "0.05"},
		"exception_threshold": "80",
		"calibration":         map[string]any{"source": "test"},
	}
}

type riskModelList struct {
	RiskModels []riskModelDTO `json:"risk_models"`
}

func TestRiskModelReads(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	t.Run("list", func(t *testing.T) {
		got := ok[riskModelList](t, e.do(call{method: "GET", path: "/api/v1/risk-models", token: tokSubmitter}), http.StatusOK)
		require.Len(t, got.RiskModels, 1)
		assert.Equal(t, "1.1", got.RiskModels[0].Version)
	})
	t.Run("active", func(t *testing.T) {
		got := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokCAB}), http.StatusOK)
		assert.Equal(t, "1.1", got.Version)
		assert.True(t, got.Active)
		assert.Equal(t, "80", got.ExceptionThreshold)
		assert.Equal(t, "0.2", got.Weights["blast_radius"])
		assert.Equal(t, "0", got.Thresholds["NON_CRITICAL"])
		assert.True(t, got.Approval.Approved)
	})
	t.Run("by version", func(t *testing.T) {
		got := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/1.1", token: tokCAB}), http.StatusOK)
		assert.Equal(t, "GREENFIELD_CONSERVATIVE", string(got.Mode))
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/risk-models/9.9", token: tokCAB}), http.StatusNotFound, codeNotFound)
	})
}

func TestCreateRiskModel(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	create := func(body any) response {
		return e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: body})
	}
	t.Run("happy path", func(t *testing.T) {
		r := create(modelBody("1.2"))
		got := ok[riskModelDTO](t, r, http.StatusCreated)
		assert.Equal(t, "/api/v1/risk-models/1.2", r.Header.Get("Location"))
		assert.False(t, got.Active)
		assert.False(t, got.Approval.Approved)
		assert.Equal(t, "20", got.Thresholds["PRODUCTIVITY_TOOLS"])
		assert.JSONEq(t, `{"source":"test"}`, string(got.Calibration))
	})
	t.Run("repeat is a conflict", func(t *testing.T) {
		create(modelBody("1.3"))
		requireProblem(t, create(modelBody("1.3")), http.StatusConflict, codeConflict)
	})
	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			name   string
			mutate func(b map[string]any)
			field  string
		}{
			{"weights do not sum to 1", func(b map[string]any) { b["weights"].(map[string]string)["vendor_history"] = "0.06" }, "weights"},
			{"weight not a decimal", func(b map[string]any) { b["weights"].(map[string]string)["vendor_history"] = "NaN" }, "weights[vendor_history]"},
			{"critical threshold not 0", func(b map[string]any) {
				b["thresholds"].(map[string]string)["CRITICAL_INFRASTRUCTURE"] = "1"
			}, "thresholds[CRITICAL_INFRASTRUCTURE]"},
			{"unknown mode", func(b map[string]any) { b["mode"] = "YOLO" }, "mode"},
			{"review before effective", func(b map[string]any) { b["review_at"] = epoch.Add(-time.Hour).Format(time.RFC3339) }, "review_at"},
			{"no exception threshold", func(b map[string]any) { delete(b, "exception_threshold") }, "exception_threshold"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := modelBody("2.0")
				tt.mutate(b)
				p := requireProblem(t, create(b), http.StatusUnprocessableEntity, codeValidationFailed)
				assert.Equal(t, tt.field, p.Field)
			})
		}
	})
	t.Run("time not RFC 3339", func(t *testing.T) {
		b := modelBody("2.1")
		b["effective_at"] = "02/03/2026"
		requireProblem(t, create(b), http.StatusBadRequest, codeMalformedJSON)
	})
}

func TestApproveAndActivateRiskModel(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	post := func(path, token string) response { return e.do(call{method: "POST", path: path, token: token}) }
	ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: modelBody("1.2")}), http.StatusCreated)

	t.Run("activating an unapproved version is a conflict", func(t *testing.T) {
		requireProblem(t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusConflict, codeModelNotApproved)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, post("/api/v1/risk-models/7.0/approve", tokCAB), http.StatusNotFound, codeNotFound)
		requireProblem(t, post("/api/v1/risk-models/7.0/activate", tokCAB), http.StatusNotFound, codeNotFound)
	})
	t.Run("validation error: a body where none is expected", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/risk-models/1.2/approve", token: tokCAB, body: `{"approved_by":"someone-else"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
		r = e.do(call{method: "POST", path: "/api/v1/risk-models/1.2/activate", token: tokCAB, body: `{"actor":"x"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
	})

	approved := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/approve", tokCAB), http.StatusOK)
	assert.True(t, approved.Approval.Approved)
	assert.Equal(t, "carol", approved.Approval.By, "the approver is the authenticated principal")
	t.Run("approving twice is a conflict", func(t *testing.T) {
		requireProblem(t, post("/api/v1/risk-models/1.2/approve", tokCAB2), http.StatusConflict, codeConflict)
	})

	active := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusOK)
	assert.True(t, active.Active)
	t.Run("activating again answers the same", func(t *testing.T) {
		again := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusOK)
		assert.Equal(t, active, again)
	})
	got := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokSubmitter}), http.StatusOK)
	assert.Equal(t, "1.2", got.Version)
}
