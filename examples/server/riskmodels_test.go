package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modelBody is a new risk model version: level 1 thresholds, the default
// weights.
func modelBody(version string) map[string]any {
	return modelBodyWith(version, "5", "20", "30")
}

// modelBodyWith is a new risk model version with the given
// BUSINESS_CRITICAL, PRODUCTIVITY_TOOLS and NON_CRITICAL thresholds (and 0
// for CRITICAL_INFRASTRUCTURE), the default weights.
func modelBodyWith(version, bus, prod, non string) map[string]any {
	return map[string]any{
		"version": version, "mode": "CAUTIOUS",
		"effective_at": epoch.Format(time.RFC3339), "review_at": epoch.AddDate(0, 0, 30).Format(time.RFC3339),
		"thresholds": map[string]string{"CRITICAL_INFRASTRUCTURE": "0", "BUSINESS_CRITICAL": bus, "PRODUCTIVITY_TOOLS": prod, "NON_CRITICAL": non},
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
		assert.Equal(t, []signoffDTO{{By: "trustgate-ladder", At: epoch}}, got.Signoffs, "the seed carries the service key's ladder statement")
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
		assert.Equal(t, "carol", got.CreatedBy, "the creator is the authenticated member")
		assert.Empty(t, got.Approvers)
		assert.Equal(t, 2, got.Quorum)
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
	// Thresholds of 0 are as strict as level 0, where the installation is.
	ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: modelBodyWith("1.2", "0", "0", "0")}), http.StatusCreated)

	t.Run("activating an unapproved version is refused", func(t *testing.T) {
		p := requireProblem(t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusConflict, codeModelUnverified)
		assert.Contains(t, p.Detail, "0 of 2")
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, post("/api/v1/risk-models/7.0/approve", tokCAB), http.StatusNotFound, codeNotFound)
		requireProblem(t, post("/api/v1/risk-models/7.0/activate", tokCAB), http.StatusNotFound, codeNotFound)
	})
	t.Run("validation error: a body where none is expected", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/api/v1/risk-models/1.2/approve", token: tokCAB2, body: `{"approved_by":"someone-else"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
		r = e.do(call{method: "POST", path: "/api/v1/risk-models/1.2/activate", token: tokCAB, body: `{"actor":"x"}`})
		requireProblem(t, r, http.StatusBadRequest, codeUnknownField)
	})
	t.Run("the creator cannot approve", func(t *testing.T) {
		before := e.head()
		requireProblem(t, post("/api/v1/risk-models/1.2/approve", tokCAB), http.StatusForbidden, codeSeparation)
		assert.Equal(t, before, e.head(), "nothing written")
	})

	one := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/approve", tokCAB2), http.StatusOK)
	assert.False(t, one.Approval.Approved, "one approval of two approves nothing")
	assert.Equal(t, []string{"dave"}, one.Approvers, "the approver is the authenticated principal")
	require.Len(t, one.Signoffs, 1)
	assert.Equal(t, signoffDTO{By: "dave", At: epoch}, one.Signoffs[0])
	t.Run("approving twice is a conflict", func(t *testing.T) {
		requireProblem(t, post("/api/v1/risk-models/1.2/approve", tokCAB2), http.StatusConflict, codeDuplicateApproval)
	})
	t.Run("one approval does not activate", func(t *testing.T) {
		p := requireProblem(t, post("/api/v1/risk-models/1.2/activate", tokCAB2), http.StatusConflict, codeModelUnverified)
		assert.Contains(t, p.Detail, "1 of 2")
	})

	two := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/approve", tokAdmin), http.StatusOK)
	assert.True(t, two.Approval.Approved)
	assert.Equal(t, []string{"dave", "root"}, two.Approvers)

	active := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusOK)
	assert.True(t, active.Active)
	t.Run("activating again answers the same", func(t *testing.T) {
		again := ok[riskModelDTO](t, post("/api/v1/risk-models/1.2/activate", tokCAB), http.StatusOK)
		assert.Equal(t, active, again)
	})
	got := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokSubmitter}), http.StatusOK)
	assert.Equal(t, "1.2", got.Version)
}

