package storetest

import (
	"testing"
	"time"

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

// assertSameDeployment compares two deployment records field by field,
// the score by value.
func assertSameDeployment(t require.TestingT, want, got incident.Deployment) {
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Application, got.Application)
	assert.Equal(t, want.EvidenceID, got.EvidenceID)
	assert.Equal(t, want.RequestID, got.RequestID)
	assert.Equal(t, want.Class, got.Class)
	assert.Equal(t, want.AutoApproved, got.AutoApproved)
	assert.True(t, want.RiskScore.Equal(got.RiskScore), "risk score %s != %s", want.RiskScore, got.RiskScore)
	assert.Equal(t, want.ModelVersion, got.ModelVersion)
	assert.Equal(t, want.FinishedAt, got.FinishedAt)
	assert.Equal(t, want.CreatedAt, got.CreatedAt)
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
				assert.Equal(e.t, e.at(d.FinishedAt), x.FinishedAt)
				assert.True(e.t, x.CreatedAt.Equal(e.at(Epoch)))
			}
			assert.Equal(e.t, security.EventDeploymentRecorded, e.lastEvent().Type)
		},
		"RecordingTheSameDeploymentAgainReturnsTheStoredRecord": func(e *env) {
			d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
			e.record(d)
			before := e.auditSize()
			e.clock.Advance(time.Hour)
			got := e.record(d)
			assert.True(e.t, got.CreatedAt.Equal(e.at(Epoch)), "the stored record, not a new one")
			assert.Equal(e.t, before, e.auditSize())
		},
		"ARepeatedDeploymentIsComparedAsStored": func(e *env) {
			d := deployment("Zoom", blastradius.ProductivityTools, true, "12.5", e.at(Epoch.Add(-time.Hour)))
			first := e.record(d)
			// The same instant in another zone, plus less than the precision
			// keeps, and the same score written differently: the same record.
			d.FinishedAt = d.FinishedAt.In(time.FixedZone("X", 3600)).Add(e.precision() - time.Nanosecond)
			d.RiskScore = decimal.RequireFromString("12.500")
			again := e.record(d)
			assertSameDeployment(e.t, first, again)
			assert.Equal(e.t, "12.5", again.RiskScore.String(), "the stored record comes back")
			assert.Equal(e.t, int64(1), e.auditSize())
			// One precision step later is another deployment.
			d.FinishedAt = first.FinishedAt.Add(e.precision())
			_, err := e.s.RecordDeployment(e.ctx(), d)
			require.ErrorIs(e.t, err, store.ErrConflict)
		},
		"ADifferentDeploymentUnderTheSameIDIsErrConflict": func(e *env) {
			d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
			e.record(d)
			d.RiskScore = decimal.RequireFromString("31")
			_, err := e.s.RecordDeployment(e.ctx(), d)
			require.ErrorIs(e.t, err, store.ErrConflict)
		},
		"RecordDeploymentRejectsInvalidRecordsAndWritesNothing": func(e *env) {
			bad := map[string]func(d *incident.Deployment){
				"id":            func(d *incident.Deployment) { d.ID = uuid.Nil },
				"class":         func(d *incident.Deployment) { d.Class = "HUGE" },
				"risk_score":    func(d *incident.Deployment) { d.RiskScore = decimal.RequireFromString("100.5") },
				"finished_at":   func(d *incident.Deployment) { d.FinishedAt = Epoch.Add(time.Hour) },
				"application":   func(d *incident.Deployment) { d.Application = "" },
				"model_version": func(d *incident.Deployment) { d.ModelVersion = "" },
			}
			for field, mutate := range bad {
				d := deployment("Slack", blastradius.ProductivityTools, false, "30", Epoch.Add(-time.Hour))
				mutate(&d)
				_, err := e.s.RecordDeployment(e.ctx(), d)
				requireInvalid(e.t, err, field)
			}
			assert.Zero(e.t, e.auditSize())
			_, err := e.s.EarliestDeploymentAt(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
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
			assert.Equal(e.t, e.at(Epoch.Add(-5*time.Hour)), at)
		},
	})
}
