package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func incidentBody(key, severity string, occurred time.Time) map[string]any {
	return map[string]any{
		"correlation_id": key, "severity": severity, "occurred_at": occurred.Format(time.RFC3339),
		"application": "Zoom", "affected_users": 120, "downtime_minutes": 45, "business_impact_usd": "1250.50",
	}
}

func (e *testEnv) reportIncident(key, severity string, occurred time.Time) incident.Incident {
	e.tb.Helper()
	r := e.do(call{method: "POST", path: "/api/v1/incidents", token: tokReporter, body: incidentBody(key, severity, occurred)})
	return ok[incident.Incident](e.tb, r, http.StatusCreated)
}

func TestCreateIncident(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	report := func(body any) response {
		return e.do(call{method: "POST", path: "/api/v1/incidents", token: tokReporter, body: body})
	}

	t.Run("happy path", func(t *testing.T) {
		r := report(incidentBody("inc-1", "P2", epoch.Add(-time.Hour)))
		got := ok[incident.Incident](t, r, http.StatusCreated)
		assert.Equal(t, "/api/v1/incidents/"+got.ID.String(), r.Header.Get("Location"))
		assert.Equal(t, incident.P2, got.Severity)
		assert.Equal(t, "1250.5", got.BusinessImpactUSD.String(), "the exact decimal")
		assert.Equal(t, incident.AttributionNone, got.Attribution)
		assert.Equal(t, epoch, got.CreatedAt)
		assert.NotEmpty(t, got.Attestation.Signatures, "the answer carries the incident's attestation envelope")
	})

	t.Run("linked to a recorded deployment", func(t *testing.T) {
		dep := incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools, AutoApproved: true,
			RiskScore: decimal.RequireFromString("12.5"), ModelVersion: "1.1", FinishedAt: epoch.Add(-2 * time.Hour)}
		_, err := e.store.RecordDeployment(context.Background(), dep)
		require.NoError(t, err)
		b := incidentBody("inc-linked", "P3", epoch.Add(-time.Hour))
		b["deployment_id"] = dep.ID.String()
		got := ok[incident.Incident](t, report(b), http.StatusCreated)
		assert.Equal(t, incident.AttributionReported, got.Attribution)
		assert.Equal(t, dep.ID, got.DeploymentID)
		assert.True(t, got.WasAutoApproved)
		assert.Equal(t, "12.5", got.RiskScoreAtApproval.String())
		assert.Equal(t, blastradius.ProductivityTools, got.BlastRadius)
	})

	t.Run("idempotent repeat", func(t *testing.T) {
		body := incidentBody("inc-2", "P3", epoch.Add(-time.Hour))
		first := report(body)
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
		again := report(body)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Body)
		assert.JSONEq(t, string(first.Body), string(again.Body))
		// A different report under the same key is a conflict.
		requireProblem(t, report(incidentBody("inc-2", "P1", epoch.Add(-time.Hour))), http.StatusConflict, codeConflict)
	})

	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			name   string
			mutate func(b map[string]any)
			field  string
		}{
			{"unknown severity", func(b map[string]any) { b["severity"] = "P9" }, "severity"},
			{"no occurrence time", func(b map[string]any) { delete(b, "occurred_at") }, "occurred_at"},
			{"in the future", func(b map[string]any) { b["occurred_at"] = epoch.Add(time.Hour).Format(time.RFC3339) }, "occurred_at"},
			{"negative users", func(b map[string]any) { b["affected_users"] = -1 }, "affected_users"},
			{"impact not a decimal", func(b map[string]any) { b["business_impact_usd"] = "1,250" }, "business_impact_usd"},
			{"negative impact", func(b map[string]any) { b["business_impact_usd"] = "-1" }, "business_impact_usd"},
			{"deployment not a UUID", func(b map[string]any) { b["deployment_id"] = "dep-1" }, "deployment_id"},
			{"deployment not recorded", func(b map[string]any) { b["deployment_id"] = uuid.NewString() }, "deployment_id"},
			{"no application", func(b map[string]any) { delete(b, "application") }, "application"},
			{"control improvements not JSON array or object", func(b map[string]any) { b["control_improvements"] = "more tests" }, "control_improvements"},
			{"no key", func(b map[string]any) { delete(b, "correlation_id") }, "correlation_id"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := incidentBody("inc-bad", "P2", epoch.Add(-time.Hour))
				tt.mutate(b)
				p := requireProblem(t, report(b), http.StatusUnprocessableEntity, codeValidationFailed)
				assert.Equal(t, tt.field, p.Field)
			})
		}
	})
}

func TestGetIncident(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.reportIncident("inc-get", "P4", epoch.Add(-time.Minute))
	t.Run("happy path", func(t *testing.T) {
		got := ok[incident.Incident](t, e.do(call{method: "GET", path: "/api/v1/incidents/" + in.ID.String(), token: tokCAB}), http.StatusOK)
		assert.Equal(t, in, got)
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/incidents/" + uuid.NewString(), token: tokCAB}), http.StatusNotFound, codeNotFound)
		requireProblem(t, e.do(call{method: "GET", path: "/api/v1/incidents/42", token: tokCAB}), http.StatusNotFound, codeNotFound)
	})
}

