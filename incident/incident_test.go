package incident_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func valid() incident.Incident {
	return incident.Incident{
		CorrelationID: "inc-1", Severity: incident.P2, OccurredAt: now.Add(-time.Hour), Application: "Zoom",
		AffectedUsers: 10, DowntimeMinutes: 5, BusinessImpactUSD: decimal.RequireFromString("99.95"),
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := map[string]func(in *incident.Incident){
		"severity":               func(in *incident.Incident) { in.Severity = "SEV1" },
		"occurred_at":            func(in *incident.Incident) { in.OccurredAt = time.Time{} },
		"affected_users":         func(in *incident.Incident) { in.AffectedUsers = -1 },
		"downtime_minutes":       func(in *incident.Incident) { in.DowntimeMinutes = -1 },
		"business_impact_usd":    func(in *incident.Incident) { in.BusinessImpactUSD = decimal.RequireFromString("-1") },
		"risk_score_at_approval": func(in *incident.Incident) { in.RiskScoreAtApproval = decimal.RequireFromString("101") },
		"blast_radius":           func(in *incident.Incident) { in.BlastRadius = "HUGE" },
		"application":            func(in *incident.Incident) { in.Application = "" },
		"correlation_id":         func(in *incident.Incident) { in.CorrelationID = "a\tb" },
		"root_cause":             func(in *incident.Incident) { in.RootCause = "\xff" },
		"resolved_at":            func(in *incident.Incident) { in.ResolvedAt = in.OccurredAt.Add(-time.Second) },
		"control_improvements":   func(in *incident.Incident) { in.ControlImprovements = json.RawMessage(`42`) },
	}
	for field, mutate := range tests {
		t.Run(field, func(t *testing.T) {
			in := valid()
			mutate(&in)
			err := in.Validate(now)
			var fe *trustgate.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, field, fe.Field)
			assert.Equal(t, trustgate.Invalid, fe.Code)
			assert.True(t, strings.HasPrefix(err.Error(), "incident: "+field+": "), err.Error())
		})
	}
	in := valid()
	require.NoError(t, in.Validate(now))
	in.DeploymentID, in.Application = uuid.New(), ""
	require.NoError(t, in.Validate(now), "a named deployment supplies the application")
}

func TestOccurredAtMayBeAheadOnlyByTheClockSkew(t *testing.T) {
	in := valid()
	in.OccurredAt = now.Add(incident.MaxClockSkew)
	require.NoError(t, in.Validate(now))
	in.OccurredAt = now.Add(incident.MaxClockSkew + time.Second)
	e := trustgate.AsError(in.Validate(now))
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "occurred_at", e.Field)
}

func TestBandsCoverZeroToHundred(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "9.99": 0, "10": 1, "45.5": 4, "89.99": 8, "90": 9, "100": 9, "-3": 0, "250": 9} {
		assert.Equal(t, want, incident.Band(decimal.RequireFromString(s)), s)
	}
}

func TestRateIsExactAndZeroWithoutDeployments(t *testing.T) {
	assert.Equal(t, "0.0075", incident.Rate(3, 400).String())
	assert.Equal(t, "0.333333", incident.Rate(1, 3).String())
	assert.Equal(t, "0.666667", incident.Rate(2, 3).String(), "half-up")
	assert.True(t, incident.Rate(5, 0).IsZero())
}

func TestNewReportComputesEveryRate(t *testing.T) {
	c := incident.Counts{
		Deployments: 200, Incidents: 3,
		DeploymentsByClass: map[blastradius.Class]int64{blastradius.NonCritical: 150, blastradius.BusinessCritical: 50},
		IncidentsByClass:   map[blastradius.Class]int64{blastradius.BusinessCritical: 2, blastradius.NonCritical: 1},
	}
	c.DeploymentsByBand[2], c.IncidentsByBand[2] = 40, 1
	r := incident.NewReport(c)
	assert.Equal(t, "0.015", r.IncidentRate.String())
	require.Len(t, r.ByClass, 4)
	assert.Equal(t, blastradius.CriticalInfrastructure, r.ByClass[0].Class)
	assert.Equal(t, "0.04", r.ByClass[1].Rate.String())
	assert.Equal(t, "0.006667", r.ByClass[3].Rate.String())
	require.Len(t, r.ByBand, incident.Bands)
	assert.Equal(t, 20, r.ByBand[2].Low)
	assert.Equal(t, 30, r.ByBand[2].High)
	assert.Equal(t, "0.025", r.ByBand[2].Rate.String())
}

