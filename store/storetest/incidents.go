package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func report(corr string, sev incident.Severity, app string, at time.Time) incident.Incident {
	return incident.Incident{
		CorrelationID: corr, Severity: sev, OccurredAt: at, Application: app,
		AffectedUsers: 120, DowntimeMinutes: 45, BusinessImpactUSD: decimal.RequireFromString("12500.75"),
	}
}

// assertSameIncident compares two incidents field by field, decimals by
// value, JSON as JSON.
func assertSameIncident(t require.TestingT, want, got incident.Incident) {
	dec := func(name string, a, b decimal.Decimal) { assert.True(t, a.Equal(b), "%s: %s != %s", name, a, b) }
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.CorrelationID, got.CorrelationID)
	assert.Equal(t, want.Severity, got.Severity)
	assert.Equal(t, want.OccurredAt, got.OccurredAt)
	assert.Equal(t, want.Application, got.Application)
	assert.Equal(t, want.DeploymentID, got.DeploymentID)
	assert.Equal(t, want.EvidenceID, got.EvidenceID)
	assert.Equal(t, want.CABApprovalID, got.CABApprovalID)
	assert.Equal(t, want.Attribution, got.Attribution)
	assert.Equal(t, want.WasAutoApproved, got.WasAutoApproved)
	dec("risk_score_at_approval", want.RiskScoreAtApproval, got.RiskScoreAtApproval)
	assert.Equal(t, want.BlastRadius, got.BlastRadius)
	assert.Equal(t, want.AffectedUsers, got.AffectedUsers)
	assert.Equal(t, want.DowntimeMinutes, got.DowntimeMinutes)
	dec("business_impact_usd", want.BusinessImpactUSD, got.BusinessImpactUSD)
	assert.Equal(t, want.RootCause, got.RootCause)
	assert.Equal(t, want.Resolution.Resolution, got.Resolution.Resolution)
	assert.Equal(t, want.ResolvedAt, got.ResolvedAt)
	assert.Equal(t, want.WasPreventable, got.WasPreventable)
	assert.Equal(t, want.PreventabilityNotes, got.PreventabilityNotes)
	if len(want.ControlImprovements) == 0 {
		assert.Empty(t, got.ControlImprovements)
	} else {
		assert.JSONEq(t, string(want.ControlImprovements), string(got.ControlImprovements))
	}
	assert.Equal(t, want.CreatedAt, got.CreatedAt)
	assert.Equal(t, want.UpdatedAt, got.UpdatedAt)
}

func (e *env) report(in incident.Incident) incident.Incident {
	e.t.Helper()
	got, err := e.s.CreateIncident(e.ctx(), in)
	require.NoError(e.t, err)
	return got
}

