package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 2, 10, 9, 0, 0, 123456000, time.UTC)

// version returns a valid, approved, inactive version with decimals a float
// column would not keep.
func version(name string) riskmodel.Version {
	v := riskmodel.Seed(epoch)
	v.Version = name
	v.Active = false
	v.Thresholds[blastradius.NonCritical] = decimal.RequireFromString("33.333333")
	v.Weights = map[riskmodel.Factor]decimal.Decimal{
		riskmodel.PrivilegeElevation: decimal.RequireFromString("0.3333"),
		riskmodel.BlastRadius:        decimal.RequireFromString("0.3333"),
		riskmodel.SupplyChain:        decimal.RequireFromString("0.3334"),
	}
	v.ExceptionThreshold = decimal.RequireFromString("79.990")
	v.CreatedAt = epoch.Add(time.Hour)
	return v
}

func auditSize(t *testing.T, s store.Store) int64 {
	t.Helper()
	h, err := s.AuditHead(t.Context())
	require.NoError(t, err)
	return h.Size
}

func lastEvent(t *testing.T, s store.Store) security.Event {
	t.Helper()
	evs, err := s.ListAuditEvents(t.Context(), auditSize(t, s)-1, 1)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	return evs[0]
}

func TestRiskModelsRoundTripExactly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, func() time.Time { return epoch })
		v := version("2.0")
		v.EffectiveAt = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
		v.Calibration = json.RawMessage(`{"weeks": 4, "rate": "0.018"}`)
		require.NoError(t, s.CreateRiskModel(ctx, v, "cab-admin"))

		got, err := s.RiskModel(ctx, "2.0")
		require.NoError(t, err)
		assert.Equal(t, time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC), got.EffectiveAt)
		assert.Equal(t, v.ReviewAt, got.ReviewAt)
		assert.Equal(t, v.CreatedAt, got.CreatedAt)
		assert.Equal(t, v.Approval, got.Approval)
		assert.Equal(t, "79.99", got.ExceptionThreshold.String())
		assert.Equal(t, "33.333333", got.Thresholds[blastradius.NonCritical].String())
		assert.Equal(t, "0.3334", got.Weights[riskmodel.SupplyChain].String())
		assert.Len(t, got.Thresholds, 4)
		assert.Len(t, got.Weights, 3)
		assert.Equal(t, string(v.Calibration), string(got.Calibration), "calibration is kept byte for byte")
		assert.False(t, got.Active)
		require.NoError(t, got.Validate())

		v2 := version("2.1")
		v2.Calibration = nil
		v2.Approval = riskmodel.Approval{}
		v2.CreatedAt = time.Time{}
		require.NoError(t, s.CreateRiskModel(ctx, v2, "cab-admin"))
		got, err = s.RiskModel(ctx, "2.1")
		require.NoError(t, err)
		assert.Nil(t, got.Calibration)
		assert.Equal(t, riskmodel.Approval{}, got.Approval)
		assert.Equal(t, epoch, got.CreatedAt, "the store clock stands in for an unset CreatedAt")

		ev, err := s.ListAuditEvents(ctx, 0, 10)
		require.NoError(t, err)
		require.Len(t, ev, 2)
		assert.Equal(t, security.EventRiskModelCreated, ev[0].Type)
		assert.Equal(t, "riskmodel:2.0", ev[0].Subject)
		assert.JSONEq(t, `{"version":"2.0","mode":"GREENFIELD_CONSERVATIVE"}`, string(ev[0].Data))
	})
}

func TestCreateRiskModelErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		require.NoError(t, s.CreateRiskModel(ctx, version("2.0"), "cab-admin"))

		require.ErrorIs(t, s.CreateRiskModel(ctx, version("2.0"), "cab-admin"), store.ErrConflict)
		require.ErrorIs(t, s.CreateRiskModel(ctx, version("2.1"), " "), store.ErrInvalid)
		active := version("2.2")
		active.Active = true
		require.ErrorIs(t, s.CreateRiskModel(ctx, active, "cab-admin"), store.ErrInvalid)
		bad := version("2.3")
		bad.Weights[riskmodel.SupplyChain] = decimal.RequireFromString("0.3")
		err := s.CreateRiskModel(ctx, bad, "cab-admin")
		require.ErrorIs(t, err, riskmodel.ErrWeightsSum)
		var fe *trustgate.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, trustgate.Invalid, fe.Code)
		assert.Equal(t, "weights", fe.Field)
		// An actor the audit log refuses rolls the version back too.
		err = s.CreateRiskModel(ctx, version("2.4"), "bad\nactor")
		var se *trustgate.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, trustgate.Invalid, se.Code)
		assert.Equal(t, "actor", se.Field)

		for _, name := range []string{"2.1", "2.2", "2.3", "2.4"} {
			_, err := s.RiskModel(ctx, name)
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}
		assert.Equal(t, int64(1), auditSize(t, s), "failed creates write no event")
	})
}

