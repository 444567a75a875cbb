package storetest

import (
	"context"
	"fmt"
	"sync"
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
	assert.Equal(t, want.Active, got.Active)
}

func assertUTC(t require.TestingT, ts ...time.Time) {
	for _, x := range ts {
		if !x.IsZero() {
			assert.Equal(t, time.UTC, x.Location(), "time %s is not in UTC", x)
		}
	}
}

func runRiskModels(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"CreateRiskModelStoresEveryFieldExactly": func(e *env) {
			v := candidate("2.0")
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assertSameVersion(e.t, v, got)
			assertUTC(e.t, got.EffectiveAt, got.ReviewAt, got.CreatedAt, got.Approval.At)
		},
		"CreateRiskModelTruncatesTimesToMicrosecondsInUTC": func(e *env) {
			v := candidate("2.0")
			local := time.FixedZone("CET", 3600)
			v.EffectiveAt = time.Date(2026, 3, 1, 10, 0, 0, 123456789, local)
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC), got.EffectiveAt)
		},
		"CreateRiskModelUsesTheStoreClockWhenCreatedAtIsUnset": func(e *env) {
			v := candidate("2.0")
			v.CreatedAt = time.Time{}
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.True(e.t, got.CreatedAt.Equal(Epoch), "created_at %s, want the store clock %s", got.CreatedAt, Epoch)
		},
		"CreateRiskModelAppendsAnAuditEvent": func(e *env) {
			e.create(candidate("2.0"))
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelCreated, ev.Type)
			assert.Equal(e.t, "cab-admin", ev.Actor)
			assert.Equal(e.t, "riskmodel:2.0", ev.Subject)
			assert.True(e.t, ev.OccurredAt.Equal(Epoch))
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
			require.ErrorIs(e.t, e.s.CreateRiskModel(e.ctx(), v, "cab-admin"), store.ErrInvalid)
			_, err := e.s.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"CreateRiskModelRequiresAnActor": func(e *env) {
			require.ErrorIs(e.t, e.s.CreateRiskModel(e.ctx(), candidate("2.0"), "  "), store.ErrInvalid)
		},
		"RiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			_, err := e.s.RiskModel(e.ctx(), "9.9")
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ReturnedVersionsAreCopies": func(e *env) {
			v := candidate("2.0")
			e.create(v)
			v.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(99) // the caller's copy
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			got.Thresholds[blastradius.NonCritical] = decimal.NewFromInt(98)
			got.Weights[riskmodel.SupplyChain] = decimal.NewFromInt(1)
			again, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, "33.333333", again.Thresholds[blastradius.NonCritical].String())
			assert.Equal(e.t, "0.3334", again.Weights[riskmodel.SupplyChain].String())
		},
		"ListRiskModelsReturnsOldestFirst": func(e *env) {
			for i, ver := range []string{"3.0", "1.5", "2.0"} {
				v := candidate(ver)
				v.CreatedAt = Epoch.Add(time.Duration(i) * time.Hour)
				e.create(v)
			}
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			var got []string
			for _, v := range list {
				got = append(got, v.Version)
			}
			assert.Equal(e.t, []string{"3.0", "1.5", "2.0"}, got)
		},
		"ActiveRiskModelReturnsErrNotFoundWhenNoneIsActive": func(e *env) {
			e.create(candidate("2.0"))
			_, err := e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"ActivateRiskModelRequiresCABApproval": func(e *env) {
			e.create(unapproved("2.0"))
			before := e.auditSize()
			err := e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrNotApproved)
			_, err = e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
			assert.Equal(e.t, before, e.auditSize())
		},
		"ActivateRiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			require.ErrorIs(e.t, e.s.ActivateRiskModel(e.ctx(), "9.9", "cab-admin"), store.ErrNotFound)
		},
		"ActivateRiskModelSwitchesTheActiveVersionAndAudits": func(e *env) {
			e.create(candidate("2.0"))
			e.create(candidate("2.1"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.1", "cab-bob"))
			active, err := e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, "2.1", active.Version)
			assert.True(e.t, active.Active)
			old, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.False(e.t, old.Active)
			ev := e.lastEvent()
			assert.Equal(e.t, security.EventRiskModelActivated, ev.Type)
			assert.Equal(e.t, "cab-bob", ev.Actor)
			assert.JSONEq(e.t, `{"version":"2.1","previous":"2.0"}`, string(ev.Data))
		},
		"ActivatingTheActiveVersionAgainChangesNothing": func(e *env) {
			e.create(candidate("2.0"))
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			before := e.auditSize()
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin"))
			assert.Equal(e.t, before, e.auditSize())
		},
		"ApproveRiskModelRecordsTheApproverAndTheStoreTime": func(e *env) {
			e.create(unapproved("2.0"))
			e.clock.Advance(90 * time.Minute)
			require.NoError(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", "cab-carol"))
			got, err := e.s.RiskModel(e.ctx(), "2.0")
			require.NoError(e.t, err)
			assert.True(e.t, got.Approval.Approved)
			assert.Equal(e.t, "cab-carol", got.Approval.By)
			assert.True(e.t, got.Approval.At.Equal(Epoch.Add(90*time.Minute)))
			assert.Equal(e.t, security.EventRiskModelApproved, e.lastEvent().Type)
			require.NoError(e.t, e.s.ActivateRiskModel(e.ctx(), "2.0", "cab-carol"))
		},
		"ApproveRiskModelReturnsErrConflictWhenAlreadyApproved": func(e *env) {
			e.create(candidate("2.0"))
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", "cab-carol"), store.ErrConflict)
		},
		"ApproveRiskModelReturnsErrNotFoundForAnUnknownVersion": func(e *env) {
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "9.9", "cab-carol"), store.ErrNotFound)
		},
		"ApproveRiskModelRequiresAnApprover": func(e *env) {
			e.create(unapproved("2.0"))
			require.ErrorIs(e.t, e.s.ApproveRiskModel(e.ctx(), "2.0", ""), store.ErrInvalid)
		},
		"ExactlyOneVersionIsActiveAfter32ConcurrentActivations": func(e *env) {
			const n = 32
			for i := range n {
				e.create(candidate(fmt.Sprintf("c%d", i)))
			}
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- e.s.ActivateRiskModel(e.ctx(), fmt.Sprintf("c%d", i), "cab-admin")
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(e.t, err)
			}
			list, err := e.s.ListRiskModels(e.ctx())
			require.NoError(e.t, err)
			active := 0
			for _, v := range list {
				if v.Active {
					active++
				}
			}
			assert.Equal(e.t, 1, active, "exactly one active version")
			_, err = e.s.ActiveRiskModel(e.ctx())
			require.NoError(e.t, err)
			head, err := security.VerifyChain(e.ctx(), e.s, security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(2*n), head.Size, "one created and one activated event per version")
		},
	})
}