// TestOneCABMemberCannotLoosenTheModel is the first attack,
// through the reference server: one CAB member creates a risk model with
// thresholds 0/79/79/79, approves it and activates it, so that a
// BUSINESS_CRITICAL deployment scoring 79 would be auto-approved at
// maturity level 0. The creator's approval is refused, activation is
// refused, and the deployment still goes to the CAB. Approvals by the two
// other members reach the quorum, and activation is still refused: the
// thresholds exceed level 0's.
func TestOneCABMemberCannotLoosenTheModel(t *testing.T) {
	e := newTestEnv(t)
	post := func(path, token string) response { return e.do(call{method: "POST", path: path, token: token}) }
	loose := modelBodyWith("6.6", "79", "79", "79")
	loose["mode"] = "OPTIMIZED"
	ok[riskModelDTO](t, e.do(call{method: "POST", path: "/api/v1/risk-models", token: tokCAB, body: loose}), http.StatusCreated)

	decision := func(key string) requestDTO {
		t.Helper()
		req := e.submit(tokSubmitter, key, "79", "BUSINESS_CRITICAL")
		require.Equal(t, "79", req.Decision.Score.String())
		require.Equal(t, blastradius.BusinessCritical, req.Decision.Class)
		return req
	}
	activated := func() bool {
		for _, ev := range e.auditEvents() {
			if ev.Type == security.EventRiskModelActivated && strings.Contains(string(ev.Data), `"6.6"`) {
				return true
			}
		}
		return false
	}

	// The attacker alone: approve their own model, activate it.
	requireProblem(t, post("/api/v1/risk-models/6.6/approve", tokCAB), http.StatusForbidden, codeSeparation)
	p := requireProblem(t, post("/api/v1/risk-models/6.6/activate", tokCAB), http.StatusConflict, codeModelUnverified)
	assert.Contains(t, p.Detail, "6.6")
	req := decision("attack-1")
	assert.Equal(t, cab.StatusPendingReview, req.Status, "a BUSINESS_CRITICAL 79 is not auto-approved")
	assert.Equal(t, cab.ReasonAutomationNotEarned, req.Decision.Reason.Code)
	assert.Equal(t, "1.1", req.Decision.ModelVersion)

	// A second member's approval is recorded, but one of two approves
	// nothing.
	v := ok[riskModelDTO](t, post("/api/v1/risk-models/6.6/approve", tokCAB2), http.StatusOK)
	assert.Equal(t, []string{"dave"}, v.Approvers)
	assert.Equal(t, 2, v.Quorum)
	assert.False(t, v.Approval.Approved, "1 of 2 approves nothing")
	requireProblem(t, post("/api/v1/risk-models/6.6/activate", tokCAB), http.StatusConflict, codeModelUnverified)

	// Quorum reached: still refused at maturity level 0, whose thresholds
	// are 0.
	v = ok[riskModelDTO](t, post("/api/v1/risk-models/6.6/approve", tokAdmin), http.StatusOK)
	assert.True(t, v.Approval.Approved)
	p = requireProblem(t, post("/api/v1/risk-models/6.6/activate", tokCAB), http.StatusConflict, codeModelUnverified)
	assert.Contains(t, p.Detail, "exceeds")

	req = decision("attack-2")
	assert.Equal(t, cab.StatusPendingReview, req.Status)
	assert.Equal(t, "1.1", req.Decision.ModelVersion)
	got := ok[riskModelDTO](t, e.do(call{method: "GET", path: "/api/v1/risk-models/active", token: tokSubmitter}), http.StatusOK)
	assert.Equal(t, "1.1", got.Version)
	assert.False(t, activated(), "no activation of 6.6 was recorded")
}
