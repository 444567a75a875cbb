package memstore

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsGiveTimeOrderedIDsAndADiscardLogger(t *testing.T) {
	s := New(Options{})
	require.NotNil(t, s.log)
	assert.False(t, s.log.Enabled(t.Context(), -100), "the default logger discards everything")
	e, err := s.AppendAudit(t.Context(), security.EventInput{Type: "t", Actor: "a"})
	require.NoError(t, err)
	assert.Equal(t, uuid.Version(7), e.ID.Version())
	assert.WithinDuration(t, time.Now(), e.OccurredAt, time.Minute)
	assert.Equal(t, time.UTC, e.OccurredAt.Location())
}

func TestNewIDIsUsedForEveryEvent(t *testing.T) {
	id := uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")
	s := New(Options{Now: func() time.Time { return epoch }, NewID: func() uuid.UUID { return id }})
	require.NoError(t, s.CreateRiskModel(t.Context(), model("1.0"), "admin"))
	evs, err := s.ListAuditEvents(t.Context(), 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, id, evs[0].ID)
	assert.JSONEq(t, `{"version":"1.0","mode":"GREENFIELD_CONSERVATIVE"}`, string(evs[0].Data))
}

func TestTheFirstActivationNamesNoPreviousVersion(t *testing.T) {
	s := newTestStore(t)
	require.NoError(t, s.CreateRiskModel(t.Context(), model("1.0"), "admin"))
	require.NoError(t, s.ActivateRiskModel(t.Context(), "1.0", "cab"))
	evs, err := s.ListAuditEvents(t.Context(), 1, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, security.EventRiskModelActivated, evs[0].Type)
	assert.Equal(t, "riskmodel:1.0", evs[0].Subject)
	assert.JSONEq(t, `{"version":"1.0","previous":""}`, string(evs[0].Data))
}

func TestActivationAndApprovalRequireAnActor(t *testing.T) {
	s := newTestStore(t)
	require.NoError(t, s.CreateRiskModel(t.Context(), model("1.0"), "admin"))
	require.ErrorIs(t, s.ActivateRiskModel(t.Context(), "1.0", " "), store.ErrInvalid)
	require.ErrorIs(t, s.ApproveRiskModel(t.Context(), "1.0", "\t"), store.ErrInvalid)
	assert.Equal(t, int64(1), head(t, s).Size)
}

func TestActivatingAnUnapprovedVersionIsAFieldError(t *testing.T) {
	s := newTestStore(t)
	v := model("1.0")
	v.Approval = riskmodel.Approval{}
	require.NoError(t, s.CreateRiskModel(t.Context(), v, "admin"))
	err := s.ActivateRiskModel(t.Context(), "1.0", "cab")
	var fe *trustgate.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "active", fe.Field)
	assert.Equal(t, trustgate.Conflict, fe.Code)
	assert.Equal(t, "MODEL_NOT_APPROVED", fe.Reason)
	require.ErrorIs(t, err, riskmodel.ErrNotApproved)
}

func TestCreateRiskModelValidatesTheStoredTimes(t *testing.T) {
	// Review 1ns after effective: equal once truncated to microseconds.
	s := newTestStore(t)
	v := model("1.0")
	v.EffectiveAt = epoch
	v.ReviewAt = epoch.Add(time.Nanosecond)
	require.ErrorIs(t, s.CreateRiskModel(t.Context(), v, "admin"), riskmodel.ErrOutOfRange)
	assert.Zero(t, head(t, s).Size)
}

func TestStoredValuesAreCopies(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()

	v := model("1.0")
	require.NoError(t, s.CreateRiskModel(ctx, v, "admin"))
	v.Calibration[2] = 'X'
	list, err := s.ListRiskModels(ctx)
	require.NoError(t, err)
	list[0].Calibration[2] = 'Y'
	list[0].Thresholds[blastradius.NonCritical] = list[0].ExceptionThreshold
	got, err := s.RiskModel(ctx, "1.0")
	require.NoError(t, err)
	assert.Equal(t, string(model("1.0").Calibration), string(got.Calibration))
	assert.True(t, got.Thresholds[blastradius.NonCritical].IsZero())

	data := json.RawMessage(`{"a":1}`)
	e, err := s.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a", Data: data})
	require.NoError(t, err)
	e.Data[1] = 'X'
	evs, err := s.ListAuditEvents(ctx, 0, 10)
	require.NoError(t, err)
	evs[1].Data[1] = 'Y'
	evs, err = s.ListAuditEvents(ctx, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(evs[1].Data))

	cp := security.Checkpoint{Size: 2, KeyID: "k", Head: evs[1].Hash, SignedAt: epoch, Signature: []byte{1, 2, 3}}
	require.NoError(t, s.SaveCheckpoint(ctx, cp))
	cp.Signature[0] = 9
	got2, err := s.LatestCheckpoint(ctx)
	require.NoError(t, err)
	got2.Signature[1] = 9
	got3, err := s.LatestCheckpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, got3.Signature)
}

