package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// candidate returns a valid, approved, inactive model version with awkward
// exact decimals that a float or a rounding column would not round-trip.
func candidate(version string) riskmodel.Version {
	v := riskmodel.Seed(Epoch)
	v.Version = version
	v.Mode = riskmodel.Cautious
	v.Active = false
	v.Thresholds[blastradius.BusinessCritical] = decimal.RequireFromString("5.125")
	v.Thresholds[blastradius.ProductivityTools] = decimal.RequireFromString("20")
	v.Thresholds[blastradius.NonCritical] = decimal.RequireFromString("33.333333")
	v.Weights = map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: decimal.RequireFromString("0.3333"),
		riskmodel.BlastRadius:        decimal.RequireFromString("0.3333"),
		riskmodel.SupplyChain:        decimal.RequireFromString("0.3334"),
	}
	v.ExceptionThreshold = decimal.RequireFromString("79.99")
	v.EffectiveAt = Epoch.Add(24 * time.Hour)
	v.ReviewAt = Epoch.Add(31 * 24 * time.Hour)
	v.Approval = riskmodel.Approval{Approved: true, By: "cab-alice", At: Epoch.Add(time.Hour)}
	v.Calibration = []byte(`{"incident_rate":"0.018","weeks":4}`)
	v.CreatedAt = Epoch.Add(2 * time.Hour)
	v.CreatedBy = "cab-admin" // as e.create stores it
	return v
}

// unapproved returns a valid version the CAB has not approved yet.
func unapproved(version string) riskmodel.Version {
	v := candidate(version)
	v.Approval = riskmodel.Approval{}
	return v
}

func (e *env) ctx() context.Context { return e.t.Context() }

func (e *env) create(v riskmodel.Version) {
	e.t.Helper()
	require.NoError(e.t, e.s.CreateRiskModel(e.ctx(), v, "cab-admin"))
}

func (e *env) auditSize() int64 {
	e.t.Helper()
	h, err := e.s.AuditHead(e.ctx())
	require.NoError(e.t, err)
	return h.Size
}

func (e *env) lastEvent() security.Event {
	e.t.Helper()
	size := e.auditSize()
	require.Positive(e.t, size, "audit log is empty")
	evs, err := e.s.ListAuditEvents(e.ctx(), size-1, 1)
	require.NoError(e.t, err)
	require.Len(e.t, evs, 1)
	return evs[0]
}

// events returns every event of the log, in order.
func (e *env) events() []security.Event {
	e.t.Helper()
	evs, err := e.s.ListAuditEvents(e.ctx(), 0, store.MaxAuditPage)
	require.NoError(e.t, err)
	return evs
}

// asStored returns v with its times as the store keeps them.
func (e *env) asStored(v riskmodel.Version) riskmodel.Version {
	v = v.Clone()
	v.EffectiveAt, v.ReviewAt, v.CreatedAt = e.at(v.EffectiveAt), e.at(v.ReviewAt), e.at(v.CreatedAt)
	if !v.Approval.At.IsZero() {
		v.Approval.At = e.at(v.Approval.At)
	}
	for i := range v.Signoffs {
		v.Signoffs[i].At = e.at(v.Signoffs[i].At)
	}
	return v
}

// assertSameVersion compares two versions field by field, decimals by value
// and exponent-insensitively, times as instants.
func assertSameVersion(t require.TestingT, want, got riskmodel.Version) {
	assert.Equal(t, want.Version, got.Version)
	assert.Equal(t, want.Mode, got.Mode)
	assert.True(t, want.EffectiveAt.Equal(got.EffectiveAt), "effective_at %s != %s", want.EffectiveAt, got.EffectiveAt)
	assert.True(t, want.ReviewAt.Equal(got.ReviewAt), "review_at %s != %s", want.ReviewAt, got.ReviewAt)
	assert.Len(t, got.Thresholds, len(want.Thresholds))
	for c, th := range want.Thresholds {
		assert.True(t, th.Equal(got.Thresholds[c]), "threshold %s: %s != %s", c, th, got.Thresholds[c])
	}
	assert.Len(t, got.Weights, len(want.Weights))
	for f, w := range want.Weights {
		assert.True(t, w.Equal(got.Weights[f]), "weight %s: %s != %s", f, w, got.Weights[f])
	}
	assert.True(t, want.ExceptionThreshold.Equal(got.ExceptionThreshold))
	assert.Equal(t, want.Approval.Approved, got.Approval.Approved)
	assert.Equal(t, want.Approval.By, got.Approval.By)
	assert.True(t, want.Approval.At.Equal(got.Approval.At), "approval.at %s != %s", want.Approval.At, got.Approval.At)
	if want.Calibration == nil {
		assert.Empty(t, got.Calibration)
	} else {
		assert.JSONEq(t, string(want.Calibration), string(got.Calibration))
	}
	assert.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at %s != %s", want.CreatedAt, got.CreatedAt)
	assert.Equal(t, want.CreatedBy, got.CreatedBy)
	assertSameSignoffs(t, want.Signoffs, got.Signoffs)
	assert.Equal(t, want.Active, got.Active)
}

