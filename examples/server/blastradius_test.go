package main

import (
	"net/http"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	classify := func(body any) response {
		return e.do(call{method: "POST", path: "/api/v1/blast-radius/classify", token: tokSubmitter, body: body})
	}

	t.Run("happy path", func(t *testing.T) {
		tests := []struct {
			name  string
			body  map[string]any
			class blastradius.Class
			floor string
		}{
			{"productivity keyword", map[string]any{"app_name": "Zoom", "publisher": "Zoom Video", "target_users": 4000}, blastradius.ProductivityTools, ""},
			{"security update", map[string]any{"app_name": "Windows Security Update", "publisher": "Microsoft Corporation", "privilege": "system"}, blastradius.CriticalInfrastructure, ""},
			{"CMDB tier 0", map[string]any{"app_name": "Ledger", "cmdb": map[string]any{"service_tier": "Tier0", "impact_scope": "ENTERPRISE", "rto_minutes": 60}}, blastradius.CriticalInfrastructure, ""},
			{"CMDB criticality", map[string]any{"app_name": "Ledger", "cmdb": map[string]any{"service_tier": "tier3", "business_criticality": "high"}}, blastradius.BusinessCritical, ""},
			{"small utility", map[string]any{"app_name": "Calculator", "target_users": 10}, blastradius.NonCritical, ""},
			{"unknown software", map[string]any{"app_name": "Frobnicator", "privilege": "admin"}, blastradius.ProductivityTools, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := ok[classificationDTO](t, classify(tt.body), http.StatusOK)
				assert.Equal(t, tt.class, got.Class, "%+v", got)
				assert.Equal(t, tt.floor, got.Floor)
				assert.NotEmpty(t, got.Reason)
				assert.Equal(t, tt.class.Quorum(), got.Quorum)
				assert.Equal(t, tt.class.AutoApproveAllowed(), got.AutoApproveAllowed)
			})
		}
	})

	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"unknown privilege", map[string]any{"app_name": "Zoom", "privilege": "root"}, "privilege"},
			{"negative target users", map[string]any{"app_name": "Zoom", "target_users": -1}, "target_users"},
			{"unknown criticality", map[string]any{"app_name": "Zoom", "criticality": "EXTREME"}, "criticality"},
			{"unknown tier", map[string]any{"app_name": "Zoom", "cmdb": map[string]any{"service_tier": "Tier9"}}, "cmdb.service_tier"},
			{"unknown scope", map[string]any{"app_name": "Zoom", "cmdb": map[string]any{"impact_scope": "GALAXY"}}, "cmdb.impact_scope"},
			{"unknown CMDB criticality", map[string]any{"app_name": "Zoom", "cmdb": map[string]any{"business_criticality": "X"}}, "cmdb.business_criticality"},
			{"negative RTO", map[string]any{"app_name": "Zoom", "cmdb": map[string]any{"rto_minutes": -5}}, "cmdb.rto_minutes"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := requireProblem(t, classify(tt.body), http.StatusUnprocessableEntity, codeValidationFailed)
				assert.Equal(t, tt.field, p.Field)
			})
		}
	})

	t.Run("idempotent repeat", func(t *testing.T) {
		body := map[string]any{"app_name": "Slack", "target_users": 1200}
		a, b := classify(body), classify(body)
		require.Equal(t, http.StatusOK, a.Status)
		assert.Equal(t, string(a.Body), string(b.Body))
	})
}

func TestListClasses(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(call{method: "GET", path: "/api/v1/blast-radius/classes", token: tokCAB})
	got := ok[struct {
		Classes []classDTO `json:"classes"`
	}](t, r, http.StatusOK)
	require.Len(t, got.Classes, 4)
	assert.Equal(t, blastradius.CriticalInfrastructure, got.Classes[0].Class)
	assert.Equal(t, 3, got.Classes[0].Quorum)
	assert.False(t, got.Classes[0].AutoApproveAllowed)
	assert.Equal(t, blastradius.NonCritical, got.Classes[3].Class)
	assert.NotEmpty(t, got.Classes[3].Examples)
	// Idempotent: a second read is identical.
	assert.Equal(t, string(r.Body), string(e.do(call{method: "GET", path: "/api/v1/blast-radius/classes", token: tokCAB}).Body))
}