func TestTimesAreStoredInUTCMicroseconds(t *testing.T) {
	zone := time.FixedZone("X", -5*3600)
	s := New(Options{Now: func() time.Time { return time.Date(2026, 5, 1, 7, 0, 0, 999, zone) }})
	ctx := t.Context()
	v := model("1.0")
	v.Approval = riskmodel.Approval{}
	v.CreatedAt = time.Time{}
	require.NoError(t, s.CreateRiskModel(ctx, v, "admin"))
	require.NoError(t, s.ApproveRiskModel(ctx, "1.0", "cab"))
	require.NoError(t, s.InitMaturityState(ctx, maturity.State{Since: time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)}))
	require.NoError(t, s.SaveCheckpoint(ctx, security.Checkpoint{Size: 0, KeyID: "k", SignedAt: time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)}))

	want := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	got, err := s.RiskModel(ctx, "1.0")
	require.NoError(t, err)
	assert.Equal(t, want, got.CreatedAt)
	assert.Equal(t, want, got.Approval.At)
	st, err := s.MaturityState(ctx)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 1, 5, 0, 0, 1000, time.UTC), st.Since)
	cp, err := s.LatestCheckpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 1, 5, 0, 0, 1000, time.UTC), cp.SignedAt)
	// The same checkpoint again, as given before normalisation: a no-op.
	require.NoError(t, s.SaveCheckpoint(ctx, security.Checkpoint{Size: 0, KeyID: "k", SignedAt: time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)}))
}

func TestCheckpoints(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	require.ErrorIs(t, s.SaveCheckpoint(ctx, security.Checkpoint{Size: -1, KeyID: "k"}), store.ErrInvalid)
	a := security.Checkpoint{Size: 5, KeyID: "a", SignedAt: epoch, Signature: []byte{1}}
	b := security.Checkpoint{Size: 5, KeyID: "b", SignedAt: epoch.Add(time.Second), Signature: []byte{2}}
	c := security.Checkpoint{Size: 3, KeyID: "c", SignedAt: epoch.Add(time.Hour), Signature: []byte{3}}
	for _, cp := range []security.Checkpoint{a, b, c} {
		require.NoError(t, s.SaveCheckpoint(ctx, cp))
	}
	got, err := s.LatestCheckpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, "b", got.KeyID, "largest size, then latest signed")

	other := a
	other.SignedAt = epoch.Add(time.Minute)
	require.ErrorIs(t, s.SaveCheckpoint(ctx, other), store.ErrConflict)
	other = a
	other.Signature = []byte{9}
	require.ErrorIs(t, s.SaveCheckpoint(ctx, other), store.ErrConflict)
}

func TestListAuditEventsBounds(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	for range 5 {
		_, err := s.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
		require.NoError(t, err)
	}
	seqs := func(after int64, limit int) []int64 {
		evs, err := s.ListAuditEvents(ctx, after, limit)
		require.NoError(t, err)
		out := []int64{}
		for _, e := range evs {
			out = append(out, e.Seq)
		}
		return out
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5}, seqs(-7, maxAuditPage))
	assert.Equal(t, []int64{1, 2}, seqs(math.MinInt64, 2))
	assert.Equal(t, []int64{4, 5}, seqs(3, 10))
	assert.Equal(t, []int64{}, seqs(5, 10))
	assert.Equal(t, []int64{}, seqs(math.MaxInt64, 10))
	_, err := s.ListAuditEvents(ctx, 0, maxAuditPage+1)
	require.ErrorIs(t, err, store.ErrInvalid)
}

func TestTamperingWithTheLastEventChangesTheHead(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	var evs []security.Event
	for range 3 {
		e, err := s.AppendAudit(ctx, security.EventInput{Type: "t", Actor: "a"})
		require.NoError(t, err)
		evs = append(evs, e)
	}
	tp := tamperer{s: s}
	require.NoError(t, tp.DeleteAuditEvent(ctx, 3))
	assert.Equal(t, security.Head{Size: 2, Hash: evs[1].Hash}, head(t, s))
	require.ErrorIs(t, tp.EditAuditEvent(ctx, 3), store.ErrNotFound)
	require.NoError(t, tp.TruncateAudit(ctx, 1))
	assert.Equal(t, security.Head{}, head(t, s))
}