// assertSameSignoffs compares signoffs, times as instants and envelopes
// byte for byte.
func assertSameSignoffs(t require.TestingT, want, got []riskmodel.Signoff) {
	if !assert.Len(t, got, len(want), "signoffs") {
		return
	}
	for i := range want {
		assert.Equal(t, want[i].By, got[i].By, "signoffs[%d].by", i)
		assert.True(t, want[i].At.Equal(got[i].At), "signoffs[%d].at %s != %s", i, want[i].At, got[i].At)
		assert.Equal(t, want[i].Envelope, got[i].Envelope, "signoffs[%d].envelope", i)
	}
}

// contentHash returns v's content hash in hex.
func contentHash(t require.TestingT, v riskmodel.Version) string {
	h, err := v.ContentHash()
	require.NoError(t, err)
	return security.Digest(h).String()
}

func assertUTC(t require.TestingT, ts ...time.Time) {
	for _, x := range ts {
		if !x.IsZero() {
			assert.Equal(t, time.UTC, x.Location(), "time %s is not in UTC", x)
		}
	}
}

func runRiskModels(t *testing.T, h Harness) {
	subtests(t, h, cases(modelCases(), activationCases()))
}

// modelCases are the creation and reading of versions.
func modelCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"CreateRiskModelStoresEveryFieldExactly": func(e *env) {
			v := candidate("2.0")
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assertSameVersion(e.t, e.asStored(v), got)
			assertUTC(e.t, got.EffectiveAt, got.ReviewAt, got.CreatedAt, got.Approval.At)
		},
		"CreateRiskModelTruncatesTimesToThePrecisionInUTC": func(e *env) {
			v := candidate("2.0")
			local := time.FixedZone("CET", 3600)
			v.EffectiveAt = time.Date(2026, 3, 1, 10, 0, 0, 123456789, local)
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC).Truncate(e.precision()), got.EffectiveAt)
		},
		"CreateRiskModelUsesTheStoreClockWhenCreatedAtIsUnset": func(e *env) {
			v := candidate("2.0")
			v.CreatedAt = time.Time{}
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.True(e.t, got.CreatedAt.Equal(e.at(Epoch)), "created_at %s, want the store clock %s", got.CreatedAt, e.at(Epoch))
		},
		"CreateRiskModelAppendsAnAuditEvent": func(e *env) {
			v := candidate("2.0")
			e.create(v)
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelCreated, ev.Type)
			assert.Equal(e.t, "cab-admin", ev.Actor)
			assert.Equal(e.t, "riskmodel:2.0", ev.Subject)
			assert.True(e.t, ev.OccurredAt.Equal(e.at(Epoch)))
			assert.JSONEq(e.t, `{"version":"2.0","mode":"CAUTIOUS","content_sha256":"`+contentHash(e.t, v)+`"}`, string(ev.Data),
				"the event records the content hash of the version as given, which is the version as stored")
		},
		"CreateRiskModelReturnsErrConflictForADuplicateVersion": func(e *env) {
			e.create(candidate("2.0"))
			before := e.auditSize()
			err := e.s.CreateRiskModel(e.ctx(), candidate("2.0"), "cab-admin")
			require.ErrorIs(e.t, err, store.ErrConflict)
			assert.Equal(e.t, before, e.auditSize(), "a failed create writes no audit event")
		},
		"CreateRiskModelReturnsTheValidationErrorAndWritesNothing": func(e *env) {
			v := candidate("2.0")
			v.Weights[riskmodel.SupplyChain] = decimal.RequireFromString("0.3")
			err := e.s.CreateRiskModel(e.ctx(), v, "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrWeightsSum)
			var fe *trustgate.Error
			require.ErrorAs(e.t, err, &fe)
			assert.Equal(e.t, trustgate.Invalid, fe.Code)
			assert.Equal(e.t, "weights", fe.Field)
			_, err = e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Zero(e.t, e.auditSize())
		},
		"CreateRiskModelRejectsAnActiveVersion": func(e *env) {
			v := candidate("2.0")
			v.Active = true
			requireInvalid(e.t, e.s.CreateRiskModel(e.ctx(), v, "cab-admin"), "active")
			_, err := e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"CreateRiskModelRequiresAnActor": func(e *env) {
			requireInvalid(e.t, e.s.CreateRiskModel(e.ctx(), candidate("2.0"), "  "), "actor")
		},
		"CreateRiskModelRefusesBadInputAndWritesNothing": func(e *env) {
			e.create(candidate("2.0"))
			require.ErrorIs(e.t, e.s.CreateRiskModel(e.ctx(), candidate("2.0"), "cab-admin"), store.ErrConflict)
			requireInvalid(e.t, e.s.CreateRiskModel(e.ctx(), candidate("2.1"), " "), "actor")
			active := candidate("2.2")
			active.Active = true
			requireInvalid(e.t, e.s.CreateRiskModel(e.ctx(), active, "cab-admin"), "active")
			bad := candidate("2.3")
			bad.Weights[riskmodel.SupplyChain] = decimal.RequireFromString("0.3")
			err := e.s.CreateRiskModel(e.ctx(), bad, "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrWeightsSum)
			requireInvalid(e.t, err, "weights")
			// An actor the audit log refuses leaves no version behind either.
			err = e.s.CreateRiskModel(e.ctx(), candidate("2.4"), "bad\nactor")
			requireInvalid(e.t, err, "actor")
			for _, name := range []string{"2.1", "2.2", "2.3", "2.4"} {
				_, err := e.s.RiskModel(e.ctx(), name)
				require.ErrorIs(e.t, err, store.ErrNotFound, name)
			}
			assert.Equal(e.t, int64(1), e.auditSize(), "failed creates write no event")
		},
		"RiskModelsRoundTripExactly": func(e *env) {
			v := candidate("2.0")
			v.Mode = riskmodel.Seed(Epoch).Mode
			v.ExceptionThreshold = decimal.RequireFromString("79.990")
			v.EffectiveAt = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
			v.Calibration = json.RawMessage(`{"weeks": 4, "rate": "0.018"}`)
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC).Truncate(e.precision()), got.EffectiveAt)
			assert.Equal(e.t, e.at(v.ReviewAt), got.ReviewAt)
			assert.Equal(e.t, e.at(v.CreatedAt), got.CreatedAt)
			assert.Equal(e.t, riskmodel.Approval{Approved: true, By: "cab-alice", At: e.at(v.Approval.At)}, got.Approval)
			assert.Equal(e.t, "79.99", got.ExceptionThreshold.String())
			assert.Equal(e.t, "33.333333", got.Thresholds[blastradius.NonCritical].String())
			assert.Equal(e.t, "0.3334", got.Weights[riskmodel.SupplyChain].String())
			assert.Len(e.t, got.Thresholds, 4)
			assert.Len(e.t, got.Weights, 3)
			assert.Equal(e.t, string(v.Calibration), string(got.Calibration), "calibration is kept byte for byte")
			assert.False(e.t, got.Active)
			require.NoError(e.t, got.Validate())

			v2 := candidate("2.1")
			v2.Calibration = nil
			v2.Approval = riskmodel.Approval{}
			v2.CreatedAt = time.Time{}
			e.create(v2)
			got, err = e.s.RiskModel(e.ctx(), "2.1")
			require.NoError(e.t, err)
			assert.Nil(e.t, got.Calibration)
			assert.Equal(e.t, riskmodel.Approval{}, got.Approval)
			assert.Equal(e.t, e.at(Epoch), got.CreatedAt, "the store clock stands in for an unset CreatedAt")

			ev := e.events()
			require.Len(e.t, ev, 2)
			assert.Equal(e.t, security.EventRiskModelCreated, ev[0].Type)
			assert.Equal(e.t, "riskmodel:2.0", ev[0].Subject)
			stored, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.JSONEq(e.t, `{"version":"2.0","mode":"GREENFIELD_CONSERVATIVE","content_sha256":"`+contentHash(e.t, stored)+`"}`,
				string(ev[0].Data))
		},
		"RiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			_, err := e.s.RiskModel(e.ctx(), "9.9")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			requireCode(e.t, err, trustgate.NotFound)
		},
		"ReturnedVersionsAreCopies": func(e *env) {
			v := candidate("2.0")
			e.create(v)
			v.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(99) // the caller's copy
			v.Calibration[2] = 'X'
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			got.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(98)
			got.Weights[riskmodel.SupplyChain] = decimal.NewFromInt(1)
			got.Calibration[2] = 'Y'
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			require.Len(e.t, list, 1)
			list[0].Calibration[2] = 'Z'
			list[0].Thresholds[blastradius.CriticalInfrastructure] = list[0].ExceptionThreshold
			again, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, "33.333333", again.Thresholds[blastradius.NonCritical].String())
			assert.Equal(e.t, "0.3334", again.Weights[riskmodel.SupplyChain].String())
			assert.True(e.t, again.Thresholds[blastradius.CriticalInfrastructure].IsZero())
			assert.Equal(e.t, string(candidate("2.0").Calibration), string(again.Calibration))
		},
		"ListRiskModelsReturnsOldestFirstThenByVersion": func(e *env) {
			for i, ver := range []string{"3.0", "1.5", "2.0", "0.9"} {
				v := candidate(ver)
				v.CreatedAt = Epoch.Add(time.Duration(i/2) * time.Hour) // pairs tie on time
				e.create(v)
			}
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			var got []string
			for _, v := range list {
				got = append(got, v.Version)
				assert.Len(e.t, v.Thresholds, 4, v.Version)
				assert.Len(e.t, v.Weights, 3, v.Version)
			}
			assert.Equal(e.t, []string{"1.5", "3.0", "0.9", "2.0"}, got)
		},
	}
}