func TestApproveAndActivate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		now := epoch
		s := b.newStore(t, func() time.Time { return now })
		unapproved := version("2.0")
		unapproved.Approval = riskmodel.Approval{}
		require.NoError(t, s.CreateRiskModel(ctx, unapproved, "cab-admin"))
		require.NoError(t, s.CreateRiskModel(ctx, version("2.1"), "cab-admin"))

		err := s.ActivateRiskModel(ctx, "2.0", "cab-admin")
		require.ErrorIs(t, err, riskmodel.ErrNotApproved)
		var fe *trustgate.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, trustgate.Conflict, fe.Code)
		assert.Equal(t, "MODEL_NOT_APPROVED", fe.Reason)
		assert.Equal(t, "active", fe.Field)
		require.ErrorIs(t, s.ActivateRiskModel(ctx, "9.9", "cab-admin"), store.ErrNotFound)
		require.ErrorIs(t, s.ActivateRiskModel(ctx, "2.1", " "), store.ErrInvalid)
		require.ErrorIs(t, s.ApproveRiskModel(ctx, "9.9", "cab-carol"), store.ErrNotFound)
		require.ErrorIs(t, s.ApproveRiskModel(ctx, "2.0", ""), store.ErrInvalid)
		require.ErrorIs(t, s.ApproveRiskModel(ctx, "2.1", "cab-carol"), store.ErrConflict)
		_, err = s.ActiveRiskModel(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)

		require.NoError(t, s.ActivateRiskModel(ctx, "2.1", "cab-bob"))
		assert.JSONEq(t, `{"version":"2.1","previous":""}`, string(lastEvent(t, s).Data),
			"no previous version: an empty string, as in every adapter")

		now = now.Add(90 * time.Minute)
		require.NoError(t, s.ApproveRiskModel(ctx, "2.0", "cab-carol"))
		got, err := s.RiskModel(ctx, "2.0")
		require.NoError(t, err)
		assert.Equal(t, riskmodel.Approval{Approved: true, By: "cab-carol", At: now}, got.Approval)
		assert.JSONEq(t, `{"version":"2.0"}`, string(lastEvent(t, s).Data))
		require.NoError(t, s.ActivateRiskModel(ctx, "2.0", "cab-bob"))
		ev := lastEvent(t, s)
		assert.Equal(t, security.EventRiskModelActivated, ev.Type)
		assert.JSONEq(t, `{"version":"2.0","previous":"2.1"}`, string(ev.Data))

		before := auditSize(t, s)
		require.NoError(t, s.ActivateRiskModel(ctx, "2.0", "cab-bob"))
		assert.Equal(t, before, auditSize(t, s), "activating the active version again writes nothing")

		active, err := s.ActiveRiskModel(ctx)
		require.NoError(t, err)
		assert.Equal(t, "2.0", active.Version)
		assert.True(t, active.Active)
		list, err := s.ListRiskModels(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.False(t, list[1].Active)
	})
}

func TestListRiskModelsOldestFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		for i, name := range []string{"3.0", "1.5", "2.0", "0.9"} {
			v := version(name)
			v.CreatedAt = epoch.Add(time.Duration(i/2) * time.Hour) // pairs tie on time
			require.NoError(t, s.CreateRiskModel(ctx, v, "cab-admin"))
		}
		list, err := s.ListRiskModels(ctx)
		require.NoError(t, err)
		var names []string
		for _, v := range list {
			names = append(names, v.Version)
			assert.Len(t, v.Thresholds, 4)
		}
		assert.Equal(t, []string{"1.5", "3.0", "0.9", "2.0"}, names)
	})
}

func TestExactlyOneActiveUnderConcurrentActivation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		const n = 32
		for i := range n {
			require.NoError(t, s.CreateRiskModel(ctx, version(fmt.Sprintf("c%d", i)), "cab-admin"))
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = s.ActivateRiskModel(ctx, fmt.Sprintf("c%d", i), "cab-admin") })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		list, err := s.ListRiskModels(ctx)
		require.NoError(t, err)
		active := 0
		for _, v := range list {
			if v.Active {
				active++
			}
		}
		assert.Equal(t, 1, active)
		head, err := security.VerifyChain(ctx, s, security.VerifyOptions{PageSize: 7})
		require.NoError(t, err)
		assert.Equal(t, int64(2*n), head.Size)
	})
}

func TestClassesAndMaturity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		s := b.newStore(t, time.Now)
		defs := blastradius.Definitions()
		for i := len(defs) - 1; i >= 0; i-- {
			require.NoError(t, s.CreateClassDefinition(ctx, defs[i]))
		}
		require.ErrorIs(t, s.CreateClassDefinition(ctx, defs[0]), store.ErrConflict)
		wrong := defs[0]
		wrong.Quorum = 1
		require.ErrorIs(t, s.CreateClassDefinition(ctx, wrong), store.ErrInvalid)
		wrong = defs[1]
		wrong.AutoApproveAllowed = false
		require.ErrorIs(t, s.CreateClassDefinition(ctx, wrong), store.ErrInvalid)
		require.ErrorIs(t, s.CreateClassDefinition(ctx, blastradius.Definition{Class: "MEH"}), store.ErrInvalid)

		got, err := s.ListClassDefinitions(ctx)
		require.NoError(t, err)
		assert.Equal(t, defs, got, "most severe first, every field kept")
		one, err := s.ClassDefinition(ctx, blastradius.BusinessCritical)
		require.NoError(t, err)
		assert.Equal(t, defs[1], one)
		_, err = s.ClassDefinition(ctx, "MEH")
		require.ErrorIs(t, err, store.ErrNotFound)

		_, err = s.MaturityState(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.InitMaturityState(ctx, maturity.State{Level: 7}), store.ErrInvalid)
		st := maturity.State{Level: maturity.CautiousLevel, Since: epoch.Add(time.Nanosecond), ModelVersion: "1.1", Reason: "test"}
		require.NoError(t, s.InitMaturityState(ctx, st))
		require.ErrorIs(t, s.InitMaturityState(ctx, st), store.ErrConflict)
		gotSt, err := s.MaturityState(ctx)
		require.NoError(t, err)
		st.Since = epoch
		assert.Equal(t, st, gotSt)
	})
}