func runIncidents(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"CreateIncidentStoresEveryField": func(e *env) {
			preventable := true
			in := report("inc-1", incident.P2, "Zoom", Epoch.Add(-30*time.Minute))
			in.BlastRadius = blastradius.ProductivityTools
			in.RiskScoreAtApproval = decimal.RequireFromString("12.5")
			in.RootCause = "bad config"
			in.WasPreventable = &preventable
			in.ControlImprovements = json.RawMessage(`["add canary"]`)
			got := e.report(in)
			read, err := e.s.Incident(e.ctx(), got.ID)
			require.NoError(e.t, err)
			for _, x := range []incident.Incident{got, read} {
				assert.NotEqual(e.t, uuid.Nil, x.ID)
				assert.Equal(e.t, incident.P2, x.Severity)
				assert.Equal(e.t, "inc-1", x.CorrelationID)
				assert.Equal(e.t, e.at(in.OccurredAt), x.OccurredAt)
				assert.Equal(e.t, "12500.75", x.BusinessImpactUSD.String())
				assert.Equal(e.t, 120, x.AffectedUsers)
				assert.Equal(e.t, 45, x.DowntimeMinutes)
				assert.Equal(e.t, "bad config", x.RootCause)
				require.NotNil(e.t, x.WasPreventable)
				assert.True(e.t, *x.WasPreventable)
				assert.JSONEq(e.t, `["add canary"]`, string(x.ControlImprovements))
				assert.Equal(e.t, incident.AttributionNone, x.Attribution)
				assert.Equal(e.t, e.at(Epoch), x.CreatedAt)
				assert.Equal(e.t, e.at(Epoch), x.UpdatedAt)
			}
			assert.Equal(e.t, security.EventIncidentReported, e.lastEvent().Type)
		},
		"AnIncidentNamingADeploymentTakesItsFacts": func(e *env) {
			d := e.record(deployment("Salesforce", blastradius.BusinessCritical, true, "8.5", Epoch.Add(-3*time.Hour)))
			in := report("inc-2", incident.P3, "", Epoch.Add(-time.Hour))
			in.DeploymentID = d.ID
			got := e.report(in)
			assert.Equal(e.t, incident.AttributionReported, got.Attribution)
			assert.Equal(e.t, d.ID, got.DeploymentID)
			assert.Equal(e.t, "Salesforce", got.Application)
			assert.Equal(e.t, blastradius.BusinessCritical, got.BlastRadius)
			assert.True(e.t, got.WasAutoApproved)
			assert.Equal(e.t, "8.5", got.RiskScoreAtApproval.String())
			assert.Equal(e.t, d.EvidenceID, got.EvidenceID)
		},
		"AnIncidentNamingAnUnknownDeploymentIsErrNotFound": func(e *env) {
			in := report("inc-3", incident.P3, "Zoom", Epoch.Add(-time.Hour))
			in.DeploymentID = uuid.New()
			_, err := e.s.CreateIncident(e.ctx(), in)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Zero(e.t, e.auditSize())
		},
		"AnIncidentWithoutADeploymentIsAttributedToTheLatestEarlierDeploymentOfItsApplication": func(e *env) {
			e.record(deployment("Zoom", blastradius.ProductivityTools, false, "40", Epoch.Add(-48*time.Hour)))
			latest := e.record(deployment("Zoom", blastradius.ProductivityTools, true, "15", Epoch.Add(-2*time.Hour)))
			e.record(deployment("Slack", blastradius.ProductivityTools, false, "10", Epoch.Add(-time.Hour)))
			// Reported at Epoch; a deployment finishing after that does not count.
			e.clock.Advance(time.Minute)
			e.record(deployment("Zoom", blastradius.ProductivityTools, false, "5", Epoch.Add(30*time.Second)))
			e.clock.Advance(-time.Minute)
			got := e.report(report("inc-4", incident.P2, "Zoom", Epoch.Add(-time.Hour)))
			assert.Equal(e.t, incident.AttributionInferred, got.Attribution)
			assert.Equal(e.t, latest.ID, got.DeploymentID)
			assert.True(e.t, got.WasAutoApproved)
			assert.Equal(e.t, "15", got.RiskScoreAtApproval.String())
		},
		"AnIncidentWithNoEarlierDeploymentIsUnattributed": func(e *env) {
			e.record(deployment("Slack", blastradius.ProductivityTools, false, "10", Epoch.Add(-time.Hour)))
			got := e.report(report("inc-5", incident.P4, "Zoom", Epoch.Add(-time.Hour)))
			assert.Equal(e.t, incident.AttributionNone, got.Attribution)
			assert.Equal(e.t, uuid.Nil, got.DeploymentID)
		},
		"ReportingTheSameIncidentAgainReturnsTheStoredOne": func(e *env) {
			first := e.report(report("inc-6", incident.P3, "Zoom", Epoch.Add(-time.Hour)))
			before := e.auditSize()
			again := e.report(report("inc-6", incident.P3, "Zoom", Epoch.Add(-time.Hour)))
			assert.Equal(e.t, first.ID, again.ID)
			assert.Equal(e.t, before, e.auditSize())
			_, err := e.s.CreateIncident(e.ctx(), report("inc-6", incident.P1, "Zoom", Epoch.Add(-time.Hour)))
			require.ErrorIs(e.t, err, store.ErrConflict, "a different report under the same correlation id")
		},
		"CreateIncidentRejectsBadInputAndWritesNothing": func(e *env) {
			bad := map[string]func(in *incident.Incident){
				"severity":            func(in *incident.Incident) { in.Severity = "P0" },
				"occurred_at":         func(in *incident.Incident) { in.OccurredAt = Epoch.Add(time.Hour) },
				"affected_users":      func(in *incident.Incident) { in.AffectedUsers = -1 },
				"downtime_minutes":    func(in *incident.Incident) { in.DowntimeMinutes = -5 },
				"business_impact_usd": func(in *incident.Incident) { in.BusinessImpactUSD = decimal.RequireFromString("-0.01") },
				"correlation_id":      func(in *incident.Incident) { in.CorrelationID = "" },
			}
			for field, mutate := range bad {
				in := report("inc-bad", incident.P3, "Zoom", Epoch.Add(-time.Hour))
				mutate(&in)
				_, err := e.s.CreateIncident(e.ctx(), in)
				var fe *trustgate.Error
				require.ErrorAs(e.t, err, &fe, field)
				assert.Equal(e.t, field, fe.Field)
				assert.Equal(e.t, trustgate.Invalid, fe.Code)
			}
			assert.Zero(e.t, e.auditSize())
			page, err := e.s.ListIncidents(e.ctx(), incident.Filter{})
			require.NoError(e.t, err)
			assert.Empty(e.t, page.Incidents)
		},
		"ACreatedAtWithinTheClockSkewIsAccepted": func(e *env) {
			e.report(report("inc-skew", incident.P4, "Zoom", Epoch.Add(incident.MaxClockSkew-time.Second)))
		},
		"ListIncidentsFiltersAndPaginatesWithoutGapsOrRepeats": func(e *env) {
			auto := e.record(deployment("Zoom", blastradius.ProductivityTools, true, "12", Epoch.Add(-100*time.Hour)))
			manual := e.record(deployment("SAP", blastradius.BusinessCritical, false, "45", Epoch.Add(-100*time.Hour)))
			all := map[uuid.UUID]incident.Incident{}
			for i := range 23 {
				in := report(fmt.Sprintf("inc-%02d", i), incident.Severities()[i%4], "", Epoch.Add(-time.Duration(90-i%5)*time.Hour))
				in.DeploymentID = auto.ID
				if i%3 == 0 {
					in.DeploymentID = manual.ID
				}
				got := e.report(in)
				all[got.ID] = got
			}
			seen := map[uuid.UUID]bool{}
			var prev *incident.Incident
			f := incident.Filter{Limit: 4}
			for pages := 0; ; pages++ {
				require.Less(e.t, pages, 10)
				page, err := e.s.ListIncidents(e.ctx(), f)
				require.NoError(e.t, err)
				for i := range page.Incidents {
					x := page.Incidents[i]
					assert.False(e.t, seen[x.ID], "repeated %s", x.ID)
					seen[x.ID] = true
					if prev != nil {
						newer := prev.OccurredAt.After(x.OccurredAt) || (prev.OccurredAt.Equal(x.OccurredAt) && prev.ID.String() > x.ID.String())
						assert.True(e.t, newer, "newest first, then id descending")
					}
					prev = &x
				}
				if page.Next == nil {
					break
				}
				f.After = page.Next
			}
			assert.Len(e.t, seen, 23)

			count := func(f incident.Filter) int {
				f.Limit = incident.MaxPageSize
				page, err := e.s.ListIncidents(e.ctx(), f)
				require.NoError(e.t, err)
				return len(page.Incidents)
			}
			p1, bus, yes := incident.P1, blastradius.BusinessCritical, true
			from, to := Epoch.Add(-88*time.Hour), Epoch.Add(-86*time.Hour)
			want := func(keep func(x incident.Incident) bool) int {
				n := 0
				for _, x := range all {
					if keep(x) {
						n++
					}
				}
				return n
			}
			assert.Equal(e.t, want(func(x incident.Incident) bool { return x.Severity == incident.P1 }), count(incident.Filter{Severity: &p1}))
			assert.Equal(e.t, want(func(x incident.Incident) bool { return x.BlastRadius == bus }), count(incident.Filter{Class: &bus}))
			assert.Equal(e.t, want(func(x incident.Incident) bool { return x.WasAutoApproved }), count(incident.Filter{AutoApproved: &yes}))
			assert.Equal(e.t, want(func(x incident.Incident) bool { return x.DeploymentID == manual.ID }), count(incident.Filter{DeploymentID: &manual.ID}))
			inRange := want(func(x incident.Incident) bool { return !x.OccurredAt.Before(from) && x.OccurredAt.Before(to) })
			assert.Positive(e.t, inRange)
			assert.Equal(e.t, inRange, count(incident.Filter{From: &from, To: &to}))
			assert.Equal(e.t, want(func(x incident.Incident) bool { return x.Severity == incident.P1 && x.WasAutoApproved }),
				count(incident.Filter{Severity: &p1, AutoApproved: &yes}))

			_, err := e.s.ListIncidents(e.ctx(), incident.Filter{Limit: incident.MaxPageSize + 1})
			requireInvalid(e.t, err, "limit")
		},
		"UpdateIncidentChangesOnlyTheResolutionFields": func(e *env) {
			got := e.report(report("inc-7", incident.P2, "Zoom", Epoch.Add(-time.Hour)))
			e.clock.Advance(2 * time.Hour)
			cause, res, no := "expired certificate", "rolled back", false
			resolved := Epoch.Add(time.Hour)
			ci := json.RawMessage(`{"alerts":["cert expiry"]}`)
			upd, err := e.s.UpdateIncident(e.ctx(), got.ID, incident.Update{RootCause: &cause, Resolution: &res, ResolvedAt: &resolved, WasPreventable: &no, ControlImprovements: &ci})
			require.NoError(e.t, err)
			assert.Equal(e.t, cause, upd.RootCause)
			assert.Equal(e.t, res, upd.Resolution.Resolution)
			assert.Equal(e.t, e.at(resolved), upd.ResolvedAt)
			require.NotNil(e.t, upd.WasPreventable)
			assert.False(e.t, *upd.WasPreventable)
			assert.Equal(e.t, e.at(Epoch.Add(2*time.Hour)), upd.UpdatedAt)
			assert.Equal(e.t, got.Severity, upd.Severity)
			assert.True(e.t, got.OccurredAt.Equal(upd.OccurredAt))
			assert.Equal(e.t, security.EventIncidentUpdated, e.lastEvent().Type)
			read, err := e.s.Incident(e.ctx(), got.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, cause, read.RootCause)
			assert.JSONEq(e.t, string(ci), string(read.ControlImprovements))
			assertSameIncident(e.t, upd, read)
		},
		"UpdateIncidentRejectsBadInput": func(e *env) {
			_, err := e.s.UpdateIncident(e.ctx(), uuid.New(), incident.Update{})
			require.ErrorIs(e.t, err, store.ErrNotFound)
			got := e.report(report("inc-8", incident.P2, "Zoom", Epoch.Add(-time.Hour)))
			before := e.auditSize()
			early := Epoch.Add(-2 * time.Hour)
			_, err = e.s.UpdateIncident(e.ctx(), got.ID, incident.Update{ResolvedAt: &early})
			requireInvalid(e.t, err, "resolved_at")
			bad := json.RawMessage(`"text"`)
			_, err = e.s.UpdateIncident(e.ctx(), got.ID, incident.Update{ControlImprovements: &bad})
			requireInvalid(e.t, err, "control_improvements")
			assert.Equal(e.t, before, e.auditSize())
		},
		"ReportingAnIncidentAgainComparesItAsStored": func(e *env) {
			e.record(deployment("Zoom", blastradius.ProductivityTools, true, "12.5", Epoch.Add(-2*time.Hour)))
			in := report("inc-1", incident.P2, "Zoom", e.at(Epoch.Add(-time.Hour)))
			in.ControlImprovements = json.RawMessage(`["a"]`)
			stored := e.report(in)
			// A retry with a fresh id, the same instant in another zone plus
			// less than the precision keeps, and the same JSON spaced out, is
			// the same report.
			in.ID = uuid.New()
			in.OccurredAt = in.OccurredAt.In(time.FixedZone("X", 3600)).Add(e.precision() - time.Nanosecond)
			in.ControlImprovements = json.RawMessage(`[ "a" ]`)
			got := e.report(in)
			assert.Equal(e.t, stored.ID, got.ID)
			assert.Equal(e.t, int64(2), e.auditSize())
			other := report("inc-2", incident.P2, "Zoom", Epoch.Add(-time.Hour))
			other.ID = stored.ID
			_, err := e.s.CreateIncident(e.ctx(), other)
			require.ErrorIs(e.t, err, store.ErrConflict, "an id taken by another incident")
			assert.Equal(e.t, int64(2), e.auditSize())
		},
		"ReturnedIncidentsAreCopies": func(e *env) {
			yes := true
			in := report("inc-1", incident.P2, "Zoom", Epoch.Add(-time.Hour))
			in.WasPreventable = &yes
			in.ControlImprovements = json.RawMessage(`["a"]`)
			got := e.report(in)
			*in.WasPreventable = false
			in.ControlImprovements[2] = 'X'
			*got.WasPreventable = false
			got.ControlImprovements[2] = 'Y'
			page, err := e.s.ListIncidents(e.ctx(), incident.Filter{})
			require.NoError(e.t, err)
			require.Len(e.t, page.Incidents, 1)
			*page.Incidents[0].WasPreventable = false
			page.Incidents[0].ControlImprovements[2] = 'Z'
			read, err := e.s.Incident(e.ctx(), got.ID)
			require.NoError(e.t, err)
			require.NotNil(e.t, read.WasPreventable)
			assert.True(e.t, *read.WasPreventable)
			assert.Equal(e.t, `["a"]`, string(read.ControlImprovements))
		},
		"DeploymentsAndIncidentsAreAuditedWithTheirFacts": func(e *env) {
			d := e.record(incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
				AutoApproved: true, RiskScore: decimal.RequireFromString("12.5"), ModelVersion: "1.1", FinishedAt: Epoch.Add(-2 * time.Hour)})
			in := e.report(incident.Incident{CorrelationID: "inc-1", Severity: incident.P2, OccurredAt: Epoch.Add(-time.Hour), Application: "Zoom"})
			cause := "config"
			_, err := e.s.UpdateIncident(e.ctx(), in.ID, incident.Update{RootCause: &cause})
			require.NoError(e.t, err)
			evs := e.events()
			require.Len(e.t, evs, 3)
			assert.Equal(e.t, security.EventDeploymentRecorded, evs[0].Type)
			assert.Equal(e.t, "deployment:"+d.ID.String(), evs[0].Subject)
			assert.JSONEq(e.t, `{"deployment_id":"`+d.ID.String()+`","application":"Zoom","class":"PRODUCTIVITY_TOOLS",
				"auto_approved":true,"risk_score":"12.5","model_version":"1.1"}`, string(evs[0].Data))
			assert.Equal(e.t, security.EventIncidentReported, evs[1].Type)
			assert.Equal(e.t, "incident:"+in.ID.String(), evs[1].Subject)
			assert.Equal(e.t, "inc-1", evs[1].CorrelationID)
			assert.JSONEq(e.t, `{"incident_id":"`+in.ID.String()+`","severity":"P2","deployment_id":"`+d.ID.String()+`","attribution":"inferred"}`, string(evs[1].Data))
			assert.Equal(e.t, security.EventIncidentUpdated, evs[2].Type)
			assert.Equal(e.t, "incident:"+in.ID.String(), evs[2].Subject)
			assert.JSONEq(e.t, `{"incident_id":"`+in.ID.String()+`","fields":["root_cause"]}`, string(evs[2].Data))
			for _, ev := range evs {
				assert.Equal(e.t, store.SystemActor, ev.Actor)
			}
			unlinked := e.report(incident.Incident{CorrelationID: "inc-2", Severity: incident.P4, OccurredAt: Epoch.Add(-time.Hour), Application: "Slack"})
			assert.JSONEq(e.t, `{"incident_id":"`+unlinked.ID.String()+`","severity":"P4","deployment_id":"","attribution":"none"}`, string(e.lastEvent().Data))
		},
		"ConcurrentDuplicateReportsStoreOneIncident": func(e *env) {
			e.duplicatesStoreOne(16, func() (uuid.UUID, error) {
				got, err := e.s.CreateIncident(e.ctx(), report("inc-dup", incident.P3, "Zoom", Epoch.Add(-time.Hour)))
				return got.ID, err
			})
		},
	})
}