func TestUpdateApplyChangesOnlyWhatIsSet(t *testing.T) {
	yes := true
	cause := "dns"
	orig := incident.Resolution{Resolution: "kept", WasPreventable: nil}
	got := incident.Update{RootCause: &cause, WasPreventable: &yes}.Apply(orig)
	assert.Equal(t, "dns", got.RootCause)
	assert.Equal(t, "kept", got.Resolution)
	require.NotNil(t, got.WasPreventable)
	yes = false
	assert.True(t, *got.WasPreventable, "the update's pointer is not shared")
}

func TestCursorsRoundTripAndRejectJunk(t *testing.T) {
	c := incident.Cursor{OccurredAt: now.Add(123456 * time.Microsecond), ID: uuid.New()}
	got, err := incident.ParseCursor(c.String())
	require.NoError(t, err)
	assert.True(t, got.OccurredAt.Equal(c.OccurredAt))
	assert.Equal(t, c.ID, got.ID)
	for _, bad := range []string{"", "!!!", "bm90IGEgY3Vyc29y", "MjAyNi0wMy0wMlQxMjowMDowMFp8bm90LWEtdXVpZA"} {
		_, err := incident.ParseCursor(bad)
		e := trustgate.AsError(err)
		require.NotNil(t, e, bad)
		assert.Equal(t, trustgate.Invalid, e.Code, bad)
		assert.Equal(t, "cursor", e.Field, bad)
	}
}

func TestFilterValidate(t *testing.T) {
	p0, bad := incident.Severity("P0"), blastradius.Class("X")
	from, to := now, now.Add(-time.Hour)
	for name, f := range map[string]incident.Filter{
		"severity": {Severity: &p0}, "class": {Class: &bad}, "to": {From: &from, To: &to}, "limit": {Limit: -1},
	} {
		err := f.Validate()
		var fe *trustgate.Error
		require.ErrorAs(t, err, &fe, name)
		assert.Equal(t, name, fe.Field)
		assert.Equal(t, trustgate.Invalid, fe.Code)
	}
	f := incident.Filter{}
	assert.Equal(t, incident.DefaultPageSize, f.PageSize())
}

func TestDeploymentValidate(t *testing.T) {
	d := incident.Deployment{ID: uuid.New(), Application: "Slack", Class: blastradius.ProductivityTools,
		RiskScore: decimal.NewFromInt(10), ModelVersion: "1.1", FinishedAt: now}
	require.NoError(t, d.Validate(now))
	for field, mutate := range map[string]func(d *incident.Deployment){
		"id": func(d *incident.Deployment) { d.ID = uuid.Nil }, "class": func(d *incident.Deployment) { d.Class = "" },
		"risk_score":  func(d *incident.Deployment) { d.RiskScore = decimal.NewFromInt(-1) },
		"finished_at": func(d *incident.Deployment) { d.FinishedAt = now.Add(time.Hour) },
		"application": func(d *incident.Deployment) { d.Application = " " },
	} {
		x := d
		mutate(&x)
		var fe *trustgate.Error
		require.ErrorAs(t, x.Validate(now), &fe, field)
		assert.Equal(t, field, fe.Field)
		assert.Equal(t, trustgate.Invalid, fe.Code)
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(incident.Cursor{OccurredAt: now, ID: uuid.Nil}.String())
	f.Add("")
	f.Add("MjAyNi0wMy0wMlQxMjowMDowMFp8")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := incident.ParseCursor(s)
		if err != nil {
			if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != "cursor" {
				t.Fatalf("error %v is not an invalid cursor", err)
			}
			return
		}
		again, err := incident.ParseCursor(c.String())
		if err != nil || !again.OccurredAt.Equal(c.OccurredAt) || again.ID != c.ID {
			t.Fatalf("cursor %q does not round-trip: %v", s, err)
		}
	})
}

func FuzzParseSeverity(f *testing.F) {
	for _, s := range []string{"P1", "p1", "P0", "", "P1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sev, err := incident.ParseSeverity(s)
		if (err == nil) != (s == "P1" || s == "P2" || s == "P3" || s == "P4") || (err == nil && string(sev) != s) {
			t.Fatalf("ParseSeverity(%q) = %q, %v", s, sev, err)
		}
	})
}
