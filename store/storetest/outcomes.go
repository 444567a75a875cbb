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

func deployment(app string, class blastradius.Class, auto bool, score string, finished time.Time) incident.Deployment {
	return incident.Deployment{
		ID: uuid.New(), Application: app, EvidenceID: uuid.New(), RequestID: uuid.New(), Class: class,
		AutoApproved: auto, RiskScore: decimal.RequireFromString(score), ModelVersion: "1.1", FinishedAt: finished,
	}
}

func (e *env) record(d incident.Deployment) incident.Deployment {
	e.t.Helper()
	got, err := e.s.RecordDeployment(e.ctx(), d)
	require.NoError(e.t, err)
	return got
}

func report(corr string, sev incident.Severity, app string, at time.Time) incident.Incident {
	return incident.Incident{
		CorrelationID: corr, Severity: sev, OccurredAt: at, Application: app,
		AffectedUsers: 120, DowntimeMinutes: 45, BusinessImpactUSD: decimal.RequireFromString("12500.75"),
	}
}

func (e *env) report(in incident.Incident) incident.Incident {
	e.t.Helper()
	got, err := e.s.CreateIncident(e.ctx(), in)
	require.NoError(e.t, err)
	return got
}

func runDeployments(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"RecordDeploymentStoresEveryField": func(e *env) {
			d := deployment("Slack", blastradius.ProductivityTools, true, "17.25", Epoch.Add(-time.Hour+123*time.Nanosecond))
			got := e.record(d)
			read, err := e.s.Deployment(e.ctx(), d.ID)
			require.NoError(e.t, err)
			for _, x := range []incident.Deployment{got, read} {
				assert.Equal(e.t, d.ID, x.ID)
				assert.Equal(e.t, d.Application, x.Application)
				assert.Equal(e.t, d.EvidenceID, x.EvidenceID)
				assert.Equal(e.t, d.RequestID, x.RequestID)
				assert.Equal(e.t, d.Class, x.Class)
				assert.True(e.t, x.AutoApproved)
				assert.Equal(e.t, "17.25", x.RiskScore.String())
				assert.Equal(e.t, "1.1", x.ModelVersion)
				assert.Equal(e.t, d.FinishedAt.UTC().Truncate(time.Microsecond), x.FinishedAt)
				assert.True(e.t, x.CreatedAt.Equal(Epoch))
			}
			assert.Equal(e.t, security.EventDeploymentRecorded, e.lastEvent().Type)
		},
		"RecordingTheSameDeploymentAgainReturnsTheStoredRecord": func(e *env) {
			d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
			e.record(d)
			before := e.auditSize()
			e.clock.Advance(time.Hour)
			got := e.record(d)
			assert.True(e.t, got.CreatedAt.Equal(Epoch), "the stored record, not a new one")
			assert.Equal(e.t, before, e.auditSize())
		},
		"ADifferentDeploymentUnderTheSameIDIsErrConflict": func(e *env) {
			d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
			e.record(d)
			d.RiskScore = decimal.RequireFromString("31")
			_, err := e.s.RecordDeployment(e.ctx(), d)
			require.ErrorIs(e.t, err, store.ErrConflict)
		},
		"RecordDeploymentRejectsInvalidRecordsAndWritesNothing": func(e *env) {
			bad := []func(d *incident.Deployment){
				func(d *incident.Deployment) { d.Class = "HUGE" },
				func(d *incident.Deployment) { d.RiskScore = decimal.RequireFromString("100.5") },
				func(d *incident.Deployment) { d.FinishedAt = Epoch.Add(time.Hour) },
				func(d *incident.Deployment) { d.Application = "" },
				func(d *incident.Deployment) { d.ModelVersion = "" },
			}
			for i, mutate := range bad {
				d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
				mutate(&d)
				_, err := e.s.RecordDeployment(e.ctx(), d)
				require.Equal(e.t, trustgate.Invalid, trustgate.ErrorCode(err), "case %d: %v", i, err)
				require.NotEmpty(e.t, trustgate.AsError(err).Field, "case %d", i)
			}
			assert.Zero(e.t, e.auditSize())
		},
		"DeploymentReturnsErrNotFoundForAnUnknownID": func(e *env) {
			_, err := e.s.Deployment(e.ctx(), uuid.New())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.EarliestDeploymentAt(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"EarliestDeploymentAtIsTheFirstFinishTime": func(e *env) {
			e.record(deployment("A", blastradius.NonCritical, false, "1", Epoch.Add(-2*time.Hour)))
			e.record(deployment("B", blastradius.NonCritical, false, "1", Epoch.Add(-5*time.Hour)))
			at, err := e.s.EarliestDeploymentAt(e.ctx())
			require.NoError(e.t, err)
			assert.True(e.t, at.Equal(Epoch.Add(-5*time.Hour)))
		},
	})
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
				assert.True(e.t, x.OccurredAt.Equal(in.OccurredAt))
				assert.Equal(e.t, "12500.75", x.BusinessImpactUSD.String())
				assert.Equal(e.t, 120, x.AffectedUsers)
				assert.Equal(e.t, 45, x.DowntimeMinutes)
				assert.Equal(e.t, "bad config", x.RootCause)
				require.NotNil(e.t, x.WasPreventable)
				assert.True(e.t, *x.WasPreventable)
				assert.JSONEq(e.t, `["add canary"]`, string(x.ControlImprovements))
				assert.Equal(e.t, incident.AttributionNone, x.Attribution)
				assert.True(e.t, x.CreatedAt.Equal(Epoch))
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
			assert.True(e.t, upd.ResolvedAt.Equal(resolved))
			require.NotNil(e.t, upd.WasPreventable)
			assert.False(e.t, *upd.WasPreventable)
			assert.True(e.t, upd.UpdatedAt.Equal(Epoch.Add(2*time.Hour)))
			assert.Equal(e.t, got.Severity, upd.Severity)
			assert.True(e.t, got.OccurredAt.Equal(upd.OccurredAt))
			assert.Equal(e.t, security.EventIncidentUpdated, e.lastEvent().Type)
			read, err := e.s.Incident(e.ctx(), got.ID)
			require.NoError(e.t, err)
			assert.Equal(e.t, cause, read.RootCause)
			assert.JSONEq(e.t, string(ci), string(read.ControlImprovements))
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
		"IncidentCountsAggregateThePeriod": func(e *env) {
			from, to := Epoch.Add(-7*24*time.Hour), Epoch
			outside := e.record(deployment("Old", blastradius.NonCritical, true, "5", from.Add(-time.Hour)))
			autoProd := e.record(deployment("Zoom", blastradius.ProductivityTools, true, "12.5", from.Add(time.Hour)))
			e.record(deployment("Zoom", blastradius.ProductivityTools, true, "19.99", from.Add(2*time.Hour)))
			manualBus := e.record(deployment("SAP", blastradius.BusinessCritical, false, "45", from.Add(3*time.Hour)))
			e.record(deployment("AV", blastradius.CriticalInfrastructure, false, "100", from.Add(4*time.Hour)))
			yes := true
			mk := func(corr string, sev incident.Severity, dep uuid.UUID, at time.Time, preventable *bool) {
				in := report(corr, sev, "x", at)
				in.DeploymentID = dep
				in.WasPreventable = preventable
				e.report(in)
			}
			mk("a", incident.P1, autoProd.ID, from.Add(5*time.Hour), &yes)
			mk("b", incident.P3, autoProd.ID, from.Add(6*time.Hour), nil)
			mk("c", incident.P2, manualBus.ID, from.Add(7*time.Hour), &yes)
			mk("d", incident.P4, outside.ID, from.Add(8*time.Hour), nil)      // incident in period, deployment before it
			mk("e", incident.P1, autoProd.ID, from.Add(-30*time.Minute), nil) // before the period
			c, err := e.s.IncidentCounts(e.ctx(), from, to)
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(4), c.Deployments)
			assert.Equal(e.t, int64(4), c.Incidents)
			assert.Equal(e.t, map[incident.Severity]int64{incident.P1: 1, incident.P2: 1, incident.P3: 1, incident.P4: 1}, nonZero(c.BySeverity))
			assert.Equal(e.t, map[blastradius.Class]int64{blastradius.ProductivityTools: 2, blastradius.BusinessCritical: 1, blastradius.CriticalInfrastructure: 1}, nonZeroClass(c.DeploymentsByClass))
			assert.Equal(e.t, map[blastradius.Class]int64{blastradius.ProductivityTools: 2, blastradius.BusinessCritical: 1, blastradius.NonCritical: 1}, nonZeroClass(c.IncidentsByClass))
			assert.Equal(e.t, [incident.Bands]int64{0, 2, 0, 0, 1, 0, 0, 0, 0, 1}, c.DeploymentsByBand)
			assert.Equal(e.t, [incident.Bands]int64{1, 2, 0, 0, 1, 0, 0, 0, 0, 0}, c.IncidentsByBand)
			assert.Equal(e.t, int64(1), c.AutoApprovedWithIncidents, "autoProd caused incidents in the period; the other auto-approved one did not")
			assert.Equal(e.t, int64(2), c.Preventable)
			assert.True(e.t, c.From.Equal(from) && c.To.Equal(to))

			r := incident.NewReport(c)
			assert.Equal(e.t, "1", r.IncidentRate.String())

			at, err := e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1, incident.P2}, to)
			require.NoError(e.t, err)
			assert.True(e.t, at.Equal(from.Add(7*time.Hour)))
			at, err = e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, from)
			require.NoError(e.t, err)
			assert.True(e.t, at.Equal(from.Add(-30*time.Minute)))
			_, err = e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, from.Add(-time.Hour))
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ConcurrentDuplicateReportsStoreOneIncident": func(e *env) {
			e.duplicatesStoreOne(16, func() (uuid.UUID, error) {
				got, err := e.s.CreateIncident(e.ctx(), report("inc-dup", incident.P3, "Zoom", Epoch.Add(-time.Hour)))
				return got.ID, err
			})
		},
	})
}

func nonZero(m map[incident.Severity]int64) map[incident.Severity]int64 {
	out := map[incident.Severity]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func nonZeroClass(m map[blastradius.Class]int64) map[blastradius.Class]int64 {
	out := map[blastradius.Class]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// requireInvalid requires err to be an invalid-input error naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	require.Equal(t, trustgate.Invalid, e.Code, "%v", err)
	require.Equal(t, field, e.Field, "%v", err)
}
