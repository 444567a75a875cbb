package storetest

import (
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The calibration aggregates (IncidentCounts) and the other reads over a
// period: what the maturity engine decides levels on.

func runCounts(t *testing.T, h Harness) {
	subtests(t, h, cases(countCases(), equivalenceCases()))
}

// countCases are the aggregates of a period and the reads bounded by time.
func countCases() map[string]func(e *env) {
	return map[string]func(e *env){
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
			assert.Equal(e.t, e.at(from.Add(7*time.Hour)), at)
			at, err = e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, from)
			require.NoError(e.t, err)
			assert.Equal(e.t, e.at(from.Add(-30*time.Minute)), at)
			_, err = e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, from.Add(-time.Hour))
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"PeriodBoundsFinerThanThePrecisionCountExactly": func(e *env) {
			// A time is in [from, to) against the bounds as given, not as the
			// store would round them: bounds finer than the precision count
			// what they say, at both ends of the finer range.
			at := e.at(Epoch.Add(-time.Hour)) // a time the store holds exactly
			e.record(deployment("Zoom", blastradius.ProductivityTools, true, "19.99", at))
			e.report(incident.Incident{CorrelationID: "inc-1", Severity: incident.P1, OccurredAt: at, Application: "Zoom"})
			for _, fine := range []time.Duration{time.Nanosecond, e.precision() - time.Nanosecond} {
				c, err := e.s.IncidentCounts(e.ctx(), at.Add(-time.Hour), at.Add(fine))
				require.NoError(e.t, err)
				assert.Equal(e.t, int64(1), c.Deployments, "finished before to (+%s)", fine)
				assert.Equal(e.t, int64(1), c.Incidents, "+%s", fine)
				c, err = e.s.IncidentCounts(e.ctx(), at.Add(fine), Epoch)
				require.NoError(e.t, err)
				assert.Zero(e.t, c.Deployments, "finished before from (+%s)", fine)
				assert.Zero(e.t, c.Incidents, "+%s", fine)

				latest, err := e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, at.Add(fine))
				require.NoError(e.t, err)
				assert.True(e.t, latest.Equal(at), "+%s", fine)

				from, to := at.Add(fine), at.Add(fine)
				page, err := e.s.ListIncidents(e.ctx(), incident.Filter{From: &from})
				require.NoError(e.t, err)
				assert.Empty(e.t, page.Incidents, "occurred before from (+%s)", fine)
				page, err = e.s.ListIncidents(e.ctx(), incident.Filter{To: &to})
				require.NoError(e.t, err)
				assert.Len(e.t, page.Incidents, 1, "occurred before to (+%s)", fine)
				page, err = e.s.ListIncidents(e.ctx(), incident.Filter{After: &incident.Cursor{OccurredAt: at.Add(fine), ID: uuid.Nil}})
				require.NoError(e.t, err)
				assert.Len(e.t, page.Incidents, 1, "occurred before a finer cursor (+%s)", fine)
			}
			_, err := e.s.LatestIncidentAt(e.ctx(), []incident.Severity{incident.P1}, at)
			require.ErrorIs(e.t, err, store.ErrNotFound)
			_, err = e.s.LatestIncidentAt(e.ctx(), []incident.Severity{"P0"}, Epoch)
			require.ErrorIs(e.t, err, store.ErrNotFound, "an unknown severity matches nothing")
			c, err := e.s.IncidentCounts(e.ctx(), Epoch, Epoch.Add(-time.Hour))
			require.NoError(e.t, err)
			assert.Zero(e.t, c.Deployments, "an inverted period counts nothing")

			e.report(incident.Incident{CorrelationID: "inc-2", Severity: incident.P4, OccurredAt: at, Application: "Slack"})
			unattributed := uuid.Nil
			page, err := e.s.ListIncidents(e.ctx(), incident.Filter{DeploymentID: &unattributed})
			require.NoError(e.t, err)
			require.Len(e.t, page.Incidents, 1, "uuid.Nil selects the unattributed incidents")
			assert.Equal(e.t, incident.AttributionNone, page.Incidents[0].Attribution)
		},
	}
}

// nonZero returns the non-zero counts of m.
func nonZero(m map[incident.Severity]int64) map[incident.Severity]int64 {
	out := map[incident.Severity]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// nonZeroClass returns the non-zero counts of m.
func nonZeroClass(m map[blastradius.Class]int64) map[blastradius.Class]int64 {
	out := map[blastradius.Class]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