func TestListIncidents(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for i, sev := range []string{"P1", "P2", "P2", "P3", "P4"} {
		e.reportIncident("inc-list-"+sev+"-"+string(rune('a'+i)), sev, epoch.Add(-time.Duration(i+1)*time.Hour))
	}
	list := func(query string) response {
		return e.do(call{method: "GET", path: "/api/v1/incidents?" + query, token: tokReporter})
	}

	t.Run("happy path: pages, newest first", func(t *testing.T) {
		var seen []incident.Incident
		query := "limit=2"
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5)
			page := ok[incidentPageDTO](t, list(query), http.StatusOK)
			seen = append(seen, page.Incidents...)
			if page.NextCursor == "" {
				break
			}
			query = "limit=2&cursor=" + url.QueryEscape(page.NextCursor)
		}
		require.Len(t, seen, 5)
		for i := 1; i < len(seen); i++ {
			assert.True(t, seen[i-1].OccurredAt.After(seen[i].OccurredAt))
		}
	})
	t.Run("filters", func(t *testing.T) {
		page := ok[incidentPageDTO](t, list("severity=P2"), http.StatusOK)
		assert.Len(t, page.Incidents, 2)
		from := url.QueryEscape(epoch.Add(-150 * time.Minute).Format(time.RFC3339))
		page = ok[incidentPageDTO](t, list("from="+from+"&auto_approved=false"), http.StatusOK)
		assert.Len(t, page.Incidents, 2)
		page = ok[incidentPageDTO](t, list("class=NON_CRITICAL"), http.StatusOK)
		assert.Empty(t, page.Incidents)
		assert.NotNil(t, page.Incidents, "an empty page is [] not null")
	})
	t.Run("validation error", func(t *testing.T) {
		tests := []struct {
			query  string
			status int
			code   string
			field  string
		}{
			{"severity=P7", http.StatusUnprocessableEntity, codeValidationFailed, "severity"},
			{"class=HUGE", http.StatusUnprocessableEntity, codeValidationFailed, "class"},
			{"limit=501", http.StatusUnprocessableEntity, codeValidationFailed, "limit"},
			{"cursor=xyz", http.StatusUnprocessableEntity, codeValidationFailed, "cursor"},
			{"from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", http.StatusUnprocessableEntity, codeValidationFailed, "to"},
			{"limit=ten", http.StatusBadRequest, codeInvalidParameter, "limit"},
			{"from=yesterday", http.StatusBadRequest, codeInvalidParameter, "from"},
			{"auto_approved=maybe", http.StatusBadRequest, codeInvalidParameter, "auto_approved"},
			{"deployment_id=7", http.StatusBadRequest, codeInvalidParameter, "deployment_id"},
			{"sevrity=P1", http.StatusBadRequest, codeInvalidParameter, "sevrity"},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				p := requireProblem(t, list(tt.query), tt.status, tt.code)
				assert.Equal(t, tt.field, p.Field)
			})
		}
	})
}

func TestUpdateIncident(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.reportIncident("inc-patch", "P2", epoch.Add(-3*time.Hour))
	patch := func(id string, body any) response {
		return e.do(call{method: "PATCH", path: "/api/v1/incidents/" + id, token: tokReporter, body: body})
	}
	update := map[string]any{
		"root_cause": "installer raced the updater", "resolution": "rolled back",
		"resolved_at": epoch.Add(-time.Hour).Format(time.RFC3339), "was_preventable": true,
		"control_improvements": []string{"canary ring"},
	}

	t.Run("happy path", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		got := ok[incident.Incident](t, patch(in.ID.String(), update), http.StatusOK)
		assert.Equal(t, "installer raced the updater", got.RootCause)
		require.NotNil(t, got.WasPreventable)
		assert.True(t, *got.WasPreventable)
		assert.JSONEq(t, `["canary ring"]`, string(got.ControlImprovements))
		assert.Equal(t, in.Severity, got.Severity, "severity cannot change")
		assert.Equal(t, epoch.Add(time.Minute), got.UpdatedAt)
	})
	t.Run("merge-patch content type", func(t *testing.T) {
		r := e.do(call{method: "PATCH", path: "/api/v1/incidents/" + in.ID.String(), token: tokReporter, body: `{"preventability_notes":"see RCA"}`,
			header: map[string]string{"Content-Type": "application/merge-patch+json"}})
		got := ok[incident.Incident](t, r, http.StatusOK)
		assert.Equal(t, "see RCA", got.PreventabilityNotes)
		assert.Equal(t, "rolled back", got.Resolution.Resolution, "absent fields are left as they are")
	})
	t.Run("idempotent repeat", func(t *testing.T) {
		a := ok[incident.Incident](t, patch(in.ID.String(), update), http.StatusOK)
		b := ok[incident.Incident](t, patch(in.ID.String(), update), http.StatusOK)
		assert.Equal(t, a, b)
	})
	t.Run("validation error", func(t *testing.T) {
		p := requireProblem(t, patch(in.ID.String(), map[string]any{"resolved_at": epoch.Add(-10 * time.Hour).Format(time.RFC3339)}), http.StatusUnprocessableEntity, codeValidationFailed)
		assert.Equal(t, "resolved_at", p.Field)
		requireProblem(t, patch(in.ID.String(), map[string]any{}), http.StatusUnprocessableEntity, codeValidationFailed)
		p = requireProblem(t, patch(in.ID.String(), map[string]any{"severity": "P1"}), http.StatusBadRequest, codeUnknownField)
		assert.Equal(t, "severity", p.Field, "linkage and severity cannot be patched")
	})
	t.Run("not found", func(t *testing.T) {
		requireProblem(t, patch(uuid.NewString(), update), http.StatusNotFound, codeNotFound)
	})
}
